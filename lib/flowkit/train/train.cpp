#include "flowkit/train/train.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>

#include "flowkit/core/parallel.hpp"
#include "flowkit/data/info.hpp"
#include "flowkit/train/coupling.hpp"
#include "flowkit/train/grad.hpp"

namespace flowkit {
using nlohmann::json;

namespace {
// Random streams: step s uses stream s; the others sit far above any step count.
constexpr uint64_t kEpochStream = uint64_t(1) << 40;
constexpr uint64_t kValStream = uint64_t(1) << 41;
constexpr uint64_t kNormStream = kValStream + 1;
constexpr uint64_t kSplitStream = kValStream + 2;
constexpr uint64_t kInitStream = kValStream + 3;
constexpr int64_t kMaxVal = 4096;   // validation points used
// A U-Net's validation images: a few hundred give the loss to about 1% (its spread over
// images is about 15 times a batch's), where 4,096 made every report cost minutes
constexpr int64_t kMaxValImages = 256;
constexpr Eigen::Index kValPiece = 512;  // an MLP's validation points per piece
constexpr int64_t kToyNorm = 10000; // toy samples for the normalization

uint64_t fnv1a(uint64_t h, const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001B3ULL;
  return h;
}

uint64_t fingerprint(const TrainData& d) {
  uint64_t h = 0xCBF29CE484222325ULL;
  h = fnv1a(h, d.target.data(), size_t(d.target.size()) * sizeof(float));
  h = fnv1a(h, d.labels.data(), d.labels.size() * sizeof(int));
  return fnv1a(h, d.source.data(), size_t(d.source.size()) * sizeof(float));
}

// The U-Net's image from the data's sample shape: (H, W) or (H, W, C).
void set_unet_image(NetConfig& c, const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t v : shape) s += (s.empty() ? "" : ", ") + std::to_string(v);
  if (shape.size() != 2 && shape.size() != 3)
    throw usage_error("--net unet needs images (n, H, W) or (n, H, W, C); the data's samples have shape (" + s + ")");
  c.unet.height = int(shape[0]);
  c.unet.width = int(shape[1]);
  c.unet.image_channels = shape.size() == 3 ? int(shape[2]) : 1;
}

// Each process reads the data itself: they must all have read the same bytes.
void same_data_everywhere(Comm& comm, uint64_t fp) {
  if (comm.size() == 1) return;
  std::vector<uint64_t> all(size_t(comm.size()));
  comm.allgather(&fp, sizeof fp, all.data());
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw Error("process " + std::to_string(r) + " read different training data than process 0 (every process "
                  "reads the data file itself: give them all the same file)");
}

std::string hex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}
}  // namespace

namespace {
// What a flow on a curved manifold does not take (one usage error each).
void validate_on_manifold(const TrainConfig& c) {
  const std::string on = " on the " + c.manifold.name();
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw usage_error(what + on);
  };
  need(c.predict == Predict::velocity, "--predict must be velocity (the tangent field)");
  need(c.sigma_min == 0, "--sigma-min does not apply (the path is a geodesic)");
  need(c.coupling != Coupling::pairs, "--pairs (a reflow's fixed coupling) does not apply");
  need(c.coupling == Coupling::independent || c.coupling == Coupling::ot,
       "--coupling must be independent or ot (OT on the squared geodesic distance)");
  need(c.dequantize == 0, "--dequantize does not apply");
  need(c.net.kind == NetKind::mlp, "--net must be mlp");
  need(c.toy.empty(), "--toy distributions are flat: give a data file");
}

// What a discrete flow (token data) does not take (one usage error each).
void validate_discrete(const TrainConfig& c, const TrainData& d) {
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw usage_error(what + " (the training data are tokens: a discrete flow)");
  };
  need(c.predict == Predict::velocity, "--predict does not apply");
  need(c.objective == Objective::flow_matching,
       std::string("--objective ") + choice_name(objectives(), c.objective) + " does not apply");
  need(c.sigma_min == 0, "--sigma-min does not apply");
  need(c.coupling == Coupling::independent, "--coupling must be independent");
  need(c.dequantize == 0, "--dequantize does not apply");
  need(!c.manifold.curved(), "--manifold does not apply");
  need(c.val_fraction == 0, "--val-fraction is not supported (measure held-out tokens with flow-eval elbo)");
  need(d.source.size() == 0 && d.noise.size() == 0, "a source data set or --pairs does not apply");
  if (c.discrete.vocab > 0 && c.discrete.vocab != d.vocab)
    throw Error("the model's vocabulary is " + std::to_string(c.discrete.vocab) + " tokens, the data's " +
                std::to_string(d.vocab));
}
}  // namespace

namespace {
// What MeanFlow and shortcut training take (one usage error each).
void validate_average_velocity(const TrainConfig& c) {
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw usage_error(std::string("--objective ") + choice_name(objectives(), c.objective) + ": " + what);
  };
  need(c.predict == Predict::velocity, "the network predicts the (average) velocity: --predict velocity");
  need(c.sigma_min == 0, "--sigma-min does not apply");
  need(!c.manifold.curved(), "flat space only (no --manifold)");
  need(c.val_fraction == 0, "no --val-fraction (its target moves with the network: there is no fixed validation set)");
  need(c.mf_ratio >= 0 && c.mf_ratio <= 1, "--mf-ratio must be in [0, 1]");
  need(c.objective != Objective::shortcut || c.mf_ratio < 1,
       "--mf-ratio must be below 1 (the other points learn the velocity its smallest steps take)");
  need(c.mf_power >= 0 && c.mf_power <= 4, "--mf-power must be in [0, 4]");
  need(c.objective == Objective::meanflow || c.mf_power == 1.0,
       "--mf-power is MeanFlow's (a shortcut model regresses plain squares)");
  need(std::isfinite(c.mf_guidance) && c.mf_guidance > 0, "--mf-guidance must be a positive number");
  need(c.mf_guidance == 1 || c.conditional, "--mf-guidance needs --conditional (labels)");
}
// What distillation takes: a fixed coupling and the straight path's t = 0, where x_t = x0 and
// the velocity target is x1 - x0, the one step of the map.
void validate_distill(const TrainConfig& c) {
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw usage_error("--objective distill: " + what);
  };
  need(c.coupling == Coupling::pairs, "it learns a fixed coupling: give --pairs FILE (flow-sample --pairs of a teacher)");
  need(c.predict == Predict::velocity, "the network predicts the step x1 - x0: --predict velocity");
  need(c.schedule.name() == "linear", "the step x1 - x0 is the velocity of the linear schedule at t = 0: --schedule linear");
  need(c.sigma_min == 0, "--sigma-min does not apply");
  need(!c.manifold.curved(), "flat space only (no --manifold)");
  need(c.t_dist == TimeDist::uniform, "every point is learned at t = 0: no --t-dist");
  need(!c.conditional || c.cond_drop == 0, "the map has no unconditional pass (a guided teacher's pairs carry its guidance): --cond-drop 0");
}
}  // namespace

const ChoiceTable<Coupling>& couplings() {
  static const ChoiceTable<Coupling> t = {
      {"independent", Coupling::independent, "x0 and x1 drawn independently"},
      {"ot", Coupling::ot, "minibatch optimal transport: exact assignment on squared distance"},
      {"sinkhorn", Coupling::sinkhorn, "entropic OT (Sinkhorn), pairs sampled from the plan"},
      {"pairs", Coupling::pairs, "the fixed (noise, sample) pairs of --pairs FILE (reflow; set by --pairs)"},
  };
  return t;
}

const ChoiceTable<TimeDist>& time_dists() {
  static const ChoiceTable<TimeDist> t = {
      {"uniform", TimeDist::uniform, "t ~ U[0, 1]"},
      {"logit-normal", TimeDist::logit_normal, "t = sigmoid(n), n ~ N(0, 1): more weight mid-path"},
      {"meanflow", TimeDist::meanflow,
       "t = sigmoid(n), n ~ N(0.4, 1): MeanFlow's lognorm(-0.4, 1) in flowkit's time (data at t = 1)"},
  };
  return t;
}

void TrainConfig::validate() const {
  optim.validate();
  if (steps < 1) throw usage_error("--steps must be at least 1, got " + std::to_string(steps));
  if (batch < 1) throw usage_error("--batch must be at least 1, got " + std::to_string(batch));
  if (!(ema >= 0 && ema < 1)) throw usage_error("--ema must be in [0, 1), got " + std::to_string(ema));
  if (!(val_fraction >= 0 && val_fraction < 1)) throw usage_error("--val-fraction must be in [0, 1)");
  if (!(cond_drop >= 0 && cond_drop < 1)) throw usage_error("--cond-drop must be in [0, 1)");
  if (!two_times(objective) && (mf_ratio != 0.25 || mf_power != 1.0 || mf_guidance != 1.0))
    throw usage_error("--mf-ratio, --mf-power and --mf-guidance need --objective meanflow (or shortcut)");
  if (!(sigma_min >= 0) || !std::isfinite(sigma_min)) throw usage_error("--sigma-min must be 0 or positive");
  if (!(sinkhorn_eps > 0)) throw usage_error("--sinkhorn-eps must be positive");
  if (dequantize != 0 && dequantize != kDequantizeAuto && (dequantize < 2 || dequantize > kMaxLevels))
    throw usage_error("--dequantize=L needs 2 <= L <= " + std::to_string(kMaxLevels) + ", got " + std::to_string(dequantize));
  if (manifold.curved()) validate_on_manifold(*this);
  if (two_times(objective)) validate_average_velocity(*this);
  if (objective == Objective::distill) validate_distill(*this);
}

json TrainConfig::to_json() const {
  json j = {{"steps", steps},
          {"batch", batch},
          {"optimizer", choice_name(optimizers(), optim.kind)},
          {"lr", optim.lr},
          {"warmup", optim.warmup},
          {"decay", choice_name(decays(), optim.decay)},
          {"weight_decay", optim.weight_decay},
          {"clip", optim.clip},
          {"ema", ema},
          {"sigma_min", sigma_min},
          {"t_dist", choice_name(time_dists(), t_dist)},
          {"objective", choice_name(objectives(), objective)},
          {"mf_ratio", mf_ratio},
          {"mf_power", mf_power},
          {"mf_guidance", mf_guidance},
          {"coupling", choice_name(couplings(), coupling)},
          {"sinkhorn_eps", sinkhorn_eps},
          {"val_fraction", val_fraction},
          {"conditional", conditional},
          {"cond_drop", cond_drop},
          {"dequantize", dequantize},
          {"seed", seed},
          {"toy", toy}};
  if (!init.empty()) j["init"] = init;
  if (discrete.vocab > 0) j["loss"] = choice_name(discrete_losses(), discrete_loss);
  return j;
}

TrainConfig TrainConfig::from_json(const json& j, const std::string& where) {
  TrainConfig c;
  try {
    auto name = [&](const char* k) { return j.at(k).get<std::string>(); };
    c.steps = j.at("steps").get<int64_t>();
    c.batch = j.at("batch").get<int64_t>();
    c.optim.kind = parse_choice(optimizers(), name("optimizer"), "optimizer");
    c.optim.lr = j.at("lr").get<double>();
    c.optim.warmup = j.at("warmup").get<int64_t>();
    c.optim.decay = parse_choice(decays(), name("decay"), "decay");
    c.optim.weight_decay = j.at("weight_decay").get<double>();
    c.optim.clip = j.at("clip").get<double>();
    c.ema = j.at("ema").get<double>();
    c.sigma_min = j.at("sigma_min").get<double>();
    c.t_dist = parse_choice(time_dists(), name("t_dist"), "time distribution");
    c.coupling = parse_choice(couplings(), name("coupling"), "coupling");
    // absent from models written before MeanFlow
    c.objective = parse_choice(objectives(), j.value("objective", std::string("flow-matching")), "objective");
    c.mf_ratio = j.value("mf_ratio", 0.25);
    c.mf_power = j.value("mf_power", 1.0);
    c.mf_guidance = j.value("mf_guidance", 1.0);
    c.sinkhorn_eps = j.at("sinkhorn_eps").get<double>();
    c.val_fraction = j.at("val_fraction").get<double>();
    c.conditional = j.at("conditional").get<bool>();
    c.cond_drop = j.at("cond_drop").get<double>();
    c.dequantize = j.value("dequantize", 0);  // absent from models written before it existed
    c.seed = j.at("seed").get<uint64_t>();
    c.toy = name("toy");
    c.init = j.value("init", std::string());
    if (j.contains("loss")) c.discrete_loss = parse_choice(discrete_losses(), name("loss"), "loss");
  } catch (const std::exception& e) {
    throw Error(where + ": bad or missing training settings: " + e.what());
  }
  return c;
}

// Everything a step needs, sized once.
struct Trainer::Impl {
  Comm& comm;
  TrainData data;
  int levels = 0;  // of quantized training data (k / (L - 1)), else 0
  ToySpec toy;  // the built-in distribution when there is no data set
  std::optional<ToySampler> toy_sampler;  // and its sampler, resolved once
  Net net;
  Adam adam;
  BatchGradient batch_gradient;
  Params grad, ema;
  Vec mean, scale, out_scale, out_shift;
  std::vector<size_t> train_idx, perm, val_idx;
  int64_t perm_epoch = -1;
  Mat x0, x1, xt, target, z, goal, tmp;
  Vec t, gap;  // MeanFlow: each column's t - r (t holds r)
  Tokens x0_tok, x1_tok, xt_tok;  // a discrete flow's
  std::vector<int> lab, lab_tmp;
  Sinkhorn sinkhorn;
  Mat val_z, val_goal;
  std::vector<std::unique_ptr<Net>> val_nets;   // one per thread
  std::vector<BatchGradient::Piece> val_pieces; // one per thread
  std::vector<double> val_sq, val_all;          // each piece's squared error; every process's
  Vec val_t;
  std::vector<int> val_lab;
  double loss_ema = 0;
  int64_t loss_count = 0;
  std::optional<double> last_val;
  uint64_t fingerprint = 0;

  Impl(const TrainConfig& c, TrainData d, Comm& comm_)
      : comm(comm_), data(std::move(d)), net(c.net), adam(c.optim, param_count(c.net)),
        batch_gradient(comm, c.shards, BatchGradient::min_columns(c.net), c.exchange) {
    toy.name = c.toy;
  }
};


namespace {
using Impl = Trainer::Impl;

// --dequantize: plain (auto) takes the levels found in the data, which must be quantized.
void resolve_dequantize(int& dequantize, int levels, bool toy) {
  if (dequantize == 0) return;
  if (toy) throw usage_error("--dequantize needs a quantized data set, not a --toy distribution");
  // Explicit levels must hold the data's grid k / (levels - 1) (17-level digits trained as 2
  // levels gave a bits-per-dimension figure of nothing)
  if (dequantize != kDequantizeAuto && !on_level_grid(dequantize, levels))
    throw usage_error("--dequantize=" + std::to_string(dequantize) + ": the training data are " +
                      (levels < 2 ? std::string("not quantized (values k / (L - 1) in [0, 1])")
                                  : "on the grid of " + std::to_string(levels) + " levels, not on that of " +
                                        std::to_string(dequantize) + "; give --dequantize=" + std::to_string(levels)));
  if (dequantize != kDequantizeAuto) return;
  if (levels < 2)
    throw usage_error("--dequantize: the training data are not quantized (values k / (L - 1) in [0, 1] with L <= " +
                      std::to_string(kMaxLevels) + "); give the levels, e.g. --dequantize=256");
  dequantize = levels;
}

// Adds U[0, 1/(levels - 1)) noise to every entry of x (dequantization), using `noise` as room.
void dequantize_batch(Mat& x, Mat& noise, int levels, Rng& r) {
  noise.resize(x.rows(), x.cols());
  r.fill_uniform(noise.data(), size_t(noise.size()));
  x += noise * (1.0f / float(levels - 1));
}

// The target points of a batch from the data set: epoch after epoch of seeded shuffles.
void data_batch(const TrainConfig& c, Impl& m, int64_t step) {
  const int64_t ntr = int64_t(m.train_idx.size());
  for (int64_t k = 0; k < c.batch; ++k) {
    const int64_t pos = step * c.batch + k, epoch = pos / ntr;
    if (epoch != m.perm_epoch) {
      m.perm = m.train_idx;
      Rng r(c.seed, kEpochStream + uint64_t(epoch));
      shuffle_indices(m.perm, r);
      m.perm_epoch = epoch;
    }
    const size_t i = m.perm[size_t(pos % ntr)];
    m.x1.col(k) = m.data.target.col(long(i));
    if (m.data.noise.size() > 0) m.x0.col(k) = m.data.noise.col(long(i));  // pairs: its own start
    if (!m.lab.empty()) m.lab[size_t(k)] = m.data.labels[i];
  }
}

// Source points: N(0, I) (or the manifold's source law), or uniform draws from the source data set.
void source_batch(const TrainConfig& c, Impl& m, Rng& r) {
  if (m.data.noise.size() > 0) return;  // pairs: each x0 came with its x1
  if (m.data.source.size() == 0) {
    c.manifold.sample_source(r, m.x0);
    return;
  }
  for (Eigen::Index k = 0; k < m.x0.cols(); ++k)
    m.x0.col(k) = m.data.source.col(long(r.below(uint64_t(m.data.source.cols()))));
}

double draw_time(TimeDist d, Rng& r) {
  if (d == TimeDist::uniform) return r.uniform();
  return 1.0 / (1.0 + std::exp(-(r.normal() + (d == TimeDist::meanflow ? 0.4 : 0.0))));
}

// MeanFlow's times: two draws, r the smaller and t the larger; then, for all but a fraction
// mf_ratio of the columns, t = r (where the average velocity is the velocity). m.t holds r
// (the path's time: the point is x_r), m.gap t - r.
void meanflow_times(const TrainConfig& c, Impl& m, Rng& r) {
  m.gap.resize(m.t.size());
  for (Eigen::Index k = 0; k < m.t.size(); ++k) {
    const double a = draw_time(c.t_dist, r), b = draw_time(c.t_dist, r);
    const bool apart = r.uniform() < c.mf_ratio;
    m.t[k] = float(std::min(a, b));
    m.gap[k] = apart ? float(std::max(a, b)) - m.t[k] : 0.0f;
  }
}

// A shortcut model's times (Frans et al. 2024; doc/MATH.md "Shortcut models"): a fraction
// mf_ratio of the columns, spread evenly (so that each shard and piece has a fixed number),
// learn self-consistency: a step d = 2^-j, j uniform below kShortcutLevels, from r = k d, k
// uniform below 2^j (the grid a sampler of 2^j steps walks); the rest learn the velocity at
// t ~ t_dist with gap 0.
void shortcut_times(const TrainConfig& c, Impl& m, Rng& r) {
  m.gap.resize(m.t.size());
  for (Eigen::Index k = 0; k < m.t.size(); ++k) {
    const bool boot = std::floor(double(k + 1) * c.mf_ratio) > std::floor(double(k) * c.mf_ratio);
    if (!boot) {
      m.t[k] = float(draw_time(c.t_dist, r));
      m.gap[k] = 0.0f;
      continue;
    }
    const uint64_t steps = uint64_t(1) << r.below(kShortcutLevels);
    const double d = 1.0 / double(steps);
    m.t[k] = float(double(r.below(steps)) * d);
    m.gap[k] = float(d);
  }
}

// A discrete flow's batch: times (kept below 1 - kDiscreteTEps, where kappa'/(1 - kappa) is
// finite), x0 from the source, x_t on the mixture path; z = x_t and goal = x_1 (as floats).
constexpr double kDiscreteTEps = 1e-3;
void discrete_batch(const TrainConfig& c, Impl& m, Rng& r) {
  for (Eigen::Index k = 0; k < m.t.size(); ++k) m.t[k] = float(draw_time(c.t_dist, r) * (1 - kDiscreteTEps));
  m.x1_tok = m.x1.cast<int32_t>();
  m.x0_tok.resize(m.x1.rows(), m.x1.cols());
  draw_source(c.discrete, m.x0_tok, r);
  draw_path(c.discrete, m.x0_tok, m.x1_tok, m.t, m.xt_tok, r);
  m.z = m.xt_tok.cast<float>();
  m.goal = m.x1;
}

// x_t, the conditional target, and both in normalized units (network input z, goal).
void path_batch(const TrainConfig& c, Impl& m, Rng& r) {
  if (c.objective == Objective::meanflow)
    meanflow_times(c, m, r);
  else if (c.objective == Objective::shortcut)
    shortcut_times(c, m, r);
  else if (c.objective == Objective::distill)
    m.t.setZero();  // the map's one step: x_0 and x1 - x0
  else
    for (Eigen::Index k = 0; k < m.t.size(); ++k) m.t[k] = float(draw_time(c.t_dist, r));
  if (c.manifold.curved()) {  // the geodesic x_t and its velocity; no normalization
    c.manifold.geodesic(c.schedule, m.x0, m.x1, m.t, m.xt, m.target);
    m.z = m.xt;
    m.goal = m.target;
    return;
  }
  for (Eigen::Index k = 0; k < m.t.size(); ++k) {
    const double tk = m.t[k];
    m.xt.col(k) = float(c.schedule.a(tk)) * m.x1.col(k) + float(c.schedule.b(tk)) * m.x0.col(k);
  }
  if (c.sigma_min > 0) {
    r.fill_normal(m.tmp);
    m.xt += float(c.sigma_min) * m.tmp;
  }
  conditional_target(c.predict, c.schedule, m.x0, m.x1, m.t, m.target);
  m.z.array() = (m.xt.array().colwise() - m.mean.array()).colwise() / m.scale.array();
  m.goal.array() = (m.target.array().colwise() - m.out_shift.array()).colwise() / m.out_scale.array();
}

// Fixed validation points, noise and times (labels kept), in normalized units.
void make_validation(const TrainConfig& c, Impl& m, const Mat& x1, const std::vector<int>& labels, const Mat& x0) {
  Rng r(c.seed, kValStream);
  const Eigen::Index n = x1.cols();
  m.x1 = x1;
  m.lab = labels;
  m.x0.resize(x1.rows(), n);
  if (x0.size() > 0) m.x0 = x0;  // pairs
  m.xt.resize(x1.rows(), n);
  m.tmp.resize(x1.rows(), n);
  if (c.dequantize >= 2) dequantize_batch(m.x1, m.tmp, c.dequantize, r);
  m.t.resize(n);
  source_batch(c, m, r);
  path_batch(c, m, r);
  m.val_z = m.z;
  m.val_goal = m.goal;
  m.val_t = m.t;
  m.val_lab = m.lab;
}

// Sizes the step workspaces once, then builds the validation set in them.
void init_validation(const TrainConfig& c, Impl& m, const std::vector<size_t>& val) {
  const bool toy = m.data.target.size() == 0;
  if (c.val_fraction > 0) {
    Mat x1, x0;
    std::vector<int> labels;
    if (toy) {
      Rng r(c.seed, kValStream + 4);
      x1 = sample_toy(m.toy, 2048, r);
    } else {
      const size_t nv = std::min(val.size(), size_t(c.net.kind == NetKind::unet ? kMaxValImages : kMaxVal));
      x1.resize(m.data.target.rows(), long(nv));
      if (m.data.noise.size() > 0) x0.resize(x1.rows(), x1.cols());
      for (size_t i = 0; i < nv; ++i) {
        x1.col(long(i)) = m.data.target.col(long(val[i]));
        if (x0.size() > 0) x0.col(long(i)) = m.data.noise.col(long(val[i]));
        if (!m.data.labels.empty()) labels.push_back(m.data.labels[val[i]]);
      }
    }
    make_validation(c, m, x1, labels, x0);
  }
  const Eigen::Index d = c.net.dim, b = c.batch;
  for (Mat* w : {&m.x0, &m.x1, &m.xt, &m.target, &m.z, &m.goal, &m.tmp}) w->resize(d, b);
  m.t.resize(b);
  m.lab.assign(m.data.labels.empty() ? 0 : size_t(b), 0);
  m.lab_tmp = m.lab;
}
// Normalization: per-dimension mean and scale of the training target for an MLP; one mean and
// scale for every pixel for a U-Net, whose convolutions share their weights across pixels (a
// border pixel that is always 0 would otherwise be scaled up to the floor's 13-fold)
void normalization(const TrainConfig& cfg, Impl& m, bool discrete) {
  Mat tr(m.data.target.rows(), int64_t(m.train_idx.size()));
  for (size_t i = 0; i < m.train_idx.size(); ++i) tr.col(long(i)) = m.data.target.col(long(m.train_idx[i]));
  m.mean = tr.rowwise().mean();
  Vec sd = ((tr.colwise() - m.mean).array().square().rowwise().mean()).sqrt();
  if (cfg.net.kind == NetKind::unet) {
    const double mu = tr.cast<double>().mean();
    m.mean.setConstant(float(mu));
    sd.setConstant(float(std::sqrt((tr.cast<double>().array() - mu).square().mean())));
  }
  const float floor = std::max(0.25f * std::sqrt(sd.array().square().mean()), 1e-6f);
  m.scale = sd.array().max(floor);
  if (cfg.manifold.curved() || discrete) {  // the network sees the point itself (a unit vector, or angles)
    m.mean.setZero();
    m.scale.setOnes();
  }
}

// The normalization of a model the run continues (--init, a checkpoint): the validation set is
// made again in it.
void renormalize(const TrainConfig& c, Impl& m, const Vec& mean, const Vec& scale, const std::string& where) {
  if (mean.size() != m.mean.size() || scale.size() != m.scale.size())
    throw Error(where + ": a normalization of dimension " + std::to_string(mean.size()) + " for data of dimension " +
                std::to_string(m.mean.size()));
  m.mean = mean;
  m.scale = scale;
  output_affine(c.predict, m.mean, m.scale, m.out_scale, m.out_shift);
  init_validation(c, m, m.val_idx);
}
}  // namespace

Trainer::~Trainer() = default;

Trainer::Trainer(const TrainConfig& cfg, TrainData data, Comm& comm) : cfg_(cfg) {
  const bool toy = data.target.size() == 0;
  if (toy && cfg.toy.empty()) throw usage_error("no training data and no --toy distribution");
  if (toy) {
    Rng r(cfg.seed, kNormStream);
    ToySpec spec;
    spec.name = cfg.toy;
    data.target = sample_toy(spec, kToyNorm, r);
    data.shape = {data.target.rows()};
  }
  cfg_.net.dim = int(data.target.rows());
  cfg_.net.periodic = cfg.manifold.kind == ManifoldKind::torus;
  if (cfg_.net.harmonics != 1 && !cfg_.net.periodic) throw usage_error("--harmonics is for angles: --manifold torus");
  if (cfg.manifold.curved()) {
    if (data.source.size() > 0) throw usage_error("a bridge from a data set (--source FILE) is flat, not on the " + cfg.manifold.name());
    cfg.manifold.require_points(data.target, "training data on the " + cfg.manifold.name());
  }
  const bool discrete = data.vocab > 0;
  if (discrete) {
    validate_discrete(cfg, data);
    cfg_.discrete.vocab = data.vocab;
    cfg_.net.token_states = cfg_.discrete.states();
    cfg_.net.token_vocab = data.vocab;
  }
  if (cfg_.net.kind == NetKind::unet) set_unet_image(cfg_.net, data.shape);
  cfg_.net.num_classes = 0;
  cfg_.net.time_inputs = two_times(cfg.objective) ? 2 : 1;  // u(z, r, t - r)
  if (cfg.conditional) {  // the labels' largest + 1, or a given count above it (--init's model's)
    if (data.labels.empty()) throw usage_error("--conditional needs labels (the data stream's companion array)");
    cfg_.net.num_classes = std::max(*std::max_element(data.labels.begin(), data.labels.end()) + 1, cfg.net.num_classes);
  }
  if ((cfg.coupling == Coupling::pairs) != (data.noise.size() > 0))
    throw usage_error(data.noise.size() > 0 ? "pairs need --coupling pairs (flow-train --pairs sets it)"
                                            : "--coupling pairs needs --pairs FILE (flow-sample --pairs)");
  if (data.noise.size() > 0 && (data.noise.rows() != data.target.rows() || data.noise.cols() != data.target.cols() ||
                                data.source.size() > 0))
    throw usage_error("--pairs: the pairs carry their own start points (no --source)");
  if (data.source.size() > 0 && data.source.rows() != data.target.rows())
    throw Error("the source data has dimension " + std::to_string(data.source.rows()) + ", the target " +
                std::to_string(data.target.rows()));
  cfg_.optim.total_steps = cfg.steps;
  cfg_.validate();
  impl_ = std::make_unique<Impl>(cfg_, std::move(data), comm);
  Impl& m = *impl_;
  m.fingerprint = toy ? 0 : fingerprint(m.data);
  same_data_everywhere(comm, m.fingerprint);
  m.batch_gradient.plan(cfg.batch);
  m.batch_gradient.set_manifold(cfg.manifold);
  if (discrete) m.batch_gradient.set_discrete({cfg_.discrete, cfg_.discrete_loss});
  m.levels = toy || discrete ? 0 : quantization_levels(m.data.target.data(), size_t(m.data.target.size()));
  resolve_dequantize(cfg_.dequantize, m.levels, toy);
  // Split off the validation points (a seeded shuffle)
  const int64_t n = m.data.target.cols();
  std::vector<size_t> all(static_cast<size_t>(n));
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<size_t> val;
  if (toy) {
    m.train_idx = all;
  } else {
    Rng r(cfg.seed, kSplitStream);
    shuffle_indices(all, r);
    const auto nval = size_t(std::llround(cfg.val_fraction * double(n)));
    val.assign(all.begin(), all.begin() + long(nval));
    m.train_idx.assign(all.begin() + long(nval), all.end());
    std::sort(m.train_idx.begin(), m.train_idx.end());
    if (int64_t(m.train_idx.size()) < cfg.batch)
      throw Error("the data set has " + std::to_string(m.train_idx.size()) + " training points, fewer than one batch (" +
                  std::to_string(cfg.batch) + "); use a smaller --batch");
    if (cfg.val_fraction > 0 && val.empty()) throw Error("--val-fraction leaves no validation points");
  }
  normalization(cfg_, m, discrete);
  output_affine(cfg.predict, m.mean, m.scale, m.out_scale, m.out_shift);
  if (toy) m.data.target.resize(0, 0);
  // Network and optimizer state
  Rng r(cfg.seed, kInitStream);
  m.net.init(r);
  if (cfg.ema > 0) m.ema = m.net.params();
  m.grad.resize(m.net.params().size());
  m.val_idx = std::move(val);
  init_validation(cfg_, m, m.val_idx);
}

double Trainer::train_step() {
  const TrainConfig& c = cfg_;
  Impl& m = *impl_;
  Rng r(c.seed, uint64_t(step_));
  // The pairs (x0, x1), coupled, and the path
  if (m.data.target.size() == 0) {
    if (!m.toy_sampler) m.toy_sampler.emplace(m.toy);
    m.x1.resize(m.toy_sampler->dim(), c.batch);
    m.toy_sampler->sample(r, m.x1);
  } else {
    data_batch(c, m, step_);
    if (c.dequantize >= 2) dequantize_batch(m.x1, m.tmp, c.dequantize, r);
  }
  if (c.discrete.vocab > 0) {
    discrete_batch(c, m, r);
  } else {
    source_batch(c, m, r);
    if (c.coupling == Coupling::ot) couple_ot(m.x0, m.x1, m.lab, m.tmp, m.lab_tmp, c.manifold);
    if (c.coupling == Coupling::sinkhorn) m.sinkhorn.couple(m.x0, m.x1, m.lab, m.tmp, m.lab_tmp, c.sinkhorn_eps, r);
    path_batch(c, m, r);
  }
  // Classifier-free guidance: drop labels to the null label with probability cond_drop
  if (c.conditional)
    for (int& y : m.lab)
      if (r.uniform() < c.cond_drop) y = c.net.num_classes;
  // Loss, gradient, update
  const bool shortcut = c.objective == Objective::shortcut;
  const MeanFlowLoss mf{&m.gap, shortcut ? 0.0 : c.mf_power, c.mf_guidance, c.net.num_classes, shortcut};
  const double loss = m.batch_gradient(m.net, m.z, m.t, m.lab, m.goal, m.grad,
                                       two_times(c.objective) ? &mf : nullptr);
  if (!std::isfinite(loss)) return loss;
  clip_grad_norm(m.grad, c.optim.clip);
  m.adam.step(m.net.params(), m.grad, step_);
  if (c.ema > 0) ema_update(m.ema, m.net.params(), c.ema, step_);
  m.loss_ema = 0.98 * m.loss_ema + 0.02 * loss;
  ++m.loss_count;
  ++step_;
  return loss;
}

Exchange Trainer::exchange() const {
  return impl_->batch_gradient.exchange(impl_->net.params().size());
}

double Trainer::smoothed_loss() const {
  const Impl& m = *impl_;
  return m.loss_count == 0 ? NAN : m.loss_ema / (1 - std::pow(0.98, double(m.loss_count)));
}

bool Trainer::has_validation() const { return impl_->val_z.cols() > 0; }

double Trainer::validation_loss() {
  Impl& m = *impl_;
  if (!has_validation()) return NAN;
  // The inference pass in pieces (a U-Net's whole validation set at once would hold gigabytes of
  // activations), dealt out to the processes (piece p to process p mod size) and spread over
  // each one's threads, every piece through one thread's copy of the network; the pieces'
  // sums are added in piece order, so the figure depends on neither the threads nor processes
  const Eigen::Index n = m.val_z.cols(), step = cfg_.net.kind == NetKind::unet ? kUNetPiece : kValPiece;
  const int64_t count = (n + step - 1) / step, procs = m.comm.size(), rank = m.comm.rank();
  const int64_t mine = (count - rank + procs - 1) / procs;
  const int threads = int(std::clamp<int64_t>(std::min<int64_t>(omp_get_max_threads(), mine), 1, INT32_MAX));
  const Params& p = cfg_.ema > 0 ? m.ema : m.net.params();
  while (m.val_nets.size() < size_t(threads)) m.val_nets.push_back(std::make_unique<Net>(cfg_.net));
  m.val_pieces.resize(m.val_nets.size());
  for (int i = 0; i < threads; ++i) m.val_nets[size_t(i)]->params() = p;
  m.val_sq.assign(size_t(count), 0.0);
  const SerialProducts serial(threads == 1);  // a lone thread's products as a team member's
  parallel_for(mine, threads, Spread::fixed, [&](int64_t i, int thread) {
    const int64_t piece = rank + i * procs;
    const Eigen::Index c0 = piece * step, k = std::min(step, n - c0);
    BatchGradient::Piece& w = m.val_pieces[size_t(thread)];
    w.z = m.val_z.middleCols(c0, k);
    w.t = m.val_t.segment(c0, k);
    m.val_nets[size_t(thread)]->infer(w.z, w.t, m.val_lab.empty() ? nullptr : m.val_lab.data() + c0, w.out);
    w.out -= m.val_goal.middleCols(c0, k);
    cfg_.manifold.to_tangent(w.z, w.out);  // the sphere's projected output
    m.val_sq[size_t(piece)] = double(w.out.squaredNorm());
  });
  if (procs > 1) {
    m.val_all.resize(size_t(count * procs));
    m.comm.allgather(m.val_sq.data(), size_t(count) * sizeof(double), m.val_all.data());
    for (int64_t q = 0; q < count; ++q) m.val_sq[size_t(q)] = m.val_all[size_t((q % procs) * count + q)];
  }
  double sq = 0;
  for (double v : m.val_sq) sq += v;
  const double v = sq / double(n);
  m.last_val = v;
  return v;
}

json Trainer::model_json() const {
  const Impl& m = *impl_;
  LearnedModel lm;
  lm.net = cfg_.net;
  lm.objective = cfg_.objective;
  lm.schedule = cfg_.schedule;
  lm.schedule.sigma_min = cfg_.sigma_min;
  lm.predict = cfg_.predict;
  lm.shape = m.data.shape;
  lm.mean = m.mean;
  lm.scale = m.scale;
  lm.source_data = m.data.source.size() > 0;
  lm.manifold = cfg_.manifold;
  lm.discrete = cfg_.discrete;
  lm.weights = m.net.params();
  lm.ema = m.ema;
  lm.training = cfg_.to_json();
  lm.training["steps_done"] = step_;
  if (m.levels > 0) lm.training["levels"] = m.levels;  // quantized data: for --dequantize
  lm.training["final_loss"] = m.loss_count ? json(smoothed_loss()) : json(nullptr);
  if (m.last_val) lm.training["final_val_loss"] = *m.last_val;
  if (m.val_z.cols() > 0) lm.training["val_points"] = int64_t(m.val_z.cols());
  return model_to_json(lm);
}

json Trainer::checkpoint_json() const {
  const Impl& m = *impl_;
  json j = model_json();
  j["checkpoint"] = {{"step", step_},
                     {"adam_m", floats_to_base64(m.adam.m().data(), m.adam.m().size())},
                     {"adam_v", floats_to_base64(m.adam.v().data(), m.adam.v().size())},
                     {"loss_ema", m.loss_ema},
                     {"loss_count", m.loss_count},
                     {"data_fingerprint", hex(m.fingerprint)}};
  return j;
}

void Trainer::restore(const json& ck, const std::string& where) {
  Impl& m = *impl_;
  const LearnedModel lm = model_from_json(ck, where);
  if (!ck.contains("checkpoint")) throw Error(where + ": not a checkpoint (no 'checkpoint' section)");
  const json& c = ck["checkpoint"];
  try {
    if (c.at("data_fingerprint").get<std::string>() != hex(m.fingerprint))
      throw Error(where + ": the checkpoint was trained on different data");
    const int64_t s = c.at("step").get<int64_t>();
    if (s < 0 || s > cfg_.steps)
      throw Error(where + ": checkpoint step " + std::to_string(s) + " is beyond --steps " + std::to_string(cfg_.steps));
    const auto mm = base64_to_floats(c.at("adam_m").get<std::string>(), where + ": adam_m");
    const auto vv = base64_to_floats(c.at("adam_v").get<std::string>(), where + ": adam_v");
    if (mm.size() != m.grad.size() || vv.size() != m.grad.size() || lm.weights.size() != m.grad.size() ||
        (cfg_.ema > 0) != !lm.ema.empty())
      throw Error(where + ": the checkpoint's sizes do not match its architecture");
    m.net.params() = lm.weights;
    m.ema = lm.ema;
    if (!lm.is_discrete()) renormalize(cfg_, m, lm.mean, lm.scale, where);
    m.adam.m().assign(mm.begin(), mm.end());
    m.adam.v().assign(vv.begin(), vv.end());
    m.loss_ema = c.at("loss_ema").get<double>();
    m.loss_count = c.at("loss_count").get<int64_t>();
    step_ = s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": bad checkpoint section: " + e.what());
  }
}

namespace {
std::string shape_text(const std::vector<int64_t>& s) {
  std::string t;
  for (int64_t v : s) t += (t.empty() ? "" : " x ") + std::to_string(v);
  return t;
}
}  // namespace

void check_start(const LearnedModel& lm, const TrainConfig& c, const std::vector<int64_t>& shape, const std::string& where) {
  if (lm.is_discrete()) throw Error(where + ": a discrete model; --init takes a flow of points or images");
  if (lm.manifold.name() != c.manifold.name())
    throw Error(where + ": a model on " + lm.manifold.name() + ", the run's data on " + c.manifold.name() + " (--manifold)");
  if (!shape.empty() && lm.shape != shape)
    throw Error(where + ": a model of samples of shape " + shape_text(lm.shape) + ", the training data's are " +
                shape_text(shape));
  // the network's output means what the run's target means
  if (lm.predict != c.predict || lm.schedule.name() != c.schedule.name() || lm.schedule.sigma_min != c.sigma_min ||
      lm.source_data)
    throw Error(where + ": a model that predicts " + choice_name(predictions(), lm.predict) + " on the " +
                lm.schedule.name() + " schedule" + (lm.schedule.sigma_min > 0 ? " with --sigma-min" : "") +
                (lm.source_data ? " from a source data set" : "") + "; the run's network predicts " +
                choice_name(predictions(), c.predict) + " on the " + c.schedule.name() + " schedule" +
                (c.sigma_min > 0 ? " with --sigma-min" : "") + " from N(0, I)");
}

void Trainer::start_from(const LearnedModel& lm, const std::string& where) {
  Impl& m = *impl_;
  if (cfg_.discrete.vocab > 0) throw Error(where + ": --init takes a flow of points or images, not token data");
  check_start(lm, cfg_, m.data.shape, where);
  if (lm.net.num_classes != cfg_.net.num_classes)
    throw Error(where + ": a model of " + std::to_string(lm.net.num_classes) + " classes, the run's has " +
                std::to_string(cfg_.net.num_classes) + " (--conditional: the data's labels)");
  if (lm.net.time_inputs != cfg_.net.time_inputs)
    throw Error(where + ": a network of " + std::to_string(lm.net.time_inputs) + " time input(s); --objective " +
                choice_name(objectives(), cfg_.objective) + " takes " + std::to_string(cfg_.net.time_inputs));
  const json a = net_to_json(lm.net), b = net_to_json(cfg_.net);
  if (a != b) throw Error(where + ": its network " + a.dump() + " is not the run's " + b.dump());
  const Params& w = lm.sampling_weights();
  if (w.size() != m.net.params().size()) throw Error(where + ": the model's sizes do not match its architecture");
  m.net.params() = w;
  if (cfg_.ema > 0) m.ema = w;
  renormalize(cfg_, m, lm.mean, lm.scale, where);
}

}  // namespace flowkit
