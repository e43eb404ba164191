// Tests of the change-of-variables log density against exact oracles: Gaussian-mixture
// marginal fields (closed-form log p_1) and linear fields (x_1 = expm(A) x_0).
#include "flowkit/flow/density.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <unsupported/Eigen/MatrixFunctions>

#include "flowkit/flow/field_gmm.hpp"
#include "flowkit/flow/field_linear.hpp"

using namespace flowkit;

namespace {

// A K-component mixture in d dimensions with random means, variances and weights.
Gmm random_gmm(int d, int k, Rng& rng) {
  Gmm g;
  g.weights = VecD(k);
  g.means = MatD(d, k);
  g.variances = MatD(d, k);
  for (int j = 0; j < k; ++j) {
    g.weights[j] = 0.5 + rng.uniform();
    for (int i = 0; i < d; ++i) g.means(i, j) = 3.0 * rng.normal(), g.variances(i, j) = 0.05 + 0.5 * rng.uniform();
  }
  g.weights /= g.weights.sum();
  return g;
}

// Mean |log p computed - log p exact| over samples of the mixture.
double mean_abs_error(GmmField& f, const DensityOptions& o, int n, Rng& rng) {
  Mat x = f.sample(n, rng);
  Vec got, want;
  log_density(f, x, o, rng, got);
  f.log_density(x, 1.0, want);
  return (got - want).cwiseAbs().cast<double>().mean();
}

}  // namespace

TEST_CASE("log density of Gaussian-mixture oracles matches the mixture", "[density]") {
  Rng rng(1);
  for (int d : {2, 8})
    for (const char* sched : {"linear", "cosine", "poly:2"})
      for (int rep = 0; rep < 2; ++rep) {
        GmmField f(random_gmm(d, 2 + rep * 2, rng), Schedule::parse(sched));
        DensityOptions rk4;
        rk4.ode.solver = Solver::rk4;
        rk4.ode.steps = 200;
        DensityOptions dopri;
        dopri.ode.solver = Solver::dopri5;
        dopri.ode.rtol = 1e-6;
        dopri.ode.atol = 1e-6;
        INFO(f.describe());
        CHECK(mean_abs_error(f, rk4, 200, rng) < 1e-3);
        CHECK(mean_abs_error(f, dopri, 200, rng) < 1e-3);
      }
}

TEST_CASE("sampling with log density agrees with the reverse evaluation", "[density]") {
  Rng rng(2);
  GmmField f(random_gmm(2, 3, rng), Schedule::parse("linear"));
  DensityOptions o;
  o.ode.solver = Solver::rk4;
  o.ode.steps = 200;
  Mat x(2, 300);
  rng.fill_normal(x);
  Vec fwd, exact;
  sample_with_log_density(f, x, o, rng, fwd);
  f.log_density(x, 1.0, exact);
  CHECK((fwd - exact).cwiseAbs().mean() < 1e-3);
}

TEST_CASE("log density of a linear flow is the pushed-forward Gaussian", "[density]") {
  // x_1 = M x_0 with M = expm(A): log p_1(x) = log N(M^-1 x) - trace(A)
  Rng rng(3);
  int d = 4;
  MatD A(d, d);
  for (int i = 0; i < A.size(); ++i) A.data()[i] = 0.4 * rng.normal();
  LinearField f(A, VecD::Zero(d));
  MatD M = A.exp();
  Mat x(d, 100);
  rng.fill_normal(x);
  Vec want = log_normal((M.inverse() * x.cast<double>()).cast<float>()).array() - float(A.trace());
  DensityOptions o;
  o.ode.solver = Solver::rk4;
  o.ode.steps = 100;
  Vec got;
  log_density(f, x, o, rng, got);
  CHECK((got - want).cwiseAbs().maxCoeff() < 1e-4);
}

TEST_CASE("Hutchinson's estimate is unbiased: its mean agrees within the standard error", "[density]") {
  Rng rng(4);
  int d = 6, reps = 4000;
  MatD A(d, d);
  for (int i = 0; i < A.size(); ++i) A.data()[i] = 0.5 * rng.normal();
  LinearField f(A, VecD::Zero(d));
  Mat one(d, 1);
  rng.fill_normal(one);
  Mat x = one.replicate(1, reps);  // one point, many independent probes
  for (Probe p : {Probe::rademacher, Probe::gaussian}) {
    DensityOptions o;
    o.ode.solver = Solver::rk4;
    o.ode.steps = 20;
    o.divergence = Divergence::exact;
    Vec exact, est;
    log_density(f, one, o, rng, exact);
    o.divergence = Divergence::hutchinson;
    o.probe = p;
    log_density(f, x, o, rng, est);
    double mean = est.cast<double>().mean();
    double se = std::sqrt((est.cast<double>().array() - mean).square().sum() / (reps - 1) / reps);
    CHECK(se > 1e-3);  // the estimator really is noisy here
    CHECK(std::abs(mean - exact[0]) < 4 * se);
    // More probes per point: the same mean, a smaller spread
    o.probes = 16;
    Vec est16;
    log_density(f, x.leftCols(500), o, rng, est16);
    double mean16 = est16.cast<double>().mean();
    double sd16 = std::sqrt((est16.cast<double>().array() - mean16).square().sum() / 499);
    CHECK(sd16 < 0.4 * se * std::sqrt(double(reps)));
  }
}

TEST_CASE("bits per dimension and bad inputs", "[density]") {
  CHECK(bits_per_dim(-2.0 * std::log(2.0), 2, 0) == Approx(1.0));
  // Levels k / (L - 1): bins of width 1 / (L - 1), log2(L - 1) bits per dimension at log p = 0
  CHECK(bits_per_dim(0.0, 64, 17) == Approx(4.0));
  CHECK(bits_per_dim(0.0, 64, 256) == Approx(std::log2(255.0)));
  Rng rng(5);
  GmmField f(random_gmm(2, 2, rng), Schedule::parse("linear"));
  DensityOptions o;
  Vec lp;
  CHECK_THROWS_AS(log_density(f, Mat::Zero(3, 4), o, rng, lp), Error);
  o.divergence = Divergence::hutchinson;
  CHECK_THROWS_AS(log_density(f, Mat::Zero(2, 4), o, rng, lp), Error);
}

namespace {
// The solvers of the overflow tests: rk4 at 100 steps and dopri5 at its default tolerances.
std::vector<DensityOptions> overflow_solvers() {
  DensityOptions rk4, dopri;
  rk4.ode.solver = Solver::rk4;
  rk4.ode.steps = 100;
  dopri.ode.solver = Solver::dopri5;
  return {rk4, dopri};
}
}  // namespace

TEST_CASE("a flow that leaves the float range gives log p = -inf, never NaN, in bounded steps", "[density]") {
  // u = -120 x: the reverse flow from x reaches e^120 x (beyond float), the density
  // log N(e^120 x) + 240 is below what float holds
  LinearField f(-120.0 * MatD::Identity(2, 2), VecD::Zero(2));
  Mat x(2, 144);
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 12; ++j) x.col(12 * i + j) << float(-6 + i * 12.0 / 11), float(-6 + j * 12.0 / 11);
  Rng rng(6);
  for (const DensityOptions& o : overflow_solvers()) {
    INFO(choice_name(solvers(), o.ode.solver));
    Vec lp;
    const SolveStats st = log_density(f, x, o, rng, lp);
    CHECK(st.diverged == x.cols());
    CHECK((lp.array() == -INFINITY).all());
    CHECK(st.nfe < 2000);  // dopri5 drops the frozen points from its step-size control
  }
  // Forwards (samples with their log density) the same: u = +120 x from N(0, I)
  LinearField up(120.0 * MatD::Identity(2, 2), VecD::Zero(2));
  for (const DensityOptions& o : overflow_solvers()) {
    Mat z(2, 50);
    rng.fill_normal(z);
    Vec lp;
    const SolveStats st = sample_with_log_density(up, z, o, rng, lp);
    CHECK(st.diverged == 50);
    CHECK((lp.array() == -INFINITY).all());
    CHECK((z.array() == INFINITY).all());
  }
}

TEST_CASE("points whose flow diverges leave the others' log densities exact", "[density]") {
  // u = diag(-120, 0.5) x: a point with x_1 = 0 flows back to X_0 = (0, e^-0.5 x_2), so
  // log p_1 = log N(X_0) - tr A exactly; every other point diverges
  MatD A = MatD::Zero(2, 2);
  A(0, 0) = -120;
  A(1, 1) = 0.5;
  LinearField f(A, VecD::Zero(2));
  Rng rng(7);
  Mat x(2, 100), calm(2, 50);
  rng.fill_normal(x);
  for (int j = 0; j < 50; ++j) {
    x(0, 2 * j) = 0;
    calm.col(j) = x.col(2 * j);
  }
  Mat back = calm;
  back.row(1) *= float(std::exp(-0.5));
  const Vec want = log_normal(back).array() + 119.5f;
  for (const DensityOptions& o : overflow_solvers()) {
    INFO(choice_name(solvers(), o.ode.solver));
    Vec mixed, alone;
    const SolveStats st = log_density(f, x, o, rng, mixed);
    log_density(f, calm, o, rng, alone);
    CHECK(st.diverged == 50);
    for (int j = 0; j < 50; ++j) {
      CHECK(mixed[2 * j + 1] == -INFINITY);
      CHECK(std::abs(mixed[2 * j] - want[j]) < 1e-3);
      CHECK(std::abs(mixed[2 * j] - alone[j]) < 1e-4);
    }
  }
}
