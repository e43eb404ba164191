// parallel: the one way flowkit spreads independent pieces of work over OpenMP threads.
// An exception may not leave an OpenMP region (the program would abort), so each piece's is
// caught on its thread; once the team has joined, the exception of the lowest-numbered piece
// that failed is rethrown, which makes the error the same whichever thread ran what.
#pragma once
#include <omp.h>

#include <atomic>
#include <cstdint>
#include <exception>

namespace flowkit {

enum class Spread {
  fixed,    // each thread one contiguous, equal share of the pieces: pieces of equal cost
  dynamic,  // the next free thread takes the next piece: pieces of uneven cost
};

// Calls f(i, thread) for i in [0, count), thread in [0, threads) being the calling team member
// (for per-thread workspaces; a team may have fewer threads than asked). With threads <= 1 or
// count <= 1, or inside a parallel region already, a plain loop on the calling thread (no
// team: even a team of one costs a futex call), which stops at the first exception. In a team,
// a piece is skipped once a lower-numbered piece has failed (it could not change the error);
// every piece below the one whose error is rethrown has run. dynamic: `grain` pieces per turn.
// No allocation.
template <class F>
void parallel_for(int64_t count, int threads, Spread spread, const F& f, int64_t grain = 1) {
  if (threads <= 1 || count <= 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < count; ++i) f(i, 0);
    return;
  }
  std::exception_ptr first;
  std::atomic<int64_t> first_index{count};
  auto piece = [&](int64_t i, int thread) {
    if (i > first_index.load(std::memory_order_relaxed)) return;
    try {
      f(i, thread);
    } catch (...) {
#pragma omp critical(flowkit_parallel_for)
      if (i < first_index.load(std::memory_order_relaxed)) {
        first_index.store(i, std::memory_order_relaxed);
        first = std::current_exception();
      }
    }
  };
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    if (spread == Spread::fixed) {
#pragma omp for schedule(static)
      for (int64_t i = 0; i < count; ++i) piece(i, thread);
    } else {
#pragma omp for schedule(dynamic, grain)
      for (int64_t i = 0; i < count; ++i) piece(i, thread);
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace flowkit
