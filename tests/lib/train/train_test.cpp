// train: learning the exact marginal velocity of a Gaussian mixture, determinism, bit-exact
// resume, divergence detection, couplings.
#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/eval/metrics.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/flow/solve.hpp"
#include "flowkit/train/train.hpp"
#include "flowkit/train/coupling.hpp"
#include "flowkit/nn/net.hpp"

using namespace flowkit;

namespace {
// A 2-D mixture of three isotropic Gaussians (MATH.md "Exact oracles").
struct Gmm {
  std::vector<double> w = {0.3, 0.3, 0.4};
  std::vector<Eigen::Vector2d> m = {{-3, 0}, {3, 0}, {0, 3}};
  double var = 0.2;

  Mat sample(int64_t n, Rng& r, std::vector<int>* labels = nullptr) const {
    Mat x(2, n);
    for (int64_t j = 0; j < n; ++j) {
      const double u = r.uniform();
      const int k = u < w[0] ? 0 : u < w[0] + w[1] ? 1 : 2;
      for (int i = 0; i < 2; ++i) x(i, j) = float(m[size_t(k)][i] + std::sqrt(var) * r.normal());
      if (labels) labels->push_back(k);
    }
    return x;
  }

  // The exact marginal velocity at (x, t) for a schedule.
  Eigen::Vector2d velocity(const Eigen::Vector2d& x, double t, const Schedule& s) const {
    const double a = s.a(t), b = s.b(t), da = s.da(t), db = s.db(t);
    const double c = a * a * var + b * b, dc = 2 * a * da * var + 2 * b * db;
    double tot = 0;
    Eigen::Vector2d v = Eigen::Vector2d::Zero();
    for (size_t k = 0; k < w.size(); ++k) {
      const Eigen::Vector2d r = x - a * m[k];
      const double p = w[k] * std::exp(-r.squaredNorm() / (2 * c));
      v += p * (da * m[k] + dc / (2 * c) * r);
      tot += p;
    }
    return v / tot;
  }
};

TrainConfig small_config() {
  TrainConfig c;
  c.net.width = 64;
  c.net.depth = 3;
  c.net.time_freqs = 4;
  c.batch = 256;
  c.steps = 1500;
  c.optim.lr = 3e-3;
  c.optim.warmup = 50;
  c.optim.clip = 1.0;
  c.ema = 0.99;
  return c;
}

TrainData gmm_data(int64_t n, uint64_t seed, bool labels = false) {
  Gmm g;
  Rng r(seed);
  TrainData d;
  d.target = g.sample(n, r, labels ? &d.labels : nullptr);
  d.shape = {2};
  return d;
}

// Mean squared error of a field's velocity against the oracle at points of the path.
std::pair<double, double> velocity_errors(Field& f, const Schedule& s) {
  Gmm g;
  Rng r(99);
  double err = 0, zero = 0;
  int count = 0;
  for (double t = 0.05; t < 1.0; t += 0.1) {
    Mat x1 = g.sample(500, r), x0(2, 500), v;
    r.fill_normal(x0);
    const Mat x = float(s.a(t)) * x1 + float(s.b(t)) * x0;
    f.velocity(x, t, v);
    for (Eigen::Index j = 0; j < x.cols(); ++j, ++count) {
      const Eigen::Vector2d ve = g.velocity(x.col(j).cast<double>(), t, s);
      err += (v.col(j).cast<double>() - ve).squaredNorm();
      zero += ve.squaredNorm();
    }
  }
  return {err / count, zero / count};
}
}  // namespace

TEST_CASE("the trained velocity approaches the mixture's exact marginal velocity", "[train]") {
  set_threads(1);
  for (Predict p : {Predict::velocity, Predict::noise}) {
    TrainConfig c = small_config();
    c.predict = p;
    Trainer t(c, gmm_data(20000, 1));
    const auto model = run_training(t, {});
    auto field = load_field(model, "trained");
    const auto [err, zero] = velocity_errors(*field, c.schedule);
    INFO("predict " << choice_name(predictions(), p) << ": MSE " << err << ", zero field " << zero);
    CHECK(err < 0.05 * zero);
  }
}

TEST_CASE("the same seed gives the same model, byte for byte; another seed does not", "[train]") {
  TrainConfig c = small_config();
  c.steps = 30;
  c.val_fraction = 0.1;
  Trainer a(c, gmm_data(2000, 2)), b(c, gmm_data(2000, 2));
  const std::string ma = run_training(a, {}).dump(), mb = run_training(b, {}).dump();
  CHECK(ma == mb);
  c.seed = 1;
  Trainer d(c, gmm_data(2000, 2));
  CHECK(run_training(d, {}).dump() != ma);
}

TEST_CASE("2N steps equal N steps, a checkpoint, and N more, byte for byte", "[train]") {
  for (Coupling cp : {Coupling::independent, Coupling::sinkhorn}) {
    TrainConfig c = small_config();
    c.steps = 40;
    c.batch = 64;
    c.coupling = cp;
    c.conditional = true;
    c.val_fraction = 0.2;
    c.sigma_min = 0.01;
    c.t_dist = TimeDist::logit_normal;
    nlohmann::json ck;
    TrainHooks hooks;
    hooks.checkpoint_every = 20;
    hooks.checkpoint = [&](const nlohmann::json& j, int64_t s) {
      if (s == 20) ck = j;
    };
    Trainer full(c, gmm_data(300, 3, true));
    const nlohmann::json want_json = run_training(full, hooks);
    const std::string want = want_json.dump();
    // A fresh trainer continues from the checkpoint text
    Trainer resumed(c, gmm_data(300, 3, true));
    resumed.restore(nlohmann::json::parse(ck.dump()), "ck.json");
    CHECK(resumed.step() == 20);
    const nlohmann::json got = run_training(resumed, {});
    INFO("coupling " << choice_name(couplings(), cp) << ": " << nlohmann::json::diff(want_json, got).dump().substr(0, 300));
    CHECK(got.dump() == want);
    // Other data is refused
    Trainer other(c, gmm_data(300, 4, true));
    CHECK_THROWS_WITH(other.restore(ck, "ck.json"), Catch::Contains("different data"));
  }
}

TEST_CASE("a stop request (a signal) ends the run between steps; its checkpoint resumes bit-exactly", "[train]") {
  TrainConfig c = small_config();
  c.steps = 40;
  c.batch = 64;
  Trainer full(c, gmm_data(300, 6));
  const std::string want = run_training(full, {}).dump();
  Trainer stopped(c, gmm_data(300, 6));
  TrainHooks hooks;
  hooks.stop = [&] { return stopped.step() == 13; };
  CHECK(run_training(stopped, hooks).is_null());
  CHECK(stopped.step() == 13);
  Trainer resumed(c, gmm_data(300, 6));
  resumed.restore(nlohmann::json::parse(stopped.checkpoint_json().dump()), "ck.json");
  CHECK(run_training(resumed, {}).dump() == want);
}

TEST_CASE("a diverging loss stops training with an error naming the step", "[train]") {
  TrainConfig c = small_config();
  c.optim.lr = 1e6;
  c.optim.clip = 0;
  c.steps = 500;
  Trainer t(c, gmm_data(1000, 5));
  int64_t last = -1;
  TrainHooks hooks;
  hooks.checkpoint_every = 1;
  hooks.checkpoint = [&](const nlohmann::json&, int64_t s) { last = s; };
  try {
    run_training(t, hooks);
    FAIL("training did not stop");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("at step " + std::to_string(last + 1)) != std::string::npos);
    CHECK(msg.find("checkpoint is from step " + std::to_string(last)) != std::string::npos);
  }
}

TEST_CASE("training data: fewer points than a batch, labels, NaN are clear errors", "[train]") {
  TrainConfig c = small_config();
  c.batch = 512;
  CHECK_THROWS_WITH(Trainer(c, gmm_data(100, 6)), Catch::Contains("fewer than one batch"));
  c.conditional = true;
  CHECK_THROWS_WITH(Trainer(c, gmm_data(1000, 6)), Catch::Contains("needs labels"));
  Stream s;
  s.main = Array({3, 2});
  s.main.data = {1, 2, 3, NAN, 5, 6};
  CHECK_THROWS_WITH(TrainData::from_streams(s, "x.npy", nullptr, "", false), Catch::Contains("row 1"));
  s.main.data[3] = 4;
  s.companion = Array({2});
  CHECK_THROWS_WITH(TrainData::from_streams(s, "x.npy", nullptr, "", true), Catch::Contains("labels have shape (2,), expected (3,)"));
}

TEST_CASE("Sinkhorn: a plan with uniform marginals; small eps pairs like exact OT", "[train]") {
  Rng r(8);
  const int n = 64;
  Mat x0(1, n), x1(1, n), tmp(1, n);
  r.fill_normal(x0);
  r.fill_normal(x1);
  x1.array() += 3;
  std::vector<int> lab, lab_tmp;
  const double before = (x1 - x0).squaredNorm() / n;
  Sinkhorn s;
  s.couple(x0, x1, lab, tmp, lab_tmp, 0.005, r);
  const MatD& p = s.plan();
  CHECK((p.colwise().sum().array() - 1.0 / n).abs().maxCoeff() < 1e-9);
  CHECK((p.rowwise().sum().array() - 1.0 / n).abs().maxCoeff() < 2e-4 / n);
  // In 1-D the optimal pairing is the sorted one: its cost is the floor
  std::vector<float> a(x0.data(), x0.data() + n), b(x1.data(), x1.data() + n);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  double ot = 0;
  for (int i = 0; i < n; ++i) ot += double(a[size_t(i)] - b[size_t(i)]) * double(a[size_t(i)] - b[size_t(i)]);
  ot /= n;
  const double after = (x1 - x0).squaredNorm() / n;
  INFO("independent " << before << ", sinkhorn " << after << ", exact " << ot);
  CHECK(after < ot * 1.05);
  CHECK(before > ot * 1.05);
}

namespace {
// Mean over trajectories of the Euler path energy sum |v|^2 h minus the squared displacement:
// zero for straight paths at constant speed, larger the more they bend.
double bending(Field& f, int n, int steps) {
  Rng r(21);
  Mat x(2, n), v;
  r.fill_normal(x);
  const Mat start = x;
  double energy = 0;
  for (int k = 0; k < steps; ++k) {
    f.velocity(x, (k + 0.5) / steps, v);
    energy += double(v.squaredNorm()) / steps;
    x += v / float(steps);
  }
  return (energy - double((x - start).squaredNorm())) / n;
}
}  // namespace

TEST_CASE("minibatch OT straightens the learned paths", "[train]") {
  set_threads(1);
  double bend[2];
  for (int ot = 0; ot < 2; ++ot) {
    TrainConfig c = small_config();
    c.steps = 1000;
    c.coupling = ot ? Coupling::ot : Coupling::independent;
    Trainer t(c, gmm_data(20000, 1));
    auto field = load_field(run_training(t, {}), "trained");
    bend[ot] = bending(*field, 2000, 50);
  }
  INFO("bending: independent " << bend[0] << ", ot " << bend[1]);
  CHECK(bend[1] < 0.5 * bend[0]);
}

TEST_CASE("noise- and data-predicting models sampled from t = 0 reach their target", "[train]") {
  // x1hat = (x - b eps) / a multiplies a noise network's error by 1/a, and eps = (x - a x1hat)
  // / b a data network's by 1/b: the network and the conversion must meet where a (or b) is
  // not tiny (path.hpp, conversion_time). Before, a network evaluated at t = 0 (or an rk4
  // stage at t = 1) with the conversion at 1e-4 gave W2 7 to 12. Samples from N(0, I) at
  // t = 0 (euler 100 steps, rk4 25) against fresh draws of the mixture, by exact W2; the
  // velocity-predicting model of the same size (W2 about 0.4 and 0.25) sets the scale.
  set_threads(1);
  for (Predict p : {Predict::velocity, Predict::noise, Predict::data}) {
    TrainConfig c = small_config();
    c.predict = p;
    Trainer t(c, gmm_data(20000, 1));
    auto field = load_field(run_training(t, {}), "trained");
    Rng r(11);
    const Mat target = Gmm().sample(2000, r);
    for (Solver s : {Solver::euler, Solver::rk4}) {
      Mat x(2, 2000);
      r.fill_normal(x);
      SolveOptions o;
      o.solver = s;
      o.steps = s == Solver::rk4 ? 25 : 100;
      FieldSystem sys(*field);
      integrate(sys, x, o);
      const double w2 = x.allFinite() ? w2_exact(x, target) : INFINITY;
      INFO("predict " << choice_name(predictions(), p) << ", " << choice_name(solvers(), s) << ": W2 " << w2);
      CHECK(w2 < 0.7);
    }
  }
}

// Distillation (doc/MATH.md "Distillation"): every column of a batch is the pair's start at
// t = 0 and its goal the step x1 - x0, both in the normalization of the --init model, whose
// sampling weights the run starts from. With the whole pair set in one batch the first loss
// is the plain mean over pairs of |net(z0, 0) - (x1 - x0) / scale|^2, computed here by hand.
TEST_CASE("a distilled step regresses the network at t = 0 onto x1 - x0, from --init's weights and normalization",
          "[train]") {
  TrainConfig fm = small_config();
  fm.steps = 1;
  Trainer teacher(fm, gmm_data(500, 5));
  LearnedModel lm = model_from_json(teacher.model_json(), "teacher");
  lm.mean = Vec::Constant(2, 0.5f);
  lm.scale = (Vec(2) << 2.0f, 3.0f).finished();
  const int64_t n = 64;
  Rng r(8);
  TrainData pairs;
  pairs.noise.resize(2, n);
  r.fill_normal(pairs.noise);
  pairs.target = (-2.0f * pairs.noise).array() + 1.0f;  // paths that all cross at (1/3, 1/3)
  pairs.shape = {2};
  TrainConfig c = small_config();
  c.objective = Objective::distill;
  c.coupling = Coupling::pairs;
  c.batch = n;
  Trainer student(c, pairs);
  student.start_from(lm, "teacher");
  const double loss = student.train_step();
  Net net(lm.net);
  net.params() = lm.sampling_weights();
  const Mat z = (pairs.noise.array().colwise() - lm.mean.array()).colwise() / lm.scale.array();
  const Mat goal = (pairs.target - pairs.noise).array().colwise() / lm.scale.array();
  Mat out;
  net.infer(z, Vec::Zero(n), nullptr, out);
  CHECK(loss == Approx((out - goal).squaredNorm() / double(n)).epsilon(1e-5));
  // The model file says what it is and where it started
  c.init = "teacher.json";
  Trainer named(c, pairs);
  const nlohmann::json j = named.model_json();
  CHECK(j["objective"] == "distill");
  CHECK(j["training"]["init"] == "teacher.json");
  // A network of other inputs is refused in one line
  c.objective = Objective::meanflow;
  c.coupling = Coupling::independent;
  TrainData plain = gmm_data(500, 5);
  Trainer mf(c, plain);
  CHECK_THROWS_WITH(mf.start_from(lm, "teacher"), Catch::Contains("a network of 1 time input(s)"));
}
