// cli (processes): the MPI world behind Comm, the only file that calls MPI. Built without MPI
// (FLOWKIT_HAVE_MPI undefined), every program is one process and says "MPI: no".
#include "flowkit/cli/mpi.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

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

// MPI counts are ints: a large message goes in pieces of at most 1 GiB. FLOWKIT_MPI_PIECE
// (bytes) sets a smaller piece, so that tests send many-piece messages without gigabytes.
size_t piece_bytes() {
  const char* v = std::getenv("FLOWKIT_MPI_PIECE");
  const long long b = v ? std::atoll(v) : 0;
  return b > 0 && b < (1LL << 30) ? size_t(b) : size_t(1) << 30;
}

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
  // Piece by piece: each rank's piece [off, off + k) lands at out + r * bytes + off, a
  // receive type of k bytes whose extent is a whole rank's block
  void allgather(const void* in, size_t bytes, void* out) override {
    size_t off = 0;
    do {
      const size_t k = std::min(piece_, bytes - off);
      MPI_Datatype piece, block;
      MPI_Type_contiguous(int(k), MPI_BYTE, &piece);
      MPI_Type_create_resized(piece, 0, MPI_Aint(bytes), &block);
      MPI_Type_commit(&block);
      MPI_Allgather(static_cast<const char*>(in) + off, int(k), MPI_BYTE, static_cast<char*>(out) + off, 1, block,
                    MPI_COMM_WORLD);
      MPI_Type_free(&block);
      MPI_Type_free(&piece);
      off += k;
    } while (off < bytes);
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
      const size_t k = std::min(piece_, bytes - off);
      MPI_Send(c + off, int(k), MPI_BYTE, to, 0, MPI_COMM_WORLD);
      off += k;
    } while (off < bytes);
  }
  void recv(int from, void* p, size_t bytes) override {
    char* c = static_cast<char*>(p);
    size_t off = 0;
    do {
      const size_t k = std::min(piece_, bytes - off);
      MPI_Recv(c + off, int(k), MPI_BYTE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      off += k;
    } while (off < bytes);
  }
  // Every piece of both messages posted at once, then waited for
  void sendrecv(int to, const void* out, size_t out_bytes, int from, void* in, size_t in_bytes) override {
    requests_.clear();
    for (size_t off = 0; off < in_bytes; off += piece_)
      MPI_Irecv(static_cast<char*>(in) + off, int(std::min(piece_, in_bytes - off)), MPI_BYTE, from, 1, MPI_COMM_WORLD,
                &requests_.emplace_back());
    for (size_t off = 0; off < out_bytes; off += piece_)
      MPI_Isend(static_cast<const char*>(out) + off, int(std::min(piece_, out_bytes - off)), MPI_BYTE, to, 1,
                MPI_COMM_WORLD, &requests_.emplace_back());
    MPI_Waitall(int(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
  }

 private:
  int rank_ = 0, size_ = 1;
  size_t piece_ = piece_bytes();
  std::vector<MPI_Request> requests_;
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
