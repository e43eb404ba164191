// core: the group of processes a program runs in. One process by default (every call a copy or
// a no-op); several under mpirun, where cli/mpi.cpp, the one file that calls MPI, implements it.
// The numerical parts see only this interface, so no other file knows whether MPI exists.
#pragma once
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace flowkit {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // Every rank's `bytes` bytes from `in`, in rank order, into `out` (size() * bytes).
  virtual void allgather(const void* in, size_t bytes, void* out) { std::memcpy(out, in, bytes); }
  // The largest of every rank's `v`.
  virtual int max(int v) { return v; }
  // Point to point, in order between two ranks; never called with one process.
  virtual void send(int /*to*/, const void* /*p*/, size_t /*bytes*/) { throw std::logic_error("Comm::send: one process"); }
  virtual void recv(int /*from*/, void* /*p*/, size_t /*bytes*/) { throw std::logic_error("Comm::recv: one process"); }
  // One step of a ring: `out_bytes` from `out` to rank `to` while `in_bytes` arrive into `in`
  // from rank `from`. Every rank calls it at once, so no rank's send waits on a receive that
  // comes after it (two blocking calls would deadlock once messages are large).
  virtual void sendrecv(int to, const void* out, size_t out_bytes, int from, void* in, size_t in_bytes) {
    if (to != 0 || from != 0 || in_bytes != out_bytes) throw std::logic_error("Comm::sendrecv: one process");
    std::memmove(in, out, in_bytes);
  }

  // The one-process group.
  static Comm& single() {
    static Comm c;
    return c;
  }
};

}  // namespace flowkit
