// cli (processes): the MPI world behind Comm, the only file that calls MPI. Built without MPI
// (FLOWKIT_HAVE_MPI undefined), every program is one process and says "MPI: no".
#include "flowkit/cli/mpi.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

#ifdef FLOWKIT_HAVE_MPI
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace flowkit::cli {
namespace {

#ifdef FLOWKIT_HAVE_MPI
// Whether a launcher started this process (OpenMPI's mpirun, or a PMI/PMIx one such as srun):
// a program run alone never starts MPI, which costs tens of milliseconds.
bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

// MPI counts are ints: a large message goes in pieces of at most 1 GiB.
constexpr size_t kPiece = size_t(1) << 30;

class MpiComm : public Comm {
 public:
  MpiComm() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allgather(const void* in, size_t bytes, void* out) override {
    if (bytes > size_t(INT_MAX)) throw std::length_error("allgather: more than 2 GiB per rank");
    MPI_Allgather(in, int(bytes), MPI_BYTE, out, int(bytes), MPI_BYTE, MPI_COMM_WORLD);
  }
  int max(int v) override {
    int m = v;
    MPI_Allreduce(&v, &m, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return m;
  }
  void send(int to, const void* p, size_t bytes) override {
    const char* c = static_cast<const char*>(p);
    size_t off = 0;
    do {
      const size_t k = std::min(kPiece, bytes - off);
      MPI_Send(c + off, int(k), MPI_BYTE, to, 0, MPI_COMM_WORLD);
      off += k;
    } while (off < bytes);
  }
  void recv(int from, void* p, size_t bytes) override {
    char* c = static_cast<char*>(p);
    size_t off = 0;
    do {
      const size_t k = std::min(kPiece, bytes - off);
      MPI_Recv(c + off, int(k), MPI_BYTE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      off += k;
    } while (off < bytes);
  }

 private:
  int rank_ = 0, size_ = 1;
};
#endif

std::unique_ptr<Comm> g_world;
[[maybe_unused]] bool g_mpi = false;

}  // namespace

Comm& world() {
  if (g_world) return *g_world;
#ifdef FLOWKIT_HAVE_MPI
  if (launched_by_mpirun()) {
    g_world = std::make_unique<MpiComm>();
    g_mpi = true;
    return *g_world;
  }
#endif
  g_world = std::make_unique<Comm>();
  return *g_world;
}

bool several_processes() { return g_world && g_world->size() > 1; }

std::string mpi_version() {
#ifdef FLOWKIT_HAVE_MPI
#ifdef OPEN_MPI
  return "OpenMPI " + std::to_string(OMPI_MAJOR_VERSION) + "." + std::to_string(OMPI_MINOR_VERSION);
#else
  return "MPI " + std::to_string(MPI_VERSION) + "." + std::to_string(MPI_SUBVERSION);
#endif
#else
  return "no";
#endif
}

void abort_all(int status) {
#ifdef FLOWKIT_HAVE_MPI
  if (g_mpi) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  std::exit(status);
}

void finish() {
#ifdef FLOWKIT_HAVE_MPI
  if (g_mpi) {
    MPI_Finalize();
    g_mpi = false;
  }
#endif
}

}  // namespace flowkit::cli
