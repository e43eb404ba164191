// cli (sampling): flags, checks, outputs and pictures shared by flow-sample and flow-traj.
#include "flowkit/cli/sample.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "flowkit/model/field_file.hpp"
#include "flowkit/io/npy.hpp"

namespace flowkit::cli {
namespace {

enum class Drift { score, plain };
const ChoiceTable<Drift>& drifts() {
  static const ChoiceTable<Drift> t = {
      {"score", Drift::score, "v + g^2/2 s: the same marginals as the ODE (needs a score)"},
      {"plain", Drift::plain, "v: the textbook dX = u dt + g dW (adds noise to the flow)"},
  };
  return t;
}

// "--noise" and the other SDE flags only mean something with --solver em.
const char* kSdeFlags[] = {"--noise", "--sigma", "--drift", "--corrector-steps", "--corrector-eps"};

void check_range(double v, double lo, double hi, const std::string& flag) {
  if (!(v >= lo && v <= hi)) {
    std::ostringstream m;
    m << flag << " must be in [" << lo << ", " << hi << "], got " << v;
    throw usage_error(m.str());
  }
}

bool is_distilled(const nlohmann::json& doc) {
  return doc.is_object() && doc.value("objective", std::string()) == "distill";
}

// A distilled model is a one-step map from t = 0 to 1: any other step is refused.
void plan_distilled(const SampleFlags& f, const CLI::App& app, const std::string& what) {
  if (app.count("--steps") > 0 && f.steps != 1)
    throw usage_error(what + " is a distilled one-step map: it takes --steps 1 (its default), not " +
                      std::to_string(f.steps));
  if (app.count("--grid") > 0) throw usage_error(what + " is a distilled one-step map: no --grid");
  if (f.t0 != 0 || f.t1 != 1) throw usage_error(what + " is a distilled one-step map from t = 0 to 1: no --t0 or --t1");
}

// An average-velocity model (MeanFlow, shortcut, distilled) takes its own steps (the default for
// it, and for it only), forwards in time, with its guidance trained in.
void plan_meanflow(const SampleFlags& f, const CLI::App& app, SamplePlan& p, bool distilled) {
  Solver& s = p.opt.ode.solver;
  const std::string what = p.model + " (" + p.field->describe() + ")";
  if (!p.field->has_average()) {
    if (s == Solver::meanflow)
      throw usage_error("--solver meanflow needs an average-velocity model (flow-train --objective meanflow|shortcut|distill), and " + what +
                        " is not one");
    return;
  }
  if (app.count("--solver") == 0) s = Solver::meanflow;
  if (s != Solver::meanflow)
    throw usage_error(what + " is an average-velocity model: it takes its own steps (--solver meanflow), not " +
                      f.solver);
  if (app.count("--guidance") > 0)
    throw usage_error("--guidance: " + what + " has its guidance trained in (flow-train --mf-guidance, or a guided teacher's pairs); a guided "
                      "sample is one network pass per step");
  if (f.t1 < f.t0) throw usage_error("an average-velocity model steps forwards in time only (--t0 below --t1)");
  if (distilled) plan_distilled(f, app, what);
}

// The solver, grid and SDE options from the flags.
void plan_solver(const SampleFlags& f, const CLI::App& app, SamplePlan& p, const nlohmann::json& doc,
                 bool distilled) {
  SolveOptions& o = p.opt.ode;
  o.solver = parse_choice(solvers(), f.solver, "solver");
  plan_meanflow(f, app, p, distilled);
  check_steps(f.steps);
  if (!(f.rtol > 0) || !(f.atol > 0)) throw usage_error("--rtol and --atol must be positive");
  if (f.max_steps < 1) throw usage_error("--max-steps must be at least 1");
  check_range(f.t0, 0, 1, "--t0");
  check_range(f.t1, 0, 1, "--t1");
  plan_grid(f, app, o);
  if (distilled) o.steps = 1;
  o.rtol = f.rtol;
  o.atol = f.atol;
  o.max_steps = f.max_steps;
  o.t0 = f.t0;
  o.t1 = f.t1;
  SdeOptions& s = p.opt.sde;
  s.noise = parse_choice(noises(), f.noise, "noise");
  const Drift drift = f.drift.empty() ? (p.field->has_score() ? Drift::score : Drift::plain)
                                      : parse_choice(drifts(), f.drift, "drift");
  if (o.solver != Solver::em)
    for (const char* flag : kSdeFlags)
      if (app.count(flag) > 0) throw usage_error(std::string(flag) + " needs --solver em (the SDE)");
  if (!(f.sigma >= 0) || !std::isfinite(f.sigma)) throw usage_error("--sigma must be >= 0");
  if (f.corrector_steps < 0 || f.corrector_steps > 1000) throw usage_error("--corrector-steps must be 0..1000");
  if (!(f.corrector_eps > 0)) throw usage_error("--corrector-eps must be positive");
  s.sigma = f.sigma;
  s.score_drift = drift == Drift::score;
  s.corrector_steps = f.corrector_steps;
  s.corrector_eps = f.corrector_eps;
  const auto sch = doc.find("schedule");
  if (sch != doc.end() && sch->is_string()) s.schedule = Schedule::parse(sch->get<std::string>());
  if (o.solver == Solver::em && s.noise != NoiseKind::none && s.sigma > 0 && s.score_drift &&
      !p.field->has_score())
    throw usage_error("--drift score needs a score, and " + p.model + " (" + p.field->describe() +
                      ") has none; use --drift plain");
  if (o.solver == Solver::em && s.corrector_steps > 0 && !p.field->has_score())
    throw usage_error("--corrector-steps needs a score, and " + p.model + " has none");
}

// --from FILE: points (n, d) or images (n, H, W[, C]) of the model's dimension.
void plan_from(const SampleFlags& f, const CLI::App& app, SamplePlan& p) {
  const Stream s = read_input(f.from);
  const Array& a = s.main;
  const int64_t d = a.shape.size() > 1 ? a.row_size() : 1;
  if (a.rows() == 0) throw Error("--from " + f.from + ": no points (shape " + a.shape_str() + ")");
  if (d != p.field->dim())
    throw Error("--from " + f.from + ": points of dimension " + std::to_string(d) + " (shape " + a.shape_str() +
                "), but the model's have dimension " + std::to_string(p.field->dim()));
  require_row_shape(a, p.field->sample_shape(), "--from " + f.from);
  p.from = Eigen::Map<const Mat>(a.data.data(), d, a.rows());
  require_finite(p.from, "--from " + f.from);
  if (app.count("-n") == 0) {
    p.job.n = a.rows();
  } else if (f.n > a.rows()) {
    throw usage_error("-n " + std::to_string(f.n) + " is more than the " + std::to_string(a.rows()) +
                      " points of --from " + f.from);
  }
  p.from.conservativeResize(Eigen::NoChange, p.job.n);
}

// --class K | K1,K2,.. | all and --guidance W.
void plan_classes(const SampleFlags& f, const CLI::App& app, SamplePlan& p, bool distilled) {
  check_class_flag(f, app);
  if (f.classes.empty()) {
    if (app.count("--guidance") > 0) throw usage_error("--guidance needs --class");
    // no label was dropped in its training: its null label would give the class-blind mean
    if (distilled && p.field->conditional())
      throw usage_error(p.model + " is a conditional distilled map: it learned its pairs' classes only; give --class");
    return;
  }
  if (!p.field->conditional())
    throw usage_error("--class needs a class-conditional model, and " + p.model + " (" + p.field->describe() +
                      ") is not");
  p.classes = parse_classes(f.classes, p.field->num_classes());
  if (!std::isfinite(f.guidance)) throw usage_error("--guidance must be a finite number");
  const int64_t per = p.job.n;
  p.job.n = per * int64_t(p.classes.size());
  p.job.labels = class_labels(p.classes, per);
  p.opt.guidance = f.guidance;
}

}  // namespace

// --grid NAME | power:P | FILE: a file holds the times themselves (T,) or (T, 1), and sets the
// steps to T - 1.
void plan_grid(const SampleFlags& f, const CLI::App& app, SolveOptions& o) {
  if (is_grid_name(f.grid) || !std::ifstream(f.grid)) {
    o.grid = parse_grid(f.grid);
    o.steps = f.steps;
    return;
  }
  if (app.count("--steps") > 0) throw usage_error("--steps and --grid FILE: the file's times set the steps");
  const Array a = read_input(f.grid).main;
  if (a.shape.size() > 2 || (a.shape.size() == 2 && a.shape[1] != 1))
    throw Error("time grid: one column of times, got shape " + a.shape_str() + " (" + f.grid + ")");
  o.grid = TimeGrid::given(std::vector<double>(a.data.begin(), a.data.end()), f.t0, f.t1, f.grid);
  o.steps = int(o.grid.times.size()) - 1;
}

void add_sample_flags(CLI::App& app, SampleFlags& f) {
  app.add_option("-m,--model", f.model, "model file: a trained model (flow-train) or an analytic one (gmm, linear)")
      ->required();
  app.add_option("-n", f.n, "number of samples (per class with --class; default 1000, or all rows of --from)");
  app.add_option("--solver", f.solver, "solver (default euler):\n" + choice_help(solvers()));
  app.add_option("--steps", f.steps, "steps of the fixed-step solvers and em (default 100)");
  app.add_option("--grid", f.grid, "time grid of the fixed-step solvers, em and the jump sampler of discrete models (default uniform):\n" + choice_help(grids()));
  app.add_option("--rtol", f.rtol, "dopri5 relative tolerance (default 1e-5)");
  app.add_option("--atol", f.atol, "dopri5 absolute tolerance (default 1e-5)");
  app.add_option("--max-steps", f.max_steps, "dopri5: give up after this many steps (default 100000)");
  app.add_option("--t0", f.t0, "start time (default 0: noise)");
  app.add_option("--t1", f.t1, "end time (default 1: data); --t0 1 --t1 0 maps data to noise");
  app.add_option("--noise", f.noise, "em: diffusion g(t) (default linear):\n" + choice_help(noises()));
  app.add_option("--sigma", f.sigma, "em: the scale sigma of g(t) (default 1)");
  app.add_option("--drift", f.drift, "em: drift (default score when the model has a score, else plain):\n" +
                                         choice_help(drifts()));
  app.add_option("--corrector-steps", f.corrector_steps, "em: Langevin corrector steps after each step (default 0)");
  app.add_option("--corrector-eps", f.corrector_eps, "em: Langevin step size eps (default 0.01)");
  app.add_option("--from", f.from, "start from these points instead of N(0, I) ('-' is standard input)");
  app.add_option("--class", f.classes,
                 "class-conditional models, continuous or discrete: a class K, a list K1,K2,.., or all (n each)");
  app.add_option("--guidance", f.guidance,
                 "guidance weight W (default 1) with --class: (1 - W) u(x, t) + W u(x, t, y); discrete models: "
                 "the jump rates u(y | x, c)^W u(y | x)^(1 - W)");
  app.add_option("--png", f.png,
                 "also draw the result into this PNG file (SVG or PDF: a name ending in .svg or .pdf)");
}

SamplePlan plan_sampling(const SampleFlags& f, const CLI::App& app, const Common& c, ModelFile mf) {
  SamplePlan p;
  if (f.n < 0) throw usage_error("-n must be >= 0, got " + std::to_string(f.n));
  p.model = f.model;
  const nlohmann::json& doc = mf.doc;
  p.field = std::move(mf.field);
  p.shape = p.field->sample_shape();
  p.job.n = f.n;
  const bool distilled = is_distilled(doc);
  plan_solver(f, app, p, doc, distilled);
  if (!f.from.empty()) {
    plan_from(f, app, p);
    p.job.from = &p.from;
  } else if (f.t0 != 0) {
    throw usage_error("--t0 " + std::to_string(f.t0) + " does not start from noise: give the start points with --from FILE");
  } else if (!p.field->source_is_gaussian() && !p.field->manifold().curved()) {
    throw usage_error(p.model + " starts from a data set, not N(0, I): give the start points with --from FILE");
  }
  plan_classes(f, app, p, distilled);
  if (f.pairs && f.logp) throw usage_error("--pairs and --logp: give one of them");
  if (f.logp) {
    if (p.shape.size() != 1)
      throw usage_error("--logp writes points with their log density, and " + p.model +
                        " makes images: use flow-eval logp --bpd for those");
    p.opt.with_logp = true;
    resolve_divergence(*p.field, p.opt.density);  // a clear error when the field has no divergence
  }
  p.opt.seed = c.seed;
  p.opt.threads = apply_threads(c);
  return p;
}

std::string summary(const SamplePlan& p, const SampleStats& st, const std::string& what) {
  std::ostringstream s;
  s << p.job.n << " " << what << ", " << choice_name(solvers(), p.opt.ode.solver);
  if (adaptive(p.opt.ode.solver))
    s << ", " << st.steps << " steps (" << st.rejected << " rejected)";
  else
    s << ", " << p.opt.ode.steps << " steps";
  s << ", NFE " << st.nfe << ", from " << p.field->describe();
  return s.str();
}

nlohmann::json summary_json(const SamplePlan& p, const SampleStats& st) {
  return {{"n", p.job.n}, {"solver", choice_name(solvers(), p.opt.ode.solver)}, {"nfe", st.nfe},
          {"steps", st.steps}, {"rejected", st.rejected}, {"chunks", st.chunks}};
}

void check_class_flag(const SampleFlags& f, const CLI::App& app) {
  if (app.count("--class") > 0 && f.classes.empty())
    throw usage_error("--class needs a class: K, K1,K2,.. or all");
}

std::vector<int> parse_classes(const std::string& classes, int k) {
  std::vector<int> out;
  if (classes == "all") {
    for (int c = 0; c < k; ++c) out.push_back(c);
    return out;
  }
  std::stringstream ss(classes);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int c = -1;
    try {
      c = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size())
      throw usage_error("--class takes a class number, a list such as 1,3,5, or all; got '" + classes + "'");
    if (c < 0 || c >= k)
      throw usage_error("class " + std::to_string(c) + " is out of range: the model has " + std::to_string(k) +
                        " classes (0.." + std::to_string(k - 1) + ")");
    out.push_back(c);
  }
  if (out.empty()) throw usage_error("--class needs at least one class");
  return out;
}

std::vector<int> class_labels(const std::vector<int>& classes, int64_t per) {
  std::vector<int> labels(classes.size() * size_t(per));
  for (size_t c = 0; c < classes.size(); ++c) std::fill_n(labels.begin() + int64_t(c) * per, per, classes[c]);
  return labels;
}

std::optional<Array> label_array(const SamplePlan& p) {
  if (p.classes.empty()) return std::nullopt;
  Array a({p.job.n});
  std::copy(p.job.labels.begin(), p.job.labels.end(), a.data.begin());
  return a;
}

namespace {
// NPY: the header up front with the full shape, then each chunk's bytes as they come.
class NpySampleWriter : public SampleWriter {
 public:
  NpySampleWriter(std::ostream& out, std::vector<int64_t> shape) : out_(out), shape_(std::move(shape)) {
    const std::string h = npy::header_bytes(shape_);
    out_.write(h.data(), std::streamsize(h.size()));
  }
  void write(const Mat& chunk) override {
    out_.write(reinterpret_cast<const char*>(chunk.data()), std::streamsize(chunk.size() * sizeof(float)));
  }
  void finish(const std::optional<Array>& companion) override {
    if (companion) npy::write_array(out_, *companion);
  }

 private:
  std::ostream& out_;
  std::vector<int64_t> shape_;
};

// Text through the point writer: rows of the samples' shape, whose column names give it back
// (p0_0, .. for images and --pairs: rows of x0.. x3 were read as (n, 4), and flow-train --pairs
// refused its own pairs in CSV).
class TextSampleWriter : public SampleWriter {
 public:
  TextSampleWriter(std::ostream& out, Format f, int64_t n, const std::vector<int64_t>& shape)
      : w_(open_text_writer(out, f, n, shape)) {}
  void write(const Mat& chunk) override { w_->write(chunk); }
  void finish(const std::optional<Array>& companion) override { w_->finish(companion); }

 private:
  std::unique_ptr<PointWriter> w_;
};
}  // namespace

std::unique_ptr<SampleWriter> open_sample_writer(std::ostream& out, Format f, int64_t n,
                                                 const std::vector<int64_t>& shape) {
  std::vector<int64_t> full = {n};
  full.insert(full.end(), shape.begin(), shape.end());
  if (f == Format::npy) return std::make_unique<NpySampleWriter>(out, full);
  return std::make_unique<TextSampleWriter>(out, f, n, shape);
}

void check_png(const SamplePlan& p, bool trajectory) {
  if (p.shape.size() > 1 || p.shape[0] == 2) return;
  throw usage_error(std::string("--png draws ") + (trajectory ? "trajectories" : "samples") +
                    " of 2-D points or images; this model's samples have dimension " + std::to_string(p.shape[0]));
}

void write_png(const std::string& path, const Stream& s, bool trajectory, bool by_label) {
  plot::Options o;
  o.by_label = by_label;
  const size_t rank = s.main.shape.size();
  const plot::Kind kind = trajectory ? plot::Kind::traj : (rank > 2 ? plot::Kind::images : plot::Kind::scatter);
  // PNG unless the name ends in .svg or .pdf
  const plot::Format format = plot::picture_format(path, "", plot::Format::png);
  const std::string bytes = plot::encode(plot::render(s, kind, o), format);
  write_output(path, [&](std::ostream& os) { os.write(bytes.data(), std::streamsize(bytes.size())); });
}

}  // namespace flowkit::cli
