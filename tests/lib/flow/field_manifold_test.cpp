// Tests of fields on manifolds (flow/field_manifold): the Riemannian divergence against
// finite differences on the sphere, the rotation oracle (uniform density kept exactly, points
// turned by the known angle), the constant field on the torus, projected solvers that never
// leave the manifold, and the solvers a manifold refuses.
#include "flowkit/flow/field_manifold.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <unsupported/Eigen/MatrixFunctions>

#include "flowkit/flow/density.hpp"
#include "flowkit/flow/field_linear.hpp"
#include "flowkit/flow/sampler.hpp"

using namespace flowkit;

namespace {
constexpr double kPi = 3.14159265358979323846;

std::unique_ptr<ManifoldField> on(const char* name, const MatD& A, const VecD& b, const char* source = "uniform") {
  Manifold m = Manifold::parse(name);
  m.parse_source(source);
  return std::make_unique<ManifoldField>(std::make_unique<LinearField>(A, b), m);
}

// An orthonormal basis of the tangent space at x (|x| = 1), in double.
MatD tangent_basis(const VecD& x) {
  const int d = int(x.size());
  MatD q = MatD::Identity(d, d) - x * x.transpose();
  Eigen::JacobiSVD<MatD> svd(q, Eigen::ComputeFullU);
  return svd.matrixU().leftCols(d - 1);
}

MatD rotation_generator() {  // about the axis (1, 2, 2) / 3 at angular speed 1.5
  VecD w(3);
  w << 1, 2, 2;
  w *= 1.5 / 3;
  MatD A(3, 3);
  A << 0, -w[2], w[1], w[2], 0, -w[0], -w[1], w[0], 0;
  return A;
}

DensityOptions rk4(int steps) {
  DensityOptions o;
  o.ode.solver = Solver::rk4;
  o.ode.steps = steps;
  return o;
}
}  // namespace

TEST_CASE("manifold field: Riemannian divergence on the sphere against finite differences", "[manifold]") {
  Rng rng(1);
  for (int d : {3, 5}) {
    MatD A(d, d);
    VecD b(d);
    for (int i = 0; i < A.size(); ++i) A.data()[i] = rng.normal();
    for (int i = 0; i < d; ++i) b[i] = rng.normal();
    auto f = on("sphere", A, b);
    Mat x(d, 40);
    f->manifold().sample_source(rng, x);
    Mat v;
    Vec div;
    f->velocity_divergence(x, 0.3, v, div);
    CHECK(x.cwiseProduct(v).colwise().sum().cwiseAbs().maxCoeff() < 1e-5);  // tangent
    // sum_i <e_i, d/ds v(exp_x(s e_i))> over an orthonormal tangent basis, central differences
    const double h = 1e-3;
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const VecD xj = x.col(j).cast<double>();
      const MatD E = tangent_basis(xj);
      double fd = 0;
      for (int i = 0; i < d - 1; ++i) {
        Mat xs(d, 2), vs;
        xs.col(0) = (xj * std::cos(h) + E.col(i) * std::sin(h)).cast<float>();
        xs.col(1) = (xj * std::cos(h) - E.col(i) * std::sin(h)).cast<float>();
        f->velocity(xs, 0.3, vs);
        fd += E.col(i).dot((vs.col(0) - vs.col(1)).cast<double>()) / (2 * h);
      }
      CHECK(div[j] == Approx(fd).margin(2e-3 * (1 + std::abs(fd))));
    }
  }
  // The gradient of a linear function on S^{d-1}: div = -(d - 1) <a, x> (the Laplacian of a
  // degree-1 spherical harmonic)
  VecD a(3);
  a << 0.5, -1, 2;
  auto g = on("sphere", MatD::Zero(3, 3), a);
  Mat x(3, 10), v;
  Vec div;
  g->manifold().sample_source(rng, x);
  g->velocity_divergence(x, 0, v, div);
  CHECK((div - (-2.0f) * (a.cast<float>().transpose() * x).transpose()).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("manifold field: Hutchinson with tangent probes is unbiased on the sphere", "[manifold]") {
  Rng rng(2);
  MatD A(3, 3);
  for (int i = 0; i < 9; ++i) A.data()[i] = rng.normal();
  auto f = on("sphere", A, VecD::Zero(3));
  Mat x(3, 20);
  f->manifold().sample_source(rng, x);
  DensityOptions ex = rk4(20), hu = rk4(20);
  hu.divergence = Divergence::hutchinson;
  hu.probes = 4000;
  Vec lp_ex, lp_hu;
  log_density(*f, x, ex, rng, lp_ex);
  log_density(*f, x, hu, rng, lp_hu);
  // unbiased: the mean difference over the points is within its noise (about 0.02 here); with
  // ambient probes the estimate is off by the normal term x^T J x integrated along the path
  CHECK(std::abs((lp_ex - lp_hu).mean()) < 0.05);
  CHECK((lp_ex - lp_hu).cwiseAbs().maxCoeff() < 0.3);
}

TEST_CASE("manifold field: a rotation of the sphere keeps the uniform density and turns points", "[manifold]") {
  const MatD A = rotation_generator();
  auto f = on("sphere", A, VecD::Zero(3));
  Rng rng(3);
  Mat x(3, 256);
  f->manifold().sample_source(rng, x);
  for (Divergence dv : {Divergence::exact, Divergence::hutchinson}) {
    DensityOptions o = rk4(50);
    o.divergence = dv;
    Vec lp;
    log_density(*f, x, o, rng, lp);
    CHECK((lp.array() + float(std::log(4 * kPi))).abs().maxCoeff() < 1e-5);
  }
  // x(1) = expm(A) x(0): a rotation by 1.5 radians about the axis
  SampleOptions so;
  so.ode.solver = Solver::rk4;
  so.ode.steps = 50;
  SampleJob job;
  job.n = x.cols();
  job.from = &x;
  Mat y;
  sample_chunks(*f, job, so, [&](int64_t, const Mat& c) { y = c; });
  const Mat want = (A.exp().cast<float>() * x);
  CHECK((y - want).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((y.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
}

TEST_CASE("manifold field: a constant field on the torus carries its source", "[manifold]") {
  VecD b(2);
  b << 4.0, -2.5;  // more than half a turn: the flow crosses the seam
  auto f = on("torus", MatD::Zero(2, 2), b, "wrapped-normal:0.7");
  Rng rng(4);
  Mat x(2, 300);
  x.setRandom();
  x = (x.array() + 1) * float(kPi);
  f->manifold().project(x);
  Vec lp;
  log_density(*f, x, rk4(10), rng, lp);
  // p_1(x) = p_0(x - b)
  Mat back = x.colwise() - b.cast<float>();
  f->manifold().project(back);
  CHECK((lp - f->manifold().source_log_density(back)).cwiseAbs().maxCoeff() < 1e-4);
  SampleOptions so;
  so.ode.solver = Solver::euler;
  so.ode.steps = 7;
  SampleJob job;
  job.n = 300;
  job.from = &back;
  Mat y;
  sample_chunks(*f, job, so, [&](int64_t, const Mat& c) { y = c; });
  CHECK(f->manifold().distance(y, x).maxCoeff() < 1e-5);
  CHECK((y.minCoeff() >= 0 && y.maxCoeff() < 2 * kPi));
}

TEST_CASE("manifold field: projected solvers never leave the sphere; dopri5 and em are refused", "[manifold]") {
  MatD A(4, 4);
  Rng rng(5);
  for (int i = 0; i < 16; ++i) A.data()[i] = 3 * rng.normal();
  auto f = on("sphere", A, VecD::Constant(4, 1.0));
  for (Solver s : {Solver::euler, Solver::midpoint, Solver::heun, Solver::rk4}) {
    SampleOptions so;
    so.ode.solver = s;
    so.ode.steps = 13;
    so.seed = 9;
    SampleJob job;
    job.n = 3000;
    Mat y;
    double worst = 0;
    sample_chunks(*f, job, so, [&](int64_t, const Mat& c) {
      worst = std::max(worst, double((c.colwise().norm().array() - 1).abs().maxCoeff()));
    }, [&](int64_t, int64_t, double, const Mat& c) {
      CHECK((c.colwise().norm().array() - 1).abs().maxCoeff() < 1e-5);
    });
    CHECK(worst < 1e-6);
  }
  for (Solver s : {Solver::dopri5, Solver::em}) {
    SampleOptions so;
    so.ode.solver = s;
    SampleJob job;
    job.n = 10;
    REQUIRE_THROWS_WITH(sample_chunks(*f, job, so, [](int64_t, const Mat&) {}),
                        Catch::Contains("does not keep a flow on the sphere"));
  }
  Mat off = Mat::Constant(4, 3, 0.7f);
  Vec lp;
  REQUIRE_THROWS_WITH(log_density(*f, off, rk4(4), rng, lp), Catch::Contains("row 0 has norm 1.4"));
  REQUIRE_THROWS_WITH(log_density(*f, Mat::Ones(2, 3), rk4(4), rng, lp),
                      Catch::Contains("points of dimension 2 for a model of dimension 4"));
}
