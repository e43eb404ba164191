// Tests of the manifold table (flow/manifold): exp and log round trips, projections, the
// geodesic path's derivative against finite differences, slerp's endpoints, and the source
// laws' densities against quadrature.
#include "flowkit/flow/manifold.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace flowkit;

namespace {
constexpr double kPi = 3.14159265358979323846;

Manifold make(ManifoldKind k) {
  Manifold m;
  m.kind = k;
  return m;
}

// n uniform points on the manifold in d dimensions.
Mat points(const Manifold& m, int d, int n, Rng& rng) {
  Mat x(d, n);
  m.sample_source(rng, x);
  return x;
}

// Random tangent vectors at x of length below `len` (the sphere) or entries in (-len, len).
Mat tangents(const Manifold& m, const Mat& x, double len, Rng& rng) {
  Mat u(x.rows(), x.cols());
  rng.fill_normal(u);
  m.to_tangent(x, u);
  for (Eigen::Index j = 0; j < u.cols(); ++j) {
    if (m.kind == ManifoldKind::sphere) u.col(j) *= float(len * rng.uniform() / u.col(j).norm());
    else
      for (Eigen::Index i = 0; i < u.rows(); ++i) u(i, j) = float(len * (2 * rng.uniform() - 1));
  }
  return u;
}
}  // namespace

TEST_CASE("manifold: exp(log) and log(exp) round trips", "[manifold]") {
  Rng rng(3);
  for (auto [k, d] : {std::pair{ManifoldKind::sphere, 3}, {ManifoldKind::sphere, 6}, {ManifoldKind::torus, 2},
                      {ManifoldKind::torus, 5}}) {
    const Manifold m = make(k);
    INFO(m.name() << " d = " << d);
    const Mat x = points(m, d, 500, rng), y = points(m, d, 500, rng);
    Mat u, z, u2;
    m.log(x, y, u);
    m.exp(x, u, z);
    CHECK(m.distance(z, y).maxCoeff() < 2e-6);
    // |log_x(y)| is the geodesic distance
    CHECK((u.colwise().norm().transpose() - m.distance(x, y)).cwiseAbs().maxCoeff() < 1e-6);
    // log(exp(u)) = u for u inside the injectivity radius (|u| < pi; entries in (-pi, pi))
    const Mat v = tangents(m, x, 0.99 * kPi, rng);
    m.exp(x, v, z);
    m.log(x, z, u2);
    CHECK((u2 - v).cwiseAbs().maxCoeff() < 2e-5);
    // tiny steps: the series near |u| = 0
    const Mat w = tangents(m, x, 1e-6, rng);
    m.exp(x, w, z);
    m.log(x, z, u2);
    // (an angle near 2 pi holds a step of 1e-6 to its float spacing, 2.4e-7)
    CHECK((u2 - w).cwiseAbs().maxCoeff() < (k == ManifoldKind::sphere ? 1e-7 : 5e-7));
  }
}

TEST_CASE("manifold: projections are idempotent and land on the manifold", "[manifold]") {
  Rng rng(5);
  for (auto k : {ManifoldKind::sphere, ManifoldKind::torus}) {
    const Manifold m = make(k);
    Mat x(4, 300);
    rng.fill_normal(x);
    x *= 10.0f;
    m.project(x);
    Mat again = x;
    m.project(again);
    CHECK((again - x).cwiseAbs().maxCoeff() < 1e-7);  // the sphere may renormalize a last bit
    if (k == ManifoldKind::sphere) CHECK((x.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
    else CHECK((x.minCoeff() >= 0 && x.maxCoeff() < 2 * kPi));
    Mat u(4, 300);
    rng.fill_normal(u);
    m.to_tangent(x, u);
    Mat u2 = u;
    m.to_tangent(x, u2);
    CHECK((u2 - u).cwiseAbs().maxCoeff() < 1e-6);
    if (k == ManifoldKind::sphere) CHECK(x.cwiseProduct(u).colwise().sum().cwiseAbs().maxCoeff() < 1e-6);
  }
}

TEST_CASE("manifold: geodesic path derivative against finite differences, for every schedule", "[manifold]") {
  Rng rng(7);
  for (auto k : {ManifoldKind::euclidean, ManifoldKind::sphere, ManifoldKind::torus}) {
    const Manifold m = make(k);
    Mat x0(3, 200), x1(3, 200);
    if (m.curved()) {
      x0 = points(m, 3, 200, rng);
      x1 = points(m, 3, 200, rng);
    } else {
      rng.fill_normal(x0);
      rng.fill_normal(x1);
    }
    for (const char* spec : {"linear", "cosine", "poly:2"}) {
      INFO(m.name() << " " << spec);
      const Schedule s = Schedule::parse(spec);
      const double h = 1e-3;
      for (double t : {0.1, 0.5, 0.83}) {
        Vec tv = Vec::Constant(200, float(t)), tp = Vec::Constant(200, float(t + h)), tm = Vec::Constant(200, float(t - h));
        Mat xt, ut, xp, xm, junk, fd;
        m.geodesic(s, x0, x1, tv, xt, ut);
        m.geodesic(s, x0, x1, tp, xp, junk);
        m.geodesic(s, x0, x1, tm, xm, junk);
        // central difference in the ambient coordinates, across the seam of the torus by its log
        if (m.kind == ManifoldKind::torus) m.log(xm, xp, fd);
        else fd = xp - xm;
        fd /= float(2 * h);
        CHECK((fd - ut).cwiseAbs().maxCoeff() < 5e-3);
        if (m.kind == ManifoldKind::sphere) CHECK((xt.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
      }
      // endpoints: x0 at t = 0, x1 at t = 1 (slerp on the sphere)
      Mat xt, ut;
      m.geodesic(s, x0, x1, Vec::Zero(200), xt, ut);
      CHECK(m.distance(xt, x0).maxCoeff() < 1e-6);
      m.geodesic(s, x0, x1, Vec::Ones(200), xt, ut);
      CHECK(m.distance(xt, x1).maxCoeff() < 2e-6);
    }
  }
}

TEST_CASE("manifold: the euclidean geodesic of the linear schedule is the Gaussian path", "[manifold]") {
  Rng rng(9);
  Mat x0(2, 50), x1(2, 50), target;
  rng.fill_normal(x0);
  rng.fill_normal(x1);
  Vec t(50);
  for (int j = 0; j < 50; ++j) t[j] = float(rng.uniform());
  Mat xt, ut;
  make(ManifoldKind::euclidean).geodesic(Schedule::parse("linear"), x0, x1, t, xt, ut);
  conditional_target(Predict::velocity, Schedule::parse("linear"), x0, x1, t, target);
  CHECK((ut - target).cwiseAbs().maxCoeff() < 1e-6);
  CHECK((xt - (x0 + (x1 - x0) * t.asDiagonal())).cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("manifold: uniform log densities and distances", "[manifold]") {
  CHECK(make(ManifoldKind::sphere).uniform_log_density(3) == Approx(-std::log(4 * kPi)));
  CHECK(make(ManifoldKind::sphere).uniform_log_density(2) == Approx(-std::log(2 * kPi)));
  CHECK(make(ManifoldKind::sphere).uniform_log_density(4) == Approx(-std::log(2 * kPi * kPi)));
  CHECK(make(ManifoldKind::torus).uniform_log_density(2) == Approx(-2 * std::log(2 * kPi)));
  Mat a(3, 2), b(3, 2);
  a << 1, 0, 0, 1, 0, 0;
  b << 0, 0, 1, -1, 0, 0;
  const Vec d = make(ManifoldKind::sphere).distance(a, b);
  CHECK(d[0] == Approx(kPi / 2));
  CHECK(d[1] == Approx(kPi));
  Mat p(2, 1), q(2, 1);
  p << 0.1f, 6.2f;
  q << 6.2f, 0.1f;  // across both seams
  CHECK(make(ManifoldKind::torus).distance(p, q)[0] == Approx(std::sqrt(2.0) * (2 * kPi - 6.1)).epsilon(1e-5));
  CHECK(make(ManifoldKind::torus).squared_distances(p, q)(0, 0) == Approx(2 * std::pow(2 * kPi - 6.1, 2)).epsilon(1e-5));
}

TEST_CASE("manifold: wrapped-normal sources integrate to 1 and match their samples", "[manifold]") {
  for (double sigma : {0.3, 1.0, 3.0}) {
    INFO("sigma " << sigma);
    // S^2: integral over the polar angle of p(theta) 2 pi sin(theta)
    Manifold s = make(ManifoldKind::sphere);
    s.parse_source("wrapped-normal:" + std::to_string(sigma));
    const int n = 20000;
    Mat x(3, n);
    for (int i = 0; i < n; ++i) {
      const double th = kPi * (i + 0.5) / n;
      x.col(i) << float(std::sin(th)), 0.f, float(std::cos(th));
    }
    const Vec lp = s.source_log_density(x);
    double mass = 0;
    for (int i = 0; i < n; ++i) mass += std::exp(double(lp[i])) * 2 * kPi * std::sin(kPi * (i + 0.5) / n) * kPi / n;
    CHECK(mass == Approx(1).epsilon(2e-3));
    // the circle: integral of p over [0, 2 pi)
    Manifold t = make(ManifoldKind::torus);
    t.parse_source("wrapped-normal:" + std::to_string(sigma));
    Mat a(1, n);
    for (int i = 0; i < n; ++i) a(0, i) = float(2 * kPi * (i + 0.5) / n);
    CHECK(t.source_log_density(a).array().exp().cast<double>().sum() * 2 * kPi / n == Approx(1).epsilon(1e-4));
  }
  // Samples: the mean of cos(angle from the pole) against the density's
  Manifold s = make(ManifoldKind::sphere);
  s.parse_source("wrapped-normal:0.5");
  Rng rng(11);
  Mat x(3, 200000);
  s.sample_source(rng, x);
  const double got = x.row(2).cast<double>().mean();
  double want = 0, mass = 0;
  const int n = 20000;
  Mat g(3, n);
  for (int i = 0; i < n; ++i) {
    const double th = kPi * (i + 0.5) / n;
    g.col(i) << float(std::sin(th)), 0.f, float(std::cos(th));
  }
  const Vec lp = s.source_log_density(g);
  for (int i = 0; i < n; ++i) {
    const double w = std::exp(double(lp[i])) * 2 * kPi * std::sin(kPi * (i + 0.5) / n) * kPi / n;
    want += w * g(2, i);
    mass += w;
  }
  CHECK(got == Approx(want / mass).margin(3e-3));
  CHECK((x.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
}

TEST_CASE("manifold: names, sources and bad points", "[manifold]") {
  CHECK(Manifold::parse("sphere").kind == ManifoldKind::sphere);
  REQUIRE_THROWS_WITH(Manifold::parse("cylinder"), Catch::Contains("unknown manifold 'cylinder'; one of euclidean, sphere, torus"));
  Manifold m = Manifold::parse("torus");
  m.parse_source("wrapped-normal:0.25");
  CHECK(m.source_name() == "wrapped-normal:0.25");
  REQUIRE_THROWS_WITH(m.parse_source("wrapped-normal:-1"), Catch::Contains("needs a number S in [1e-4, 100]"));
  // widths whose density sums over millions of windings (or overflow an int) are refused
  REQUIRE_THROWS_WITH(m.parse_source("wrapped-normal:1e9"), Catch::Contains("needs a number S in [1e-4, 100]"));
  m.parse_source("wrapped-normal:100");
  CHECK(m.source_name() == "wrapped-normal:100");
  REQUIRE_THROWS_WITH(m.parse_source("gaussian"), Catch::Contains("unknown source on the torus 'gaussian'"));
  Mat x(3, 2);
  x << 1, 0, 0, 0.9f, 0, 0;
  REQUIRE_THROWS_WITH(Manifold::parse("sphere").require_points(x, "d.npy"),
                      "row 1 has norm 0.9: points on the sphere are unit vectors (within 0.0001) (d.npy)");
  x(0, 1) = NAN;
  REQUIRE_THROWS_WITH(Manifold::parse("torus").require_points(x, "d.npy"), "row 1 is not finite (d.npy)");
  REQUIRE_THROWS_WITH(Manifold::parse("sphere").require_points(Mat::Ones(1, 3), "d.npy"),
                      Catch::Contains("cannot lie on a sphere"));
}
