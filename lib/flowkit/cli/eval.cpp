// cli (evaluation): flags and drivers of flow-eval's subcommands.
#include "flowkit/cli/eval.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "flowkit/data/info.hpp"
#include "flowkit/flow/density.hpp"
#include "flowkit/model/field_file.hpp"
#include "flowkit/model/model.hpp"
#include "flowkit/eval/assignment.hpp"
#include "flowkit/eval/frechet.hpp"
#include "flowkit/eval/histogram.hpp"
#include "flowkit/eval/metrics.hpp"
#include "flowkit/io/tokens.hpp"
#include "flowkit/flow/manifold.hpp"
#include "flowkit/core/parallel.hpp"
#include "flowkit/flow/path.hpp"
#include "flowkit/cli/mpi.hpp"

namespace flowkit::cli {
namespace {

// Points per chunk of logp, for points of dimension d: 512 points, or about 32,768 numbers
// (40 images of 28 x 28). Chunk k draws its noise from (seed, k) and runs on one thread with
// serial products: a product split over threads blocks its sums differently, so the bytes
// would depend on --threads (they did, for one chunk of 3,000 points). Small chunks give every
// thread work even for a few hundred points.
int64_t logp_chunk_points(int64_t d) { return std::clamp<int64_t>(32768 / std::max<int64_t>(d, 1), 16, 512); }

// What `field --what` evaluates.
enum class What { velocity, score, noise, data };
const ChoiceTable<What>& whats() {
  static const ChoiceTable<What> t = {{"velocity", What::velocity, "the velocity u(x, t)"},
                                      {"score", What::score, "the score grad log p_t(x)"},
                                      {"noise", What::noise, "the predicted noise x0 = -b(t) s"},
                                      {"data", What::data, "the predicted data (x + B^2 s) / a, B^2 = b^2 + sigma_min^2"}};
  return t;
}

// Points of a stream as a d x n batch (images flattened), with a clear error when empty.
Mat stream_points(const Array& a, const std::string& where) {
  if (a.shape.empty() || a.rows() == 0) throw Error("no points in " + where + " (shape " + a.shape_str() + ")");
  if (a.shape.size() > 1 && a.row_size() == 0)
    throw Error("points of dimension 0 in " + where + " (shape " + a.shape_str() + ")");
  Mat m = Eigen::Map<const Mat>(a.data.data(), a.shape.size() == 1 ? 1 : a.row_size(), a.rows());
  require_finite(m, where);
  return m;
}

std::vector<int> labels_of(const std::optional<Array>& c, int64_t n, const std::string& where) {
  if (!c || c->size() != n) throw Error("knn needs labels (a companion array of " + std::to_string(n) + ") in " + where);
  std::vector<int> l(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {  // a class, not a rounded number (0.5 became 1, nan 0)
    const float v = c->data[size_t(i)];
    if (!(std::abs(v) < 1e9f) || v != std::floor(v))
      throw Error("label " + std::to_string(i) + " is " + std::to_string(v) + ", not a class (a whole number) in " + where);
    l[size_t(i)] = int(v);
  }
  return l;
}

void write_json(const Common& c, const nlohmann::json& j) {
  write_output(c.output, [&](std::ostream& os) { os << j.dump(2) << '\n'; });
}

std::string name_of(const std::string& path) { return path == "-" || path.empty() ? "<stdin>" : path; }

// --- logp ---------------------------------------------------------------------------------

// Running sums over the finite values of log p (or bits per dimension); the others are the
// points whose flow diverged (-inf, or +inf bits).
struct LogpTally {
  double sum = 0, sum2 = 0;
  int64_t n = 0, finite = 0;
  void add(const Vec& lp) {
    for (Eigen::Index i = 0; i < lp.size(); ++i) {
      if (!std::isfinite(lp[i])) continue;
      sum += double(lp[i]);
      sum2 += double(lp[i]) * double(lp[i]);
      ++finite;
    }
    n += lp.size();
  }
  double mean() const { return finite ? sum / double(finite) : 0.0; }
  double stderr_of_mean() const {
    if (finite < 2) return 0.0;
    const double m = mean(), var = std::max(0.0, (sum2 - double(finite) * m * m) / double(finite - 1));
    return std::sqrt(var / double(finite));
  }
  // The --summary object: the mean over the finite points, and how many were not.
  nlohmann::json summary(const std::string& unit) const {
    nlohmann::json j = {{"n", n}, {"unit", unit}, {"n_inf", n - finite}};
    j["mean"] = finite ? nlohmann::json(mean()) : nlohmann::json(nullptr);
    j["stderr"] = stderr_of_mean();
    return j;
  }
  // One line on stderr when some points diverged.
  void warn(const Common& c, bool bpd) const {
    if (finite == n) return;
    status(c, "warning: " + std::to_string(n - finite) + " of " + std::to_string(n) + " points have " +
                  (bpd ? "+inf bits per dimension" : "log p = -inf") +
                  ": their flow diverged (a density below what float holds)",
           true);
  }
};

struct LogpRun {
  std::unique_ptr<Field> field;
  DensityOptions opt;
  bool image = false;
};

// log p (or bits per dimension) of one chunk; dequantization noise and probes from
// Rng(seed, chunk): the result does not depend on the thread count.
// With `levels` L >= 2 the points (values k / (L - 1)) get U[0, 1/(L - 1)) noise first.
SolveStats logp_chunk(Field& f, const LogpFlags& fl, int levels, const DensityOptions& o, uint64_t seed,
                      int64_t chunk, Mat x, Vec& out) {
  Rng rng(seed, uint64_t(chunk));
  if (levels >= 2) {
    Mat u(x.rows(), x.cols());
    rng.fill_uniform(u.data(), size_t(u.size()));
    x += u / float(levels - 1);
  }
  SolveStats st = log_density(f, x, o, rng, out);
  if (fl.bpd)
    for (int64_t i = 0; i < out.size(); ++i) out[i] = float(bits_per_dim(out[i], int(x.rows()), levels));
  return st;
}

// Under mpirun each round of chunks is dealt out in contiguous runs, one chunk per thread of
// each process; process 0 reads the points, sends each process its run and gets back the log
// densities. The chunk numbers, and so the random numbers, are those of one process.
struct LogpTeam {
  Comm& comm;
  std::vector<int64_t> off;  // where each process's run starts in a round; off.back(): its length

  LogpTeam(Comm& c, int threads) : comm(c), off(size_t(c.size()) + 1, 0) {
    std::vector<int64_t> w(size_t(c.size()));
    const int64_t mine = threads;
    comm.allgather(&mine, sizeof mine, w.data());
    for (size_t r = 0; r < w.size(); ++r) off[r + 1] = off[r] + w[r];
  }
  int64_t run_of(int p, int64_t got, int64_t& end) const {
    end = std::min(off[size_t(p) + 1], got);
    return std::min(off[size_t(p)], got);
  }
  // Process 0: the others' chunks of a round (first chunk number k0) out
  void deal(int64_t k0, int64_t got, const std::vector<Mat>& xs) {
    for (int p = 1; p < comm.size(); ++p) {
      int64_t end;
      const int64_t a = run_of(p, got, end);
      if (end <= a) continue;
      const int64_t head[2] = {end - a, k0 + a};
      comm.send(p, head, sizeof head);
      for (int64_t i = a; i < end; ++i) {
        const int64_t cols = xs[size_t(i)].cols();
        comm.send(p, &cols, sizeof cols);
        comm.send(p, xs[size_t(i)].data(), size_t(xs[size_t(i)].size()) * sizeof(float));
      }
    }
  }
  // Process 0: their log densities and function evaluations back, in order
  void collect(int64_t got, const std::vector<Mat>& xs, std::vector<Vec>& lps, std::vector<SolveStats>& st) {
    for (int p = 1; p < comm.size(); ++p) {
      int64_t end;
      for (int64_t i = run_of(p, got, end); i < end; ++i) {
        lps[size_t(i)].resize(xs[size_t(i)].cols());
        comm.recv(p, lps[size_t(i)].data(), size_t(lps[size_t(i)].size()) * sizeof(float));
        comm.recv(p, &st[size_t(i)].nfe, sizeof(int64_t));
      }
    }
  }
  void done() {
    const int64_t head[2] = {0, 0};
    for (int p = 1; p < comm.size(); ++p) comm.send(p, head, sizeof head);
  }
};

// Another process than 0: evaluates the runs process 0 sends until it says done.
void logp_worker(Comm& comm, const LogpFlags& fl, const Common& c, const Field& field, const DensityOptions& o) {
  std::vector<std::unique_ptr<Field>> fs;
  std::vector<Mat> xs;
  std::vector<Vec> lps;
  std::vector<SolveStats> st;
  for (;;) {
    int64_t head[2];
    comm.recv(0, head, sizeof head);
    const int64_t k = head[0];
    if (k == 0) return;
    while (int64_t(fs.size()) < k) fs.push_back(field.clone());
    xs.resize(size_t(k));
    lps.resize(size_t(k));
    st.resize(size_t(k));
    for (int64_t i = 0; i < k; ++i) {
      int64_t cols;
      comm.recv(0, &cols, sizeof cols);
      xs[size_t(i)].resize(field.dim(), cols);
      comm.recv(0, xs[size_t(i)].data(), size_t(xs[size_t(i)].size()) * sizeof(float));
    }
    const SerialProducts serial(true);  // the same bits with any thread count
    parallel_for(k, int(k), Spread::fixed, [&](int64_t i, int) {
      st[size_t(i)] = logp_chunk(*fs[size_t(i)], fl, 0, o, c.seed, head[1] + i, xs[size_t(i)], lps[size_t(i)]);
    });
    for (int64_t i = 0; i < k; ++i) {
      comm.send(0, lps[size_t(i)].data(), size_t(lps[size_t(i)].size()) * sizeof(float));
      comm.send(0, &st[size_t(i)].nfe, sizeof(int64_t));
    }
  }
}

// The levels of --dequantize: L from --dequantize=L, else those the model file recorded of
// its training data (flow-train finds them), else a usage error; 0 without --dequantize.
int dequantize_levels(const LogpFlags& fl, const nlohmann::json& doc) {
  if (!fl.dequantize) return 0;
  if (fl.levels != "auto") return parse_levels(fl.levels);
  const auto tr = doc.find("training");
  if (tr != doc.end() && tr->is_object() && tr->contains("levels") && (*tr)["levels"].is_number_integer() &&
      (*tr)["levels"].get<int64_t>() >= 2 && (*tr)["levels"].get<int64_t>() <= kMaxLevels)
    return int((*tr)["levels"].get<int64_t>());
  const std::string recorded = tr != doc.end() && tr->is_object() && tr->contains("levels")
                                   ? " records 'training.levels' " + (*tr)["levels"].dump() + ", not a whole number in 2.." +
                                         std::to_string(kMaxLevels)
                                   : " records no levels of its training data";
  throw usage_error("--dequantize: " + fl.model + recorded + "; give them, " +
                    "e.g. --dequantize=256 for 8-bit images scaled into [0, 1]");
}

// Streams points through logp chunk by chunk (one chunk per thread at a time), so memory
// stays at threads x chunk points whatever n is; text input of unknown length is kept whole.
// Under mpirun, this is process 0, and a round holds a chunk per thread of every process.
void logp_stream(const LogpFlags& fl, const Common& c, const Field& field, const DensityOptions& o) {
  const int w = std::max(1, omp_get_max_threads());
  LogpTeam team(world(), w);
  if (team.comm.rank() > 0) return logp_worker(team.comm, fl, c, field, o);
  const int64_t round = team.off.back();
  const std::string where = name_of(fl.input);
  auto in = open_points_input(fl.input);
  const int64_t d = in->dim(), rows_out = fl.with_points ? d + 1 : 1, chunk = logp_chunk_points(d);
  if (d != field.dim())
    throw Error("points of dimension " + std::to_string(d) + " for a model of dimension " +
                std::to_string(field.dim()) + " (" + where + ")");
  std::vector<std::unique_ptr<Field>> fs;
  for (int i = 0; i < w; ++i) fs.push_back(field.clone());
  const size_t nr = static_cast<size_t>(round);
  std::vector<Mat> xs(nr, Mat(d, 0));
  std::vector<Vec> lps(nr);
  std::vector<SolveStats> st(nr);
  LogpTally tally;
  int64_t nfe = 0;
  auto run = [&](std::ostream* os) {
    const Format fmt = output_format(c);
    std::unique_ptr<PointWriter> out;  // opened after the first checked chunk: an early error writes nothing
    std::vector<Mat> kept;
    for (int64_t k0 = 0;; k0 += round) {
      // Read one chunk per thread (of every process), evaluate them together, write them in order
      int got = 0;
      while (got < round && in->read(xs[size_t(got)], chunk) > 0) ++got;
      if (got == 0) break;
      for (int i = 0; i < got; ++i)
        for (Eigen::Index j = 0; j < xs[size_t(i)].cols(); ++j)
          if (!xs[size_t(i)].col(j).allFinite())
            throw Error("non-finite value (NaN or Inf) in row " + std::to_string(tally.n + i * chunk + j) + " (" + where + ")");
      team.deal(k0, got, xs);
      const int own = int(std::min<int64_t>(w, got));
      const SerialProducts serial(true);  // the same bits with any thread count
      parallel_for(own, own, Spread::fixed, [&](int64_t i, int) {
        st[size_t(i)] = logp_chunk(*fs[size_t(i)], fl, 0, o, c.seed, k0 + i, xs[size_t(i)], lps[size_t(i)]);
      });
      team.collect(got, xs, lps, st);
      for (int i = 0; i < got; ++i) {
        const Vec& lp = lps[size_t(i)];
        tally.add(lp);
        nfe = std::max(nfe, st[size_t(i)].nfe);
        if (!os) continue;
        Mat rows(rows_out, lp.size());
        if (fl.with_points) rows << xs[size_t(i)], lp.transpose();
        else rows = lp.transpose();
        if (!out && in->count() >= 0) out = open_point_writer(*os, fmt, in->count(), rows_out);
        if (out) out->write(rows);
        else kept.push_back(std::move(rows));
      }
    }
    team.done();
    if (tally.n == 0) throw Error("empty stream: no points (" + where + ")");
    if (!os) return;
    if (!out) {
      int64_t total = 0;
      for (const auto& m : kept) total += m.cols();
      out = open_point_writer(*os, fmt, total, rows_out);
      for (const auto& m : kept) out->write(m);
    }
    out->finish(in->companion());
  };
  if (fl.summary) {
    run(nullptr);
    tally.warn(c, false);
    nlohmann::json j = tally.summary("nats");
    j.update({{"nfe", nfe}, {"solver", fl.solver}, {"steps", fl.steps},
              {"divergence", choice_name(divergences(), resolve_divergence(field, o))}});
    write_json(c, j);
    return;
  }
  write_output(c.output, [&](std::ostream& os) { run(&os); });
  tally.warn(c, false);
  status(c, std::to_string(tally.n) + " points, mean log p " + std::to_string(tally.mean()) + ", NFE " +
                std::to_string(nfe));
}

// --solver auto: dopri5 for bits per dimension unless --steps asks for fixed steps, rk4 otherwise. A dequantized model's
// field sharpens onto the grey levels near t = 1, where a fixed step is biased: MNIST's U-Net
// read 1.20 bits with rk4 at 80 steps against dopri5's 1.405 (issue 22), and --bpd is the
// figure people compare, so its default is the adaptive solver.
std::string solver_for_logp(const LogpFlags& fl) {
  if (fl.solver != "auto") return fl.solver;
  return fl.bpd && !fl.steps_given ? "dopri5" : "rk4";
}

void logp(LogpFlags fl, const Common& c) {
  apply_threads(c);
  ModelFile mf = read_model(fl.model);  // JSON or safetensors
  auto& field = mf.field;
  const int levels = dequantize_levels(fl, mf.doc);
  fl.solver = solver_for_logp(fl);
  DensityOptions o;
  o.ode.solver = parse_choice(solvers(), fl.solver, "solver");
  if (o.ode.solver == Solver::em) throw usage_error("logp needs an ODE solver, not em");
  o.ode.steps = fl.steps;
  o.ode.rtol = fl.rtol;
  o.ode.atol = fl.atol;
  o.divergence = parse_choice(divergences(), fl.divergence, "divergence");
  o.probe = parse_choice(probes(), fl.probe, "probe");
  o.probes = fl.probes;
  check_steps(fl.steps);
  if (levels && !fl.bpd && !fl.summary) throw usage_error("--dequantize goes with --bpd or --summary");
  if (fl.bpd && fl.with_points) throw usage_error("--bpd and --with-points do not go together");
  resolve_divergence(*field, o);
  // Points stream in bounded memory; images (with --bpd) are read whole
  if (!fl.bpd && !levels) return logp_stream(fl, c, *field, o);
  if (world().rank() > 0) return;  // images with --bpd: process 0 alone
  const std::string where = name_of(fl.input);
  Stream s = read_input(fl.input);
  Mat x = stream_points(s.main, where);
  if (x.rows() != field->dim())
    throw Error("points of dimension " + std::to_string(x.rows()) + " for a model of dimension " +
                std::to_string(field->dim()) + " (" + where + ", shape " + s.main.shape_str() + ")");
  require_row_shape(s.main, field->sample_shape(), where);
  if (levels >= 2) {  // the points must lie on the grid the noise fills (else the figure means nothing)
    const int found = quantization_levels(x.data(), size_t(x.size()));
    if (!on_level_grid(levels, found))
      throw Error("--dequantize with " + std::to_string(levels) + " levels: the points (" + where + ") are " +
                  (found < 2 ? std::string("not quantized (values k / (L - 1) in [0, 1])")
                             : "on the grid of " + std::to_string(found) + " levels; give --dequantize=" +
                                   std::to_string(found)));
  }
  const int64_t n = x.cols(), chunk = logp_chunk_points(x.rows()), chunks = (n + chunk - 1) / chunk;
  Vec lp(n);
  std::vector<SolveStats> st(static_cast<size_t>(chunks));
  const int w = int(std::min<int64_t>(omp_get_max_threads(), chunks));
  std::vector<std::unique_ptr<Field>> fs;  // one per thread
  for (int i = 0; i < std::max(w, 1); ++i) fs.push_back(field->clone());
  std::vector<Vec> outs(fs.size());
  const SerialProducts serial(true);  // the same bits with any thread count
  parallel_for(chunks, w, Spread::dynamic, [&](int64_t k, int thread) {
    const int64_t first = k * chunk, m = std::min(chunk, n - first);
    Vec& out = outs[size_t(thread)];
    st[size_t(k)] = logp_chunk(*fs[size_t(thread)], fl, levels, o, c.seed, k, x.middleCols(first, m), out);
    lp.segment(first, m) = out;
  });
  int64_t nfe = 0;
  for (const auto& q : st) nfe = std::max(nfe, q.nfe);
  LogpTally tally;
  tally.add(lp);
  tally.warn(c, fl.bpd);
  if (fl.summary) {
    nlohmann::json j = tally.summary(fl.bpd ? "bits/dim" : "nats");
    j.update({{"nfe", nfe}, {"solver", fl.solver}, {"steps", fl.steps},
              {"divergence", choice_name(divergences(), resolve_divergence(*field, o))}});
    write_json(c, j);
    return;
  }
  Stream out;
  if (fl.with_points) {
    Mat rows(x.rows() + 1, n);
    rows << x, lp.transpose();
    out.main = Array::from_points(rows);
  } else {
    out.main = Array::from_points(Mat(lp.transpose()));
  }
  out.companion = s.companion;
  write_stream_output(c, out);
  status(c, std::to_string(n) + " points, mean " + (fl.bpd ? "bits per dimension " : "log p ") +
                std::to_string(tally.mean()) + ", NFE " + std::to_string(nfe));
}

// --- field --------------------------------------------------------------------------------

void field_values(const FieldFlags& fl, const Common& c) {
  apply_threads(c);
  const What what = parse_choice(whats(), fl.what, "quantity");
  if (!(fl.t >= 0 && fl.t <= 1)) throw usage_error("--t must be in [0, 1]");
  ModelFile mf = read_model(fl.model);
  const nlohmann::json& doc = mf.doc;
  auto field = std::move(mf.field);
  if (what != What::velocity && !field->has_score())
    throw Error("this model (" + field->describe() + ") has no score, so no " + fl.what);
  Schedule sched;
  if (what == What::noise || what == What::data) {
    if (!doc.contains("schedule") || !doc["schedule"].is_string())
      throw Error("this model (" + field->describe() + ") has no schedule, so no " + fl.what);
    sched = Schedule::parse(doc["schedule"].get<std::string>());
    if (doc.contains("training")) sched.sigma_min = sigma_min_of(doc["training"], fl.model);
  }
  const std::string where = name_of(fl.input);
  Stream s = read_input(fl.input);
  Mat x = stream_points(s.main, where);
  if (x.rows() != field->dim())
    throw Error("points of dimension " + std::to_string(x.rows()) + " for a model of dimension " +
                std::to_string(field->dim()) + " (" + where + ")");
  require_row_shape(s.main, field->sample_shape(), where);
  Mat v(x.rows(), x.cols());
  if (what == What::velocity) field->velocity(x, fl.t, v);
  else field->score(x, fl.t, v);
  // Conversions from the score, t clamped where a or b vanishes
  const double t = std::clamp(fl.t, kTMin, kTMax), a = sched.a(t), b = sched.b(t);
  if (what == What::noise) v *= float(-b);
  if (what == What::data) v = (x + float(sched.noise_var(t)) * v) / float(a);
  Stream out;
  if (fl.with_points) {
    Mat rows(2 * x.rows(), x.cols());
    rows << x, v;
    out.main = Array::from_points(rows);
  } else {
    out.main = Array::from_points(v);
  }
  out.companion = s.companion;
  write_stream_output(c, out);
}

// --- compare ------------------------------------------------------------------------------

// m columns of x drawn without replacement (seeded); all of x when m >= its size.
Mat subsample(const Mat& x, int64_t m, uint64_t seed) {
  if (m >= x.cols()) return x;
  std::vector<size_t> idx(static_cast<size_t>(x.cols()));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  Rng rng(seed, 13);
  shuffle_indices(idx, rng);
  Mat s(x.rows(), m);
  for (int64_t i = 0; i < m; ++i) s.col(i) = x.col(int64_t(idx[size_t(i)]));
  return s;
}

std::vector<Metric> chosen_metrics(const std::string& list, bool labelled) {
  std::vector<Metric> out;
  if (list.empty()) {
    for (const auto& m : metric_names())
      if (m.value != Metric::knn || labelled) out.push_back(m.value);
    return out;
  }
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    out.push_back(parse_choice(metric_names(), list.substr(pos, end - pos), "metric"));
    pos = end + 1;
  }
  return out;
}

// W2 with the geodesic cost: the exact assignment on squared geodesic distances.
double w2_geodesic(const Manifold& m, const Mat& a, const Mat& b) {
  const MatD cost = m.squared_distances(a, b);
  const std::vector<int> p = assign_min_cost(cost);
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) s += cost(Eigen::Index(i), p[i]);
  return std::sqrt(s / double(p.size()));
}

// Two token sets (integer NPY files): the distances between their histograms, joint over the
// V^L cells when there are at most kMaxJointCells of them, else per position. --metrics knn
// adds the label classifier of the points' kNN on the tokens as numbers (token images: grey
// levels, whose distances are the grey values' up to one scale, so the same neighbours).
void compare_tokens(const CompareFlags& fl, const Common& c) {
  const bool knn = fl.metrics == "knn";
  if ((!fl.metrics.empty() && !knn) || fl.manifold != "euclidean")
    throw usage_error("--manifold and --metrics other than knn do not apply to token data (its histograms are "
                      "compared)");
  const TokenStream a = read_tokens(fl.a), b = read_tokens(fl.b);
  if (a.x.rows() != b.x.rows())
    throw Error("A and B have different lengths: " + std::to_string(a.x.rows()) + " tokens (" + name_of(fl.a) +
                ") and " + std::to_string(b.x.rows()) + " (" + name_of(fl.b) + ")");
  if (a.x.cols() < 1 || b.x.cols() < 1) throw Error("compare needs at least 1 sequence in each set");
  const int vocab = std::max(a.max_token, b.max_token) + 1;
  const HistogramDistance d = histogram_distance(a.x, b.x, vocab);
  auto kl = [](double v, double outside) { return outside > 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json j = {{"n_a", a.x.cols()},
                 {"n_b", b.x.cols()},
                 {"length", a.x.rows()},
                 {"vocab", vocab},
                 {"histogram", d.joint ? "joint" : "marginal"},
                 {"cells", d.cells},
                 {"tv", d.tv},
                 {"kl_a_b", kl(d.kl_ab, d.a_outside_b)},
                 {"kl_b_a", kl(d.kl_ba, d.b_outside_a)},
                 {"a_outside_b", d.a_outside_b},
                 {"b_outside_a", d.b_outside_a}};
  if (knn) {
    j["knn_agreement"] = knn_label_agreement(b.x.cast<float>(), labels_of(b.labels, b.x.cols(), name_of(fl.b)),
                                             a.x.cast<float>(), labels_of(a.labels, a.x.cols(), name_of(fl.a)), fl.knn);
    j["knn_k"] = fl.knn;
  }
  write_json(c, j);
}

void compare(const CompareFlags& fl, const Common& c) {
  apply_threads(c);
  if (fl.a == "-" && fl.b == "-") throw usage_error("only one of A and B can be standard input");
  const bool ta = is_token_npy(fl.a), tb = is_token_npy(fl.b);
  if (ta && tb) return compare_tokens(fl, c);
  if (ta != tb)
    throw Error(name_of(ta ? fl.a : fl.b) + " holds tokens (integers) and " + name_of(ta ? fl.b : fl.a) +
                " points: compare two of a kind");
  if (fl.projections < 1 || fl.projections > 100000)
    throw usage_error("--projections must be 1..100000, got " + std::to_string(fl.projections));
  if (fl.max_w2 < 1) throw usage_error("--max-w2 must be at least 1");
  for (double h : fl.bandwidths)
    if (!(h > 0)) throw usage_error("--bandwidths must be positive");
  Stream sa = read_input(fl.a), sb = read_input(fl.b);
  Mat a = stream_points(sa.main, name_of(fl.a)), b = stream_points(sb.main, name_of(fl.b));
  if (a.rows() != b.rows())
    throw Error("A and B have different dimensions: " + sa.main.shape_str() + " (" + name_of(fl.a) + ") and " +
                sb.main.shape_str() + " (" + name_of(fl.b) + ")");
  if (a.cols() < 2 || b.cols() < 2) throw Error("compare needs at least 2 points in each set");
  // By default the label classifier runs when both sets carry labels and B has its k points
  const auto chosen = chosen_metrics(fl.metrics, sa.companion && sb.companion && b.cols() >= fl.knn);
  const Manifold manifold = Manifold::parse(fl.manifold);
  if (manifold.curved()) {
    manifold.require_points(a, name_of(fl.a));
    manifold.require_points(b, name_of(fl.b));
  }
  nlohmann::json j = {{"n_a", a.cols()}, {"n_b", b.cols()}, {"dim", a.rows()}};
  if (manifold.curved()) j["manifold"] = manifold.name();
  for (Metric m : chosen) {
    if (m == Metric::w2) {
      const int64_t k = std::min({a.cols(), b.cols(), fl.max_w2});
      j["w2"] = manifold.curved() ? w2_geodesic(manifold, subsample(a, k, c.seed), subsample(b, k, c.seed + 1))
                                  : w2_exact(subsample(a, k, c.seed), subsample(b, k, c.seed + 1));
      j["w2_points"] = k;
    } else if (m == Metric::energy) {
      j["energy"] = energy_distance(a, b);
    } else if (m == Metric::mmd) {
      std::vector<double> hs = fl.bandwidths;
      if (hs.empty()) {
        const double med = median_distance(a, b, c.seed);
        for (double f : {0.25, 0.5, 1.0, 2.0, 4.0}) hs.push_back(f * med);
      }
      j["mmd"] = nlohmann::json::array();
      const std::vector<double> mmd = mmd2_rbf(a, b, hs);
      for (size_t i = 0; i < hs.size(); ++i) j["mmd"].push_back({{"sigma", hs[i]}, {"mmd2", mmd[i]}});
    } else if (m == Metric::sliced) {
      j["sliced_w2"] = sliced_w2(a, b, fl.projections, c.seed);
      j["projections"] = fl.projections;
    } else if (m == Metric::moments) {
      j["mean_error"] = mean_error(a, b);
      j["cov_error"] = cov_error(a, b);
    } else if (m == Metric::fd) {
      j["fd"] = frechet_distance(a, b);
      j["fd_features"] = a.rows() <= kFdRawDims ? "points" : "random";
    } else {
      j["knn_agreement"] = knn_label_agreement(b, labels_of(sb.companion, b.cols(), name_of(fl.b)), a,
                                               labels_of(sa.companion, a.cols(), name_of(fl.a)), fl.knn);
      j["knn_k"] = fl.knn;
    }
  }
  write_json(c, j);
}

// --- paths --------------------------------------------------------------------------------

void paths(const PathsFlags& fl, const Common& c) {
  apply_threads(c);
  const std::string where = name_of(fl.input);
  Stream s = read_input(fl.input);
  const auto& sh = s.main.shape;
  if (sh.size() != 3 || sh[0] < 2 || sh[1] < 1)
    throw Error("expected a trajectory of shape (T, n, d) with T >= 2, got " + s.main.shape_str() + " (" + where + ")");
  std::vector<Mat> states;
  const int64_t per = sh[1] * sh[2];
  for (int64_t k = 0; k < sh[0]; ++k) {
    states.push_back(Eigen::Map<const Mat>(s.main.data.data() + k * per, sh[2], sh[1]));
    require_finite(states.back(), where + ", state " + std::to_string(k));
  }
  std::vector<double> times;
  if (s.companion && s.companion->size() == sh[0]) {
    for (float t : s.companion->data) times.push_back(t);
  } else {
    for (int64_t k = 0; k < sh[0]; ++k) times.push_back(double(k) / double(sh[0] - 1));
  }
  PathStats p = path_stats(states, times);
  write_json(c, {{"points", sh[1]}, {"states", sh[0]}, {"path_energy", p.energy}, {"straightness", p.straightness},
                 {"w2_endpoints", p.w2_endpoints}, {"w2_points", p.w2_points}, {"energy_ratio", p.ratio}});
}

}  // namespace

void add_logp(CLI::App& app, LogpFlags& f, Common& c) {
  auto* s = app.add_subcommand("logp", "log density of each point by the reverse ODE (change of variables)");
  s->add_option("-m,--model", f.model, "model file")->required();
  s->add_option("points", f.input, "points (n, d) ('-' or none: standard input)");
  s->add_option("--solver", f.solver, "ODE solver: " + choice_names(solvers()) +
                                          " (not em); auto: dopri5 with --bpd and no --steps, else rk4")->capture_default_str();
  s->add_option("--steps", f.steps, "solver steps (fixed-step solvers)")->capture_default_str();
  s->add_option("--rtol", f.rtol, "relative tolerance (dopri5)")->capture_default_str();
  s->add_option("--atol", f.atol, "absolute tolerance (dopri5)")->capture_default_str();
  s->add_option("--divergence", f.divergence, "divergence: " + choice_names(divergences()))->capture_default_str();
  s->add_option("--probe", f.probe, "Hutchinson probe: " + choice_names(probes()))->capture_default_str();
  s->add_option("--probes", f.probes, "Hutchinson probes per point")->capture_default_str();
  s->add_flag("--bpd", f.bpd, "bits per dimension -log p / (d ln 2) instead of log p");
  s->add_flag("--dequantize{auto}", f.levels,
              "quantized data k / (L - 1) in [0, 1]: add U[0, 1/(L - 1)) noise and d log(L - 1); "
              "--dequantize=L gives L, plain --dequantize takes the levels the model recorded of its data "
              "(flow-train: 17 for the digits, 256 for 8-bit images)");
  s->add_flag("--summary", f.summary, "one JSON object: mean and standard error over the finite points, n_inf (points at -inf), NFE");
  s->add_flag("--with-points", f.with_points, "rows x..., log p (n, d + 1)");
  add_all(*s, c);
  s->callback([&f, &c, s] {
    f.dequantize = s->count("--dequantize") > 0;
    f.steps_given = s->count("--steps") > 0;
    logp(f, c);
  });
}

void add_field(CLI::App& app, FieldFlags& f, Common& c) {
  auto* s = app.add_subcommand("field", "velocity, score, noise or data prediction at time T");
  s->add_option("-m,--model", f.model, "model file")->required();
  s->add_option("points", f.input, "points (n, d) ('-' or none: standard input)");
  s->add_option("--t", f.t, "time in [0, 1]")->required();
  s->add_option("--what", f.what, "quantity: " + choice_names(whats()))->capture_default_str();
  s->add_flag("--with-points", f.with_points, "rows x..., value... (n, 2d), for arrow plots");
  add_output(*s, c);
  add_format(*s, c);
  add_threads(*s, c);
  s->callback([&] { field_values(f, c); });
}

void add_compare(CLI::App& app, CompareFlags& f, Common& c) {
  auto* s = app.add_subcommand("compare", "sample quality between two point sets, as JSON");
  s->add_option("a", f.a, "first point set (samples; '-': standard input)")->required();
  s->add_option("b", f.b, "second point set (reference)")->required();
  s->add_option("--metrics", f.metrics, "comma-separated: " + choice_names(metric_names()) + " (default: all)");
  s->add_option("--projections", f.projections, "directions of the sliced W2")->capture_default_str();
  s->add_option("--bandwidths", f.bandwidths, "MMD kernel widths (default: 0.25..4 x median distance)")
      ->delimiter(',');
  s->add_option("--knn", f.knn, "neighbours of the label classifier")->capture_default_str();
  s->add_option("--max-w2", f.max_w2, "W2 on at most this many points per set (seeded subsample)")
      ->capture_default_str();
  s->add_option("--manifold", f.manifold, "the points' space; w2 uses its geodesic distance: " +
                                              choice_names(manifolds()))
      ->capture_default_str();
  add_output(*s, c);
  add_seed(*s, c);
  add_threads(*s, c);
  s->callback([&] { compare(f, c); });
}

void add_paths(CLI::App& app, PathsFlags& f, Common& c) {
  auto* s = app.add_subcommand("paths", "path energy and straightness of a trajectory, as JSON");
  s->add_option("trajectory", f.input, "trajectory (T, n, d) with times (T,) ('-' or none: standard input)");
  add_output(*s, c);
  add_threads(*s, c);
  s->callback([&] { paths(f, c); });
}

}  // namespace flowkit::cli
