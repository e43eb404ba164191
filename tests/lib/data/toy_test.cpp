// Tests of the built-in distributions, mixtures and grids (lib/flowkit/toy.cpp, mixture.cpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "flowkit/data/data.hpp"

using namespace flowkit;

namespace {
Mat draw(const std::string& name, int64_t n, uint64_t seed = 1, std::map<std::string, double> p = {}) {
  Rng rng(seed);
  return sample_toy({name, std::move(p), ""}, n, rng);
}
// Midpoint-rule integral of exp(log density) over [-a, a]^2 on an N x N grid.
double integral(const ToySpec& s, double a, int64_t N) {
  const Mat g = grid_points(-a, a, -a, a, N);
  return toy_log_density(s, g).array().exp().sum() * (2 * a) * (2 * a) / double(N * N);
}
}  // namespace

TEST_CASE("Every distribution samples finite points, the same for the same seed", "[data]") {
  for (const auto& c : toys()) {
    if (c.value == Toy::mixture || c.value == Toy::vmf || c.value == Toy::vonmises || c.value == Toy::wrapped_normal)
      continue;  // need a --spec
    const Mat a = draw(c.name, 500, 7), b = draw(c.name, 500, 7), other = draw(c.name, 500, 8);
    INFO(c.name);
    CHECK(a.rows() == (c.value == Toy::sphere_uniform || c.value == Toy::sphere_checkerboard ? 3 : 2));
    CHECK(a.allFinite());
    CHECK(a == b);
    CHECK(a != other);
    CHECK(a.array().abs().maxCoeff() < 8);
  }
}

TEST_CASE("Checkerboard: samples in the 8 filled cells, evenly, and density 1/32 there", "[data]") {
  const int64_t n = 80000;
  const Mat x = draw("checkerboard", n, 3);
  std::vector<int64_t> count(16, 0);
  for (int64_t j = 0; j < n; ++j) {
    const int i0 = int(std::floor((x(0, j) + 4) / 2)), i1 = int(std::floor((x(1, j) + 4) / 2));
    REQUIRE((i0 >= 0 && i0 < 4 && i1 >= 0 && i1 < 4));
    REQUIRE((i0 + i1) % 2 == 0);
    ++count[size_t(4 * i1 + i0)];
  }
  // Chi-square over the 8 filled cells, 7 degrees of freedom: P(chi2 > 24.3) = 0.001
  double chi2 = 0;
  for (int c = 0; c < 16; ++c)
    if (((c % 4) + (c / 4)) % 2 == 0) chi2 += std::pow(double(count[size_t(c)]) - n / 8.0, 2) / (n / 8.0);
  CHECK(chi2 < 24.3);
  const ToySpec s{"checkerboard", {}, ""};
  const VecD lp = toy_log_density(s, x);
  CHECK((lp.array() == -std::log(32.0)).all());
  Mat off(2, 3);
  off << -3, 5, 0.5, -1, 0, 0.5;  // (-3, -1): cell (0, 1), empty; (5, 0) outside; (0.5, 0.5): cell (2, 2)
  const VecD lo = toy_log_density(s, off);
  CHECK(std::isinf(lo[0]));
  CHECK(std::isinf(lo[1]));
  CHECK(lo[2] == Approx(-std::log(32.0)));
  CHECK(integral(s, 4, 400) == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("Gaussian and mixture moments match their parameters", "[data]") {
  const int64_t n = 200000;
  const Mat g = draw("gaussian", n, 5, {{"dim", 3}, {"mean", 1.5}, {"std", 2}});
  REQUIRE(g.rows() == 3);
  const Eigen::VectorXd mean = g.cast<double>().rowwise().mean();
  const Eigen::VectorXd var = (g.cast<double>().colwise() - mean).array().square().rowwise().mean();
  // Standard errors: 2/sqrt(n) = 0.0045 for the mean, 4 sqrt(2/n) = 0.013 for the variance
  CHECK((mean.array() - 1.5).abs().maxCoeff() < 0.025);
  CHECK((var.array() - 4).abs().maxCoeff() < 0.07);

  ToySpec m{"mixture", {}, R"({"weights": [1, 3], "means": [[-2, 0], [2, 1]], "vars": [[0.25, 1], 0.5]})"};
  Rng rng(9);
  std::vector<float> labels;
  const Mat x = sample_toy(m, n, rng, labels);
  const Eigen::VectorXd mm = x.cast<double>().rowwise().mean();
  // E x = 0.25 (-2, 0) + 0.75 (2, 1) = (1, 0.75)
  CHECK(mm[0] == Approx(1.0).margin(0.02));
  CHECK(mm[1] == Approx(0.75).margin(0.02));
  double share1 = 0;
  for (float l : labels) share1 += l;
  CHECK(share1 / n == Approx(0.75).margin(0.005));
}

TEST_CASE("Exact log densities integrate to 1 and match the closed form", "[data]") {
  CHECK(integral({"gaussian", {}, ""}, 8, 400) == Approx(1.0).epsilon(1e-4));
  CHECK(integral({"8gaussians", {}, ""}, 4, 400) == Approx(1.0).epsilon(1e-4));
  const ToySpec m{"mixture", {}, R"({"weights": [0.3, 0.7], "means": [[-1, 0], [1.5, 0.5]], "vars": [[0.2, 0.5], [1, 0.3]]})"};
  CHECK(integral(m, 7, 500) == Approx(1.0).epsilon(1e-4));
  // N(0, I) at the origin in 2-D: -log(2 pi)
  Mat o = Mat::Zero(2, 1);
  CHECK(toy_log_density({"gaussian", {}, ""}, o)[0] == Approx(-std::log(2 * M_PI)));
  CHECK_FALSE(toy_has_density({"moons", {}, ""}));
  CHECK_THROWS_WITH(toy_log_density({"moons", {}, ""}, o), Catch::Contains("no closed-form density"));
}

TEST_CASE("Bad names, parameters and mixture specs are clear errors", "[data]") {
  Rng rng(1);
  CHECK_THROWS_WITH(sample_toy({"moon", {}, ""}, 1, rng), Catch::Contains("unknown distribution 'moon'; one of moons"));
  CHECK_THROWS_WITH(sample_toy({"moons", {{"radius", 1}}, ""}, 1, rng), Catch::Contains("one of noise"));
  CHECK_THROWS_WITH(sample_toy({"moons", {{"noise", -1}}, ""}, 1, rng), Catch::Contains("--noise for moons must be"));
  CHECK_THROWS_WITH(sample_toy({"rings", {{"rings", 2.5}}, ""}, 1, rng), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(parse_mixture("{\"means\": [[0, 0], [1]]}", "spec"), Catch::Contains("has dimension 1, expected 2"));
  CHECK_THROWS_WITH(parse_mixture("{\"means\": [[0]], \"vars\": [[-1]]}", "spec"), Catch::Contains("positive variances"));
  CHECK_THROWS_WITH(parse_mixture("{\"means\": [[0]], \"weights\": [1, 2]}", "spec"), Catch::Contains("\"weights\""));
  CHECK_THROWS_WITH(parse_mixture("[1, 2]", "spec"), Catch::Contains("a mixture spec is an object"));
  CHECK_THROWS_WITH(parse_mixture("{", "spec"), Catch::Contains("invalid JSON"));
}

TEST_CASE("A grid is row-major, x fastest, at cell centres", "[data]") {
  const Mat g = grid_points(0, 4, -1, 1, 4);
  REQUIRE(g.cols() == 16);
  CHECK(g(0, 0) == 0.5f);
  CHECK(g(1, 0) == -0.75f);
  CHECK(g(0, 1) == 1.5f);  // next point: next x, same y
  CHECK(g(1, 1) == -0.75f);
  CHECK(g(0, 4) == 0.5f);  // next row: y goes up
  CHECK(g(1, 4) == -0.25f);
  CHECK(g(0, 15) == 3.5f);
  CHECK(g(1, 15) == 0.75f);
}

TEST_CASE("toys: vmf and vonmises mixtures integrate to 1 and match their moments", "[toy]") {
  const double pi = M_PI;
  // vMF on S^2 about the pole: the density over the polar angle integrates to 1, and the mean
  // <mu, x> of samples is coth(kappa) - 1/kappa
  for (double kap : {2.0, 10.0, 50.0}) {
    INFO("kappa " << kap);
    const std::string spec = "{\"means\": [[0, 0, 1]], \"kappas\": [" + std::to_string(kap) + "]}";
    const ToySpec s{"vmf", {}, spec};
    const int N = 20000;
    Mat g(3, N);
    for (int i = 0; i < N; ++i) {
      const double th = pi * (i + 0.5) / N;
      g.col(i) << float(std::sin(th)), 0.f, float(std::cos(th));
    }
    const VecD lp = toy_log_density(s, g);
    double mass = 0;
    for (int i = 0; i < N; ++i) mass += std::exp(lp[i]) * 2 * pi * std::sin(pi * (i + 0.5) / N) * pi / N;
    CHECK(mass == Approx(1).epsilon(1e-3));
    Rng rng(1);
    const Mat x = sample_toy(s, 100000, rng);
    CHECK((x.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
    CHECK(x.row(2).cast<double>().mean() == Approx(1 / std::tanh(kap) - 1 / kap).margin(3e-3));
  }
  // von Mises on the torus: each angle's density integrates to 1 over [0, 2 pi); samples have
  // E[cos(x - mu)] = I1(kappa) / I0(kappa)
  const ToySpec t{"vonmises", {}, "{\"weights\": [1], \"means\": [[1.0, 6.0]], \"kappas\": [[4, 0.5]]}"};
  Rng rng(2);
  const Mat x = sample_toy(t, 100000, rng);
  CHECK((x.minCoeff() >= 0 && x.maxCoeff() < 2 * pi));
  CHECK((x.row(0).array() - 1.0f).cos().cast<double>().mean() ==
        Approx(std::cyl_bessel_i(1.0, 4.0) / std::cyl_bessel_i(0.0, 4.0)).margin(5e-3));
  CHECK((x.row(1).array() - 6.0f).cos().cast<double>().mean() ==
        Approx(std::cyl_bessel_i(1.0, 0.5) / std::cyl_bessel_i(0.0, 0.5)).margin(5e-3));
  const int N = 400;
  const Mat grid = grid_points(0, 2 * pi, 0, 2 * pi, N);
  const double mass = toy_log_density(t, grid).array().exp().sum() * std::pow(2 * pi / N, 2);
  CHECK(mass == Approx(1).epsilon(1e-4));
  CHECK_THROWS_WITH(sample_toy({"vmf", {}, "{\"means\": [[0, 0, 2]], \"kappas\": [3]}"}, 1, rng),
                    Catch::Contains("must be a unit vector in R^3"));
}

// Near-zero concentrations are near-uniform laws: the vMF's draw of <mu, x> lost exp(-2 kappa)
// to rounding below kappa ~ 1e-16 (every draw the mean itself), and the von Mises sampler's rho
// cancelled to 0 for kappa in [1e-8, 1.4e-8] (an endless loop).
TEST_CASE("toys: vmf and vonmises at tiny concentrations are uniform, and vmf's kappa is one number", "[toy]") {
  for (double kap : {1e-20, 1e-16, 1e-12, 1e-6}) {
    INFO("kappa " << kap);
    Rng rng(4);
    char spec[128];
    std::snprintf(spec, sizeof spec, "{\"means\": [[0, 0, 1]], \"kappas\": [%g]}", kap);
    const Mat x = sample_toy({"vmf", {}, spec}, 40000, rng);
    const auto z = x.row(2).cast<double>().array();
    CHECK(std::abs(z.mean()) < 0.015);                  // coth(k) - 1/k = k / 3
    CHECK(z.square().mean() == Approx(1.0 / 3).margin(0.01));  // <mu, x> uniform on [-1, 1]
    CHECK((z > 0.999).cast<double>().mean() < 0.002);   // 0.0005 expected
  }
  for (double kap : {1.2e-8, 1.39e-8, 1e-7, 1e-4}) {
    INFO("kappa " << kap);
    Rng rng(5);
    char spec[128];
    std::snprintf(spec, sizeof spec, "{\"means\": [[2.0]], \"kappas\": [[%g]]}", kap);
    const Mat x = sample_toy({"vonmises", {}, spec}, 40000, rng);
    CHECK(std::abs((x.row(0).array() - 2.0f).cos().cast<double>().mean()) < 0.015);  // I1/I0 = k / 2
  }
  Rng rng(6);
  CHECK_THROWS_WITH(sample_toy({"vmf", {}, "{\"means\": [[0, 0, 1]], \"kappas\": [0]}"}, 1, rng),
                    Catch::Contains("must be a positive concentration"));
}

TEST_CASE("toys: the torus checkerboard fills 8 cells of the torus square (side 2 pi) with density 1 / (2 pi^2)", "[toy]") {
  const ToySpec s{"torus-checkerboard", {}, ""};
  Rng rng(3);
  const Mat x = sample_toy(s, 20000, rng);
  CHECK((x.minCoeff() >= 0 && x.maxCoeff() < 2 * M_PI));
  const VecD lp = toy_log_density(s, x);
  CHECK((lp.array() - -std::log(2 * M_PI * M_PI)).abs().maxCoeff() < 1e-12);
  const int N = 400;  // integrates to 1 over the square
  const Mat g = grid_points(0, 2 * M_PI, 0, 2 * M_PI, N);
  CHECK(toy_log_density(s, g).array().exp().sum() * std::pow(2 * M_PI / N, 2) == Approx(1).epsilon(1e-6));
}

namespace {
// Midpoint-rule integral of exp(log density) over S^2 on a latitude-longitude grid of N x 2N
// cells (area cos(lat) dlat dlon), over the cap z > cos(cap) only when cap < pi
double sphere_integral(const ToySpec& s, int N, double cap = M_PI) {
  Mat g(3, int64_t(N) * 2 * N);
  VecD w(g.cols());
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < 2 * N; ++j) {
      const double lat = (i + 0.5) / N * M_PI - M_PI / 2, lon = (j + 0.5) / N * M_PI;
      g.col(i * 2 * N + j) << float(std::cos(lat) * std::cos(lon)), float(std::cos(lat) * std::sin(lon)), float(std::sin(lat));
      w[i * 2 * N + j] = std::cos(lat) * (M_PI / N) * (M_PI / N) * (std::sin(lat) > std::cos(cap) ? 1 : 0);
    }
  return (toy_log_density(s, g).array().exp() * w.array()).sum();
}
}  // namespace

TEST_CASE("toys: sphere-uniform has density 1 / 4 pi and the moments of the uniform law", "[toy]") {
  const ToySpec s{"sphere-uniform", {}, ""};
  Rng rng(4);
  const Mat x = sample_toy(s, 100000, rng);
  CHECK((x.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
  const Eigen::Matrix3d second = (x.cast<double>() * x.cast<double>().transpose()) / double(x.cols());
  CHECK((second - Eigen::Matrix3d::Identity() / 3).cwiseAbs().maxCoeff() < 0.006);  // E[x x^T] = I / 3
  CHECK(x.cast<double>().rowwise().mean().norm() < 0.01);
  CHECK(toy_log_density(s, x)[7] == Approx(-std::log(4 * M_PI)));
  CHECK(sphere_integral(s, 200) == Approx(1).epsilon(1e-4));
}

// The wrapped checkerboard (flow_matching's sphere example): its density (1/2) r / sin r on the
// wrapped cells integrates to 1 over the sphere, the samples all lie where it is positive, and
// the cap r < 0.6 (the board's disc |b| < 2.4, half of it on filled cells: a 90 degree turn
// swaps filled and empty) holds pi 2.4^2 / 64 = 0.28274 of the mass, both as the density's
// integral (1e-3 for the grid's error at the cells' edges) and as the share of 100,000 samples
// (3 standard errors: 0.0043)
TEST_CASE("toys: sphere-checkerboard integrates to 1 and its samples follow its density", "[toy]") {
  const ToySpec s{"sphere-checkerboard", {}, ""};
  CHECK(sphere_integral(s, 600) == Approx(1).margin(2e-3));
  Rng rng(5);
  const Mat x = sample_toy(s, 100000, rng);
  CHECK((x.colwise().norm().array() - 1).abs().maxCoeff() < 1e-6);
  CHECK(toy_log_density(s, x).allFinite());
  const double cap = sphere_integral(s, 1500, 0.6);
  const double share = (x.row(2).array() > float(std::cos(0.6))).cast<double>().mean();
  INFO("cap mass " << cap << ", sample share " << share);
  const double exact = M_PI * 2.4 * 2.4 / 64;
  CHECK(cap == Approx(exact).margin(1e-3));
  CHECK(share == Approx(exact).margin(0.0043));
  // the board's corners reach r = sqrt 2 from the pole; no mass beyond
  CHECK(x.row(2).minCoeff() > std::cos(std::sqrt(2.0)) - 1e-6);
  Mat off(3, 1);
  off << 0.f, 0.f, -1.f;
  CHECK(toy_log_density(s, off)[0] == -INFINITY);
}

// The wrapped-normal mixture's density: 1 over [0, 2 pi)^2 for a wide component (sigma 2.5,
// many windings) and a narrow one, and the brute-force sum over 201 windings to 1e-12
TEST_CASE("toys: wrapped-normal integrates to 1 and equals the sum over all windings", "[toy]") {
  const std::string spec = R"({"weights": [0.7, 0.3], "means": [[0.3, 6.0], [-2.0, 9.5]], "vars": [[6.25, 0.04], [0.5, 2.0]]})";
  const ToySpec s{"wrapped-normal", {}, spec};
  const int N = 400;
  const Mat g = grid_points(0, 2 * M_PI, 0, 2 * M_PI, N);
  CHECK(toy_log_density(s, g).array().exp().sum() * std::pow(2 * M_PI / N, 2) == Approx(1).epsilon(1e-6));
  Rng rng(6);
  const Mat x = sample_toy(s, 2000, rng);
  CHECK((x.minCoeff() >= 0 && x.maxCoeff() < 2 * M_PI));
  const VecD lp = toy_log_density(s, x);
  const double w[2] = {0.7, 0.3}, m[2][2] = {{0.3, 6.0}, {-2.0, 9.5}}, v[2][2] = {{6.25, 0.04}, {0.5, 2.0}};
  double worst = 0;
  for (int j = 0; j < 200; ++j) {
    double p = 0;
    for (int k = 0; k < 2; ++k) {
      double prod = w[k];
      for (int i = 0; i < 2; ++i) {
        double sum = 0;
        for (int q = -100; q <= 100; ++q) {
          const double e = x(i, j) + 2 * M_PI * q - m[k][i];
          sum += std::exp(-e * e / (2 * v[k][i])) / std::sqrt(2 * M_PI * v[k][i]);
        }
        prod *= sum;
      }
      p += prod;
    }
    worst = std::max(worst, std::abs(lp[j] - std::log(p)));
  }
  CHECK(worst < 1e-12);
}

