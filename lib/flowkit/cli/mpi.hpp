// cli (processes): the program's process group. Under mpirun (and built with MPI) the MPI
// world, started on first use; otherwise the one-process group, and MPI is never started.
// Everything else talks to the group through core/comm.hpp.
#pragma once
#include <string>

#include "flowkit/core/comm.hpp"

namespace flowkit::cli {

// The group this program runs in (started on the first call).
Comm& world();
// Whether the group was started with more than one process.
bool several_processes();
// "OpenMPI 4.1" (the library this build uses), or "no".
std::string mpi_version();
// Ends every process of the group with this status at once (MPI_Abort); returns with one.
void abort_all(int status);
// Ends the group in order at a normal exit (MPI_Finalize); a no-op with one process.
void finish();

}  // namespace flowkit::cli
