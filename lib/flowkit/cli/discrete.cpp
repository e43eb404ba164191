#include "flowkit/cli/discrete.hpp"

#include <cmath>
#include <sstream>

#include "flowkit/io/tokens.hpp"
#include "flowkit/model/discrete_load.hpp"
#include "flowkit/model/field_file.hpp"

namespace flowkit::cli {
namespace {

// The flags of the continuous samplers, which a discrete model has no use for.
const char* const kContinuousFlags[] = {"--solver", "--rtol", "--atol", "--max-steps", "--t0", "--t1",
                                        "--noise", "--sigma", "--drift", "--corrector-steps", "--corrector-eps",
                                        "--from", "--logp"};

void refuse_continuous_flags(const CLI::App& app, const std::string& model) {
  for (const char* flag : kContinuousFlags)
    if (app.get_option_no_throw(flag) && app.count(flag) > 0)
      throw usage_error(std::string(flag) + " does not apply to the discrete model " + model +
                        " (its sampler takes --steps, --grid, --corrector, --class, --guidance and -n)");
}

// --png of token images: each token's grey value (level k of V as k / (V - 1), MASK as 0.5),
// in an array of `shape` for plot::render; the labels (or times) as its companion.
void write_token_png(const std::string& path, const Tokens& x, int vocab, std::vector<int64_t> shape,
                     std::optional<Array> companion, bool trajectory, bool by_label) {
  Stream s;
  s.main = Array(std::move(shape));
  const float scale = vocab > 1 ? 1.0f / float(vocab - 1) : 1.0f;
  for (Eigen::Index k = 0; k < x.size(); ++k)
    s.main.data[size_t(k)] = x.data()[k] < vocab ? float(x.data()[k]) * scale : 0.5f;
  s.companion = std::move(companion);
  write_png(path, s, trajectory, by_label);
}

// --class and --guidance on a discrete model: the label of each sequence (empty: none).
std::vector<int> discrete_labels(const CLI::App& app, const SampleFlags& f, const DiscreteModel& model,
                                 DiscreteSampling& s) {
  check_class_flag(f, app);
  const bool guidance = app.count("--guidance") > 0;
  if ((guidance || !f.classes.empty()) && model.num_classes() == 0)
    throw usage_error(std::string(f.classes.empty() ? "--guidance" : "--class") +
                      " needs a class-conditional model, and " + f.model + " (" + model.describe() + ") is not");
  if (f.classes.empty()) {
    if (guidance) throw usage_error("--guidance needs --class");
    return {};
  }
  if (!std::isfinite(f.guidance)) throw usage_error("--guidance must be a finite number");
  s.guidance = f.guidance;
  return class_labels(parse_classes(f.classes, model.num_classes()), f.n);
}

std::string guidance_note(const DiscreteSampling& s) {
  if (!s.guided()) return "";
  std::ostringstream o;
  o << ", guidance " << s.guidance;
  return o.str();
}

std::unique_ptr<DiscreteModel> read_discrete(const std::string& path) {
  return load_discrete(read_model_json(path), path);
}

void elbo(const ElboFlags& f, const Common& c) {
  auto model = read_discrete(f.model);
  // The estimator's cost is strata x n posteriors: 10,000 strata already take a sequence's
  // standard error far below its data spread
  if (f.strata < 1 || f.strata > 10000) throw usage_error("--strata must be 1..10000, got " + std::to_string(f.strata));
  const TokenStream data = read_tokens(f.input);
  const std::string where = f.input == "-" || f.input.empty() ? "<stdin>" : f.input;
  if (data.x.rows() != model->length())
    throw Error("the data's sequences have " + std::to_string(data.x.rows()) + " tokens, the model's " +
                std::to_string(model->length()) + " (" + where + ")");
  check_tokens(data.x, model->path().vocab, where);
  Rng rng(c.seed);
  const Elbo e = discrete_elbo(*model, data.x, f.strata, rng);
  const double L = e.length, ln2 = std::log(2.0);
  const int64_t n = data.x.cols();
  // +inf (no sequence with a finite bound; no spread from one) is null in JSON
  const auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  const nlohmann::json j = {{"n", n},
                            {"n_inf", e.n_inf},
                            {"length", e.length},
                            {"vocab", model->path().vocab},
                            {"strata", f.strata},
                            {"elbo_nats", num(e.nats)},
                            {"elbo_nats_stderr", num(e.stderr_)},
                            {"nats_per_token", num(e.per_token())},
                            {"nats_per_token_stderr", num(e.stderr_ / L)},
                            {"bits_per_token", num(e.bits_per_token())},
                            {"bits_per_token_stderr", num(e.stderr_ / L / ln2)}};
  if (e.n_inf > 0)
    status(c, "warning: " + std::to_string(e.n_inf) + " of " + std::to_string(n) +
                  " sequences have probability 0 under the model (an ELBO of +inf): the figures are over " +
                  (e.n_inf == n ? std::string("none") : "the other " + std::to_string(n - e.n_inf)),
           true);
  write_output(c.output, [&](std::ostream& os) { os << j.dump(2) << '\n'; });
}

}  // namespace

void add_discrete_sample_flags(CLI::App& app, DiscreteSampleFlags& d) {
  app.add_option("--corrector", d.corrector,
                 "discrete models: corrector weight C >= 0 of the jump sampler (default 0: none)");
}

void sample_discrete(const CLI::App& app, const SampleFlags& f, const DiscreteSampleFlags& d,
                     const Common& c, DiscreteModel& model, int every) {
  refuse_continuous_flags(app, f.model);
  if (f.n < 0) throw usage_error("-n must be >= 0, got " + std::to_string(f.n));
  check_steps(f.steps);
  if (!(d.corrector >= 0) || !std::isfinite(d.corrector)) throw usage_error("--corrector must be a number >= 0");
  DiscreteSampling s;
  SolveOptions grid;
  plan_grid(f, app, grid);
  s.steps = grid.steps;
  s.grid = grid.grid;
  s.corrector = d.corrector;
  const std::vector<int> labels = discrete_labels(app, f, model, s);
  if (!labels.empty()) s.labels = labels.data();
  const bool by_class = !f.classes.empty();
  const int64_t n = by_class ? int64_t(labels.size()) : f.n;  // n per class with --class
  const Format fmt = output_format(c);
  const int threads = apply_threads(c);
  const std::vector<int64_t> shape = model.shape();
  if (!f.png.empty() && shape.size() != 2)
    throw usage_error("--png draws token images (H, W); this model's sequences have shape (" +
                      std::to_string(model.length()) + ")");
  if (every == 0) {
    const Tokens x = sample_tokens(model, n, s, c.seed, threads);
    std::optional<Array> lab;
    if (by_class) lab = Array::from_vector(std::vector<float>(labels.begin(), labels.end()));
    std::vector<int64_t> dims{n};
    dims.insert(dims.end(), shape.begin(), shape.end());
    write_output(c.output, [&](std::ostream& os) { write_tokens(os, x, dims, fmt, lab); });
    if (!f.png.empty()) write_token_png(f.png, x, model.path().vocab, dims, lab, false, by_class);
    status(c, std::to_string(n) + " token samples, " + std::to_string(s.steps) + " jump steps" +
                  (s.grid.kind == GridKind::uniform ? "" : " (grid " + s.grid.name() + ")") + guidance_note(s));
    return;
  }
  // The trajectory: one run (no chunks), every `every`-th state and the last, (T, n, L)
  Rng rng(c.seed);
  Tokens traj;
  sample_tokens(model, n, s, rng, &traj);
  const int64_t L = model.length();
  const std::vector<double> t = time_grid(s.grid, s.steps, 0, 1);
  std::vector<int> keep;
  for (int k = 0; k <= s.steps; k += every) keep.push_back(k);
  if (keep.back() != s.steps) keep.push_back(s.steps);
  Tokens out(L, n * int64_t(keep.size()));
  Array times({int64_t(keep.size())});
  for (size_t k = 0; k < keep.size(); ++k) {
    out.middleCols(int64_t(k) * n, n) = traj.middleRows(L * keep[k], L);
    times.data[k] = float(t[size_t(keep[k])]);
  }
  write_output(c.output, [&](std::ostream& os) {
    write_tokens(os, out, {int64_t(keep.size()), n, L}, fmt, times);
  });
  if (!f.png.empty()) write_token_png(f.png, out, model.path().vocab, {int64_t(keep.size()), n, L}, times, true, false);
}

void add_elbo(CLI::App& app, ElboFlags& f, Common& c) {
  auto* s = app.add_subcommand("elbo", "discrete models: the ELBO of token data (nats and bits per token), as JSON");
  s->add_option("-m,--model", f.model, "discrete model file")->required();
  s->add_option("tokens", f.input, "token data (n, L) ('-' or none: standard input)");
  s->add_option("--strata", f.strata, "stratified times per sequence")->capture_default_str();
  add_seed(*s, c);
  add_output(*s, c);
  s->callback([&f, &c] { elbo(f, c); });
}

}  // namespace flowkit::cli
