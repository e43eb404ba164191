// sampler: chunks, per-chunk random streams, one field clone per thread.
#include "flowkit/flow/sampler.hpp"

#include <algorithm>

#include "flowkit/core/parallel.hpp"

namespace flowkit {

void chunk_start(const SampleJob& job, int64_t first, int64_t k, Rng& rng, Mat& x) {
  if (job.from) {
    const int64_t m = job.from->cols();
    for (int64_t i = 0; i < k; ++i) x.col(i) = job.from->col((first + i) % m);
  } else {
    rng.fill_normal(x);
  }
}

void start_points(const SampleJob& job, const SampleOptions& o, int64_t first, Mat& x) {
  Rng rng(o.seed, uint64_t(first / o.chunk));
  chunk_start(job, first, x.cols(), rng, x);
}

namespace {

// Solves one chunk in place: start points, labels, then the ODE or the SDE.
SolveStats solve_chunk(Field& f, const SampleJob& job, const SampleOptions& o, int64_t c, Mat& x,
                       const ChunkObserver& obs) {
  const int64_t first = c * o.chunk, k = std::min(o.chunk, job.n - first);
  Rng rng(o.seed, uint64_t(c));
  x.resize(f.dim(), k);
  if (job.from) chunk_start(job, first, k, rng, x);
  else f.manifold().sample_source(rng, x);  // N(0, I) in flat space
  if (!job.labels.empty())
    f.set_condition(std::vector<int>(job.labels.begin() + first, job.labels.begin() + first + k), o.guidance);
  int64_t step = 0;
  Observer each;
  if (obs) each = [&](double t, const Mat& y) { obs(first, step++, t, y); };
  if (o.ode.solver == Solver::em) return sample_sde(f, x, o.ode, o.sde, rng, each);
  if (o.with_logp) {
    DensityOptions d = o.density;
    d.ode = o.ode;
    Vec logp;
    const SolveStats st = sample_with_log_density(f, x, d, rng, logp);
    x.conservativeResize(x.rows() + 1, Eigen::NoChange);
    x.row(x.rows() - 1) = logp.transpose();
    return st;
  }
  FieldSystem sys(f);
  return integrate(sys, x, o.ode, each);
}

void add(SampleStats& total, const SolveStats& s) {
  total.nfe = std::max(total.nfe, s.nfe);
  total.steps = std::max(total.steps, s.steps);
  total.rejected += s.rejected;
  total.diverged += s.diverged;
  ++total.chunks;
}

// Process 0: the other processes' chunks of the round starting at chunk r0, in order.
void receive_round(Comm& comm, const SampleJob& job, const SampleOptions& o, int64_t dim, int64_t r0,
                   const std::vector<int64_t>& off, int64_t chunks, const ChunkSink& sink) {
  Mat x;
  for (int p = 1; p < comm.size(); ++p)
    for (int64_t c = r0 + off[size_t(p)]; c < std::min(r0 + off[size_t(p) + 1], chunks); ++c) {
      const int64_t first = c * o.chunk;
      x.resize(dim + (o.with_logp ? 1 : 0), std::min(o.chunk, job.n - first));
      comm.recv(p, x.data(), size_t(x.size()) * sizeof(float));
      sink(first, x);
    }
}

// The totals of every process.
SampleStats combine(Comm& comm, const SampleStats& mine) {
  std::vector<SampleStats> all(size_t(comm.size()));
  comm.allgather(&mine, sizeof mine, all.data());
  SampleStats t;
  for (const SampleStats& s : all) {
    t.nfe = std::max(t.nfe, s.nfe);
    t.steps = std::max(t.steps, s.steps);
    t.rejected += s.rejected;
    t.diverged += s.diverged;
    t.chunks += s.chunks;
  }
  return t;
}

// Where each process's run starts in a round, and the round's length (the sum of every
// process's threads, which may differ between machines).
std::vector<int64_t> round_offsets(Comm& comm, int64_t mine) {
  std::vector<int64_t> off(size_t(comm.size()) + 1, 0), w(size_t(comm.size()));
  comm.allgather(&mine, sizeof mine, w.data());
  for (size_t r = 0; r < w.size(); ++r) off[r + 1] = off[r] + w[r];
  return off;
}

}  // namespace

SampleStats sample_chunks(const Field& field, const SampleJob& job, const SampleOptions& o,
                          const ChunkSink& sink, const ChunkObserver& obs, Comm& comm) {
  if (job.n < 0) throw usage_error("-n must be >= 0, got " + std::to_string(job.n));
  if (o.chunk < 1) throw Error("chunk size must be positive");
  if (!job.labels.empty() && int64_t(job.labels.size()) != job.n)
    throw Error("sampler: " + std::to_string(job.labels.size()) + " labels for " + std::to_string(job.n) + " points");
  if (o.with_logp && (job.from || o.ode.solver == Solver::em || o.ode.t0 != 0 || o.ode.t1 != 1))
    throw usage_error("--logp follows the ODE from N(0, I) at t = 0 to t = 1: not with --from, --t0/--t1 or em");
  if (job.from && (job.from->rows() != field.dim() || job.from->cols() == 0))
    throw Error("start points have dimension " + std::to_string(job.from->rows()) + ", the model " +
                std::to_string(field.dim()));
  require_manifold_solver(field.manifold(), o.ode.solver);
  if (job.from && field.manifold().curved()) field.manifold().require_points(*job.from, "start points");
  const int threads = std::max(1, o.threads);
  const int64_t chunks = (job.n + o.chunk - 1) / o.chunk;
  std::vector<std::unique_ptr<Field>> fields;
  for (int i = 0; i < std::min<int64_t>(threads, std::max<int64_t>(chunks, 1)); ++i) fields.push_back(field.clone());
  std::vector<Mat> out(fields.size());
  std::vector<SolveStats> stats(fields.size());
  SampleStats total;
  const int rank = comm.rank();
  const std::vector<int64_t> off = round_offsets(comm, int64_t(threads));
  const int64_t round = off.back();
  // Rounds: this process's wave of one chunk per thread; process 0 hands its own and then every
  // other process's results to the sink in order
  for (int64_t r0 = 0; r0 < chunks; r0 += round) {
    const int64_t c0 = r0 + off[size_t(rank)];
    const int w = int(std::clamp<int64_t>(std::min<int64_t>(int64_t(fields.size()), chunks - c0), 0, threads));
    if (w == 1) {
      // One thread per chunk, as in the parallel branch: a product split over threads blocks
      // its sums differently, and --logp's bytes differed between 1 and 2 threads; unless the
      // field splits the chunk over the threads itself, piece by piece (the U-Net)
      const SerialProducts serial(!fields[0]->threads_inside());
      stats[0] = solve_chunk(*fields[0], job, o, c0, out[0], obs);
    } else if (w > 1) {
      parallel_for(w, w, Spread::fixed, [&](int64_t i, int) {
        stats[size_t(i)] = solve_chunk(*fields[size_t(i)], job, o, c0 + i, out[size_t(i)], obs);
      });
    }
    for (int i = 0; i < w; ++i) {
      add(total, stats[size_t(i)]);
      if (rank == 0) sink((c0 + i) * o.chunk, out[size_t(i)]);
      else comm.send(0, out[size_t(i)].data(), size_t(out[size_t(i)].size()) * sizeof(float));
    }
    if (rank == 0) receive_round(comm, job, o, field.dim(), r0, off, chunks, sink);
  }
  return comm.size() > 1 ? combine(comm, total) : total;
}

}  // namespace flowkit
