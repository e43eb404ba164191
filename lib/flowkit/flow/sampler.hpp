// sampler: the chunked driver behind flow-sample and flow-traj. Points are processed in
// chunks; chunk c draws its start noise and SDE noise from Rng(seed, c), so the bytes depend
// only on the seed and the chunk size, never on how chunks are spread over threads. Each
// thread works on its own clone of the field; memory stays at threads x chunk points. Across
// processes (mpirun) the chunks go in rounds: each process takes a contiguous run of each
// round, one chunk per thread, and sends its results to process 0, whose sink sees every chunk
// in order; the bytes are those of one process.
#pragma once
#include <functional>
#include <vector>

#include "flowkit/core/comm.hpp"
#include "flowkit/flow/density.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/flow/solve.hpp"

namespace flowkit {

struct SampleOptions {
  SolveOptions ode;      // solver, grid, steps, t0, t1, tolerances (solver em: the SDE)
  SdeOptions sde;        // used when ode.solver is em
  uint64_t seed = 0;
  int threads = 1;
  int64_t chunk = 2048;  // points per chunk (each on one thread: a few thousand points keep both busy)
  double guidance = 1.0; // classifier-free guidance weight W (with labels)
  bool with_logp = false; // append log p_1 of each sample as a last row (ODE from N(0, I) only)
  DensityOptions density;  // divergence and probes of with_logp (its ode is taken from `ode`)
};

struct SampleJob {
  int64_t n = 0;             // points to produce
  const Mat* from = nullptr; // start points (d x m): point i starts at column i % m; else N(0, I)
  std::vector<int> labels;   // empty, or one class per point (-1: unconditional)
};

// Final states of the chunk starting at point `first` (d x k, or (d + 1) x k with_logp: the
// last row is the log density); called in chunk order, on the calling thread.
using ChunkSink = std::function<void(int64_t first, const Mat& x)>;
// Every state of a chunk along its solve (step 0 is the start); may be called from several
// threads at once, each for a different chunk.
using ChunkObserver = std::function<void(int64_t first, int64_t step, double t, const Mat& x)>;

struct SampleStats {
  int64_t nfe = 0;       // function evaluations per point (the most of any chunk)
  int64_t steps = 0;     // accepted steps (the most of any chunk)
  int64_t rejected = 0;  // dopri5, all chunks together
  int64_t diverged = 0;  // points whose flow diverged (+inf; log p -inf), all chunks together
  int64_t chunks = 0;
};

// The start points of the k points from `first` on (one chunk, d x k in x): job.from's, or
// N(0, I) drawn first from the chunk's generator rng = Rng(seed, chunk).
void chunk_start(const SampleJob& job, int64_t first, int64_t k, Rng& rng, Mat& x);
// The same start points anew into x (sized d x k by the caller), for a sink that writes each
// sample beside its noise (pairs): first is a chunk's first point, k its size.
void start_points(const SampleJob& job, const SampleOptions& o, int64_t first, Mat& x);

// With several processes in `comm` the sink is called on process 0 only (for every chunk), the
// observer on the process that solves the chunk, and every process returns the totals.
SampleStats sample_chunks(const Field& field, const SampleJob& job, const SampleOptions& o,
                          const ChunkSink& sink, const ChunkObserver& obs = {}, Comm& comm = Comm::single());

}  // namespace flowkit
