#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/flow/field_gmm.hpp"
#include "flowkit/flow/field_linear.hpp"
#include "flowkit/flow/sampler.hpp"

using namespace flowkit;
using nlohmann::json;

namespace {

std::unique_ptr<GmmField> mixture(const std::string& schedule) {
  const json doc = {{"format", "flowkit-model"}, {"version", 1}, {"type", "gmm"}, {"schedule", schedule},
                    {"weights", {0.5, 0.3, 0.2}},
                    {"means", {{1.0, 0.5}, {-1.0, 1.0}, {0.0, -1.5}}},
                    {"variances", {{0.1, 0.2}, {0.3, 0.05}, {0.2, 0.2}}}};
  return GmmField::from_json(doc, "test.json");
}

// All final states of a sampling run, as one d x n matrix.
Mat run(const Field& f, const SampleOptions& o, int64_t n, const Mat* from = nullptr) {
  Mat all(f.dim(), n);
  SampleJob job;
  job.n = n;
  job.from = from;
  sample_chunks(f, job, o, [&](int64_t first, const Mat& x) { all.middleCols(first, x.cols()) = x; });
  return all;
}

// Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (U-statistics within each set).
double energy_distance(const Mat& x, const Mat& y) {
  auto mean_dist = [](const Mat& a, const Mat& b, bool same) {
    double s = 0;
    for (Eigen::Index i = 0; i < a.cols(); ++i)
      for (Eigen::Index j = same ? i + 1 : 0; j < b.cols(); ++j) s += (a.col(i) - b.col(j)).norm();
    const double pairs = same ? 0.5 * double(a.cols()) * double(a.cols() - 1) : double(a.cols()) * double(b.cols());
    return s / pairs;
  };
  return 2 * mean_dist(x, y, false) - mean_dist(x, x, true) - mean_dist(y, y, true);
}

struct Moments {
  Eigen::Vector2d mean;
  Eigen::Matrix2d cov;
};
Moments moments(const Mat& x) {
  const MatD xd = x.cast<double>();
  Moments m;
  m.mean = xd.rowwise().mean();
  const MatD c = xd.colwise() - m.mean;
  m.cov = c * c.transpose() / double(x.cols() - 1);
  return m;
}

// The exact mixture's moments: mean sum w m, covariance sum w (S + m m^T) - mean mean^T.
Moments exact_moments(const Gmm& g) {
  Moments m;
  m.mean = g.means * g.weights;
  m.cov.setZero();
  for (int k = 0; k < g.weights.size(); ++k)
    m.cov += g.weights[k] * (MatD(g.variances.col(k).asDiagonal()) + g.means.col(k) * g.means.col(k).transpose());
  m.cov -= m.mean * m.mean.transpose();
  return m;
}

// How far samples are from the mixture: worst moment error, and the energy distance to
// exact samples.
struct Gap {
  double moment, energy;
};
Gap gap(const GmmField& f, const Mat& x) {
  const Moments got = moments(x), want = exact_moments(f.gmm());
  Rng rng(77);
  const Mat exact = f.sample(1500, rng);
  return {std::max((got.mean - want.mean).cwiseAbs().maxCoeff(), (got.cov - want.cov).cwiseAbs().maxCoeff()),
          energy_distance(x.leftCols(1500), exact)};
}

constexpr double kMomentBound = 0.06, kEnergyBound = 0.01;

}  // namespace

TEST_CASE("sampler: ODE samples of the oracle match the mixture, for every schedule", "[solve]") {
  for (const char* sch : {"linear", "cosine", "poly:2"}) {
    auto f = mixture(sch);
    SampleOptions o;
    o.ode.solver = Solver::rk4;
    o.ode.steps = 40;
    o.ode.grid = GridKind::cosine;
    o.chunk = 1024;
    const Gap g = gap(*f, run(*f, o, 4000));
    INFO(sch << " moment gap " << g.moment << " energy " << g.energy);
    CHECK(g.moment < kMomentBound);
    CHECK(g.energy < kEnergyBound);
  }
}

TEST_CASE("sampler: SDE samples (g > 0, score drift) match the mixture, for every schedule", "[solve]") {
  for (const char* sch : {"linear", "cosine", "poly:2"}) {
    for (NoiseKind noise : {NoiseKind::linear, NoiseKind::schedule, NoiseKind::constant}) {
      auto f = mixture(sch);
      SampleOptions o;
      o.ode.solver = Solver::em;
      o.ode.steps = 400;
      o.sde.noise = noise;
      o.sde.sigma = 1.0;
      o.sde.schedule = f->schedule();
      o.chunk = 1024;
      const Gap g = gap(*f, run(*f, o, 4000));
      INFO(sch << " noise " << choice_name(noises(), noise) << " moment gap " << g.moment << " energy " << g.energy);
      CHECK(g.moment < kMomentBound);
      CHECK(g.energy < kEnergyBound);
    }
  }
}

TEST_CASE("sampler: the bounds fail a wrong solver", "[solve]") {
  // Two Euler steps, or the SDE without its score drift, land visibly off the mixture
  auto f = mixture("linear");
  SampleOptions o;
  o.ode.solver = Solver::euler;
  o.ode.steps = 2;
  const Gap coarse = gap(*f, run(*f, o, 4000));
  CHECK((coarse.moment > kMomentBound || coarse.energy > kEnergyBound));
  o.ode.solver = Solver::em;
  o.ode.steps = 400;
  o.sde.noise = NoiseKind::linear;
  o.sde.sigma = 1.5;
  o.sde.score_drift = false;
  const Gap plain = gap(*f, run(*f, o, 4000));
  INFO("coarse " << coarse.moment << " " << coarse.energy << "; plain drift " << plain.moment << " " << plain.energy);
  CHECK(plain.moment > kMomentBound);
  CHECK(plain.energy > kEnergyBound);
}

TEST_CASE("sampler: Langevin corrector steps keep the marginals", "[solve]") {
  auto f = mixture("linear");
  SampleOptions o;
  o.ode.solver = Solver::em;
  o.ode.steps = 200;
  o.sde.noise = NoiseKind::linear;
  o.sde.corrector_steps = 2;
  o.sde.corrector_eps = 0.002;
  const Gap g = gap(*f, run(*f, o, 4000));
  INFO("moment gap " << g.moment << " energy " << g.energy);
  CHECK(g.moment < kMomentBound);
  CHECK(g.energy < kEnergyBound);
}

TEST_CASE("sampler: g = 0 is the Euler sampler bit for bit", "[solve]") {
  auto f = mixture("cosine");
  SampleOptions o;
  o.ode.solver = Solver::euler;
  o.ode.steps = 30;
  o.seed = 5;
  const Mat euler = run(*f, o, 300);
  o.ode.solver = Solver::em;
  for (auto [noise, sigma] : {std::pair{NoiseKind::none, 1.0}, {NoiseKind::linear, 0.0}}) {
    o.sde.noise = noise;
    o.sde.sigma = sigma;
    CHECK(run(*f, o, 300) == euler);
  }
}

TEST_CASE("sampler: the bytes depend on the seed, not on threads or chunk scheduling", "[solve]") {
  auto f = mixture("linear");
  SampleOptions o;
  o.ode.solver = Solver::em;
  o.ode.steps = 20;
  o.chunk = 100;
  o.seed = 9;
  o.threads = 1;
  const Mat one = run(*f, o, 1050);
  o.threads = 3;
  CHECK(run(*f, o, 1050) == one);
  o.seed = 10;
  CHECK(run(*f, o, 1050) != one);
  // Whole chunks do not depend on how many points follow them
  o.seed = 9;
  CHECK(run(*f, o, 250).leftCols(200) == one.leftCols(200));
}

TEST_CASE("sampler: forwards then backwards returns the start", "[solve]") {
  for (const char* sch : {"linear", "cosine"}) {
    auto f = mixture(sch);
    SampleOptions o;
    o.ode.solver = Solver::dopri5;
    o.ode.rtol = o.ode.atol = 1e-6;
    o.seed = 2;
    Mat start(2, 500);
    Rng rng(4);
    rng.fill_normal(start);
    const Mat data = run(*f, o, 500, &start);
    std::swap(o.ode.t0, o.ode.t1);
    const Mat back = run(*f, o, 500, &data);
    INFO(sch << " round trip error " << (back - start).cwiseAbs().maxCoeff());
    CHECK((back - start).cwiseAbs().maxCoeff() < 2e-3);
    // Encoding data with the reverse ODE gives N(0, I)
    Rng r2(6);
    const Mat x1 = f->sample(4000, r2);
    const Moments m = moments(run(*f, o, 4000, &x1));
    CHECK(m.mean.cwiseAbs().maxCoeff() < 0.05);
    CHECK((m.cov - Eigen::Matrix2d::Identity()).cwiseAbs().maxCoeff() < 0.06);
  }
}

TEST_CASE("sampler: the linear field with noise is Brownian motion / OU", "[solve]") {
  // The zero field, plain drift, g = sigma: X_1 = X_0 + sigma W_1, so Var = 1 + sigma^2
  const json zero = {{"format", "flowkit-model"}, {"version", 1}, {"type", "linear"}, {"A", {{0.0}}}};
  auto f = load_field(zero, "brownian.json");
  SampleOptions o;
  o.ode.solver = Solver::em;
  o.ode.steps = 50;
  o.sde.noise = NoiseKind::constant;
  o.sde.sigma = 0.5;
  o.sde.score_drift = false;
  const Mat x = run(*f, o, 20000);
  const double var = (x.array().square().sum() / x.cols());
  CHECK(var == Approx(1.25).epsilon(0.04));
  o.sde.score_drift = true;
  REQUIRE_THROWS_WITH(run(*f, o, 10), Catch::Contains("use --drift plain"));
}

TEST_CASE("sampler: bad jobs are errors", "[solve]") {
  auto f = mixture("linear");
  SampleOptions o;
  SampleJob job;
  job.n = -1;
  REQUIRE_THROWS_AS(sample_chunks(*f, job, o, [](int64_t, const Mat&) {}), Error);
  job.n = 3;
  Mat from(3, 2);
  job.from = &from;
  REQUIRE_THROWS_WITH(sample_chunks(*f, job, o, [](int64_t, const Mat&) {}),
                      Catch::Contains("dimension 3, the model 2"));
  job.from = nullptr;
  job.labels = {0, 1, 2};
  REQUIRE_THROWS_WITH(sample_chunks(*f, job, o, [](int64_t, const Mat&) {}), Catch::Contains("not class-conditional"));
}

TEST_CASE("sampler: labels per point draw each class of a conditional oracle", "[solve]") {
  json doc = {{"format", "flowkit-model"}, {"version", 1}, {"type", "gmm"}, {"schedule", "linear"},
              {"weights", {0.5, 0.5}}, {"means", {{-2.0, 0.0}, {2.0, 0.0}}},
              {"variances", {{0.05, 0.05}, {0.05, 0.05}}}, {"labels", {0, 1}}};
  auto f = load_field(doc, "two.json");
  SampleOptions o;
  o.ode.solver = Solver::em;
  o.ode.steps = 200;
  o.chunk = 64;  // chunks that straddle the classes
  SampleJob job;
  job.n = 300;
  for (int i = 0; i < 300; ++i) job.labels.push_back(i < 100 ? 1 : (i < 200 ? 0 : -1));
  Mat all(2, 300);
  sample_chunks(*f, job, o, [&](int64_t first, const Mat& x) { all.middleCols(first, x.cols()) = x; });
  CHECK((all.leftCols(100).row(0).array() > 1).all());
  CHECK((all.middleCols(100, 100).row(0).array() < -1).all());
  const int right = int((all.rightCols(100).row(0).array() > 0).count());
  CHECK(right > 35);
  CHECK(right < 65);
}

TEST_CASE("sampler: the Langevin corrector pulls a wrong law towards p_t", "[solve]") {
  // Start from exact samples of p_t scaled by 2 and shifted; Langevin steps with the exact
  // score at the same t must bring the moments back to p_t's (a no-op stays far off).
  auto f = mixture("linear");
  const double t = 0.6, a = f->schedule().a(t), b = f->schedule().b(t);
  Gmm gt = f->gmm();  // p_t: means a m_k, variances a^2 S_k + b^2
  gt.means *= a;
  gt.variances = (a * a * gt.variances.array() + b * b).matrix();
  const Moments want = exact_moments(gt);
  Rng rng(8);
  Mat x1 = f->sample(4000, rng), x0(2, 4000);
  rng.fill_normal(x0);
  Mat x = 2.0f * (float(a) * x1 + float(b) * x0);
  x.row(0).array() += 1.5f;
  x.row(1).array() -= 1.0f;
  auto error = [&](const Mat& y) {
    const Moments got = moments(y);
    return std::max((got.mean - want.mean).cwiseAbs().maxCoeff(), (got.cov - want.cov).cwiseAbs().maxCoeff());
  };
  const double before = error(x);
  Mat s, xi;
  CHECK(langevin_correct(*f, x, t, 500, 0.01, rng, s, xi) == 500);
  const double after = error(x);
  INFO("moment error before " << before << ", after 500 corrector steps " << after);
  CHECK(before > 1.0);
  CHECK(after < 0.08);
  CHECK_THROWS_AS(langevin_correct(*f, x, 1.0, 1, 0.01, rng, s, xi), Error);
}

TEST_CASE("sampler: the corrector follows every step but the last (never at t = 1)", "[solve]") {
  auto f = mixture("linear");
  SampleOptions o;
  o.ode.solver = Solver::em;
  o.ode.steps = 10;
  o.sde.noise = NoiseKind::linear;
  SampleJob job;
  job.n = 50;
  const auto nfe = [&](int corrector) {
    o.sde.corrector_steps = corrector;
    return sample_chunks(*f, job, o, [](int64_t, const Mat&) {}).nfe;
  };
  CHECK(nfe(3) - nfe(0) == 3 * (o.ode.steps - 1));
}
