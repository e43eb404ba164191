// Tests of the Frechet distance against closed forms.
#include "flowkit/eval/frechet.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace flowkit;

TEST_CASE("Frechet distance of 2x2 Gaussians matches the closed form of a 2x2 matrix root", "[frechet]") {
  // For a 2x2 positive definite M, tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)); with M =
  // S1^1/2 S2 S1^1/2, tr M = tr(S1 S2) and det M = det S1 det S2. S1 and S2 do not commute.
  MatD s1(2, 2), s2(2, 2);
  s1 << 2.0, 0.6, 0.6, 0.5;
  s2 << 0.7, -0.3, -0.3, 1.9;
  VecD m1(2), m2(2);
  m1 << 0.5, -1.0;
  m2 << -0.25, 0.75;
  const auto det = [](const MatD& m) { return m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0); };
  const double cross = std::sqrt((s1 * s2).trace() + 2 * std::sqrt(det(s1) * det(s2)));
  const double want = (m1 - m2).squaredNorm() + s1.trace() + s2.trace() - 2 * cross;
  CHECK(frechet_gaussian(m1, s1, m2, s2) == Approx(want).epsilon(1e-12));
  CHECK(frechet_gaussian(m2, s2, m1, s1) == Approx(want).epsilon(1e-12));  // symmetric
  CHECK(frechet_gaussian(m1, s1, m1, s1) == Approx(0).margin(1e-12));
}

TEST_CASE("Frechet distance of samples approaches the Gaussians' as n grows", "[frechet]") {
  // 1-D per coordinate: (m1 - m2)^2 + (s1 - s2)^2 for independent coordinates
  Rng rng(3);
  const int n = 200000;
  Mat a(2, n), b(2, n);
  rng.fill_normal(a);
  rng.fill_normal(b);
  a.row(0) = a.row(0) * 2.0f;                       // N(0, 4)
  b.row(0) = (b.row(0) * 0.5f).array() + 1.0f;      // N(1, 0.25)
  b.row(1) = (b.row(1) * 1.5f).array() - 0.5f;      // N(-0.5, 2.25)
  const double want = 1.0 + 1.5 * 1.5 + 0.25 + 0.5 * 0.5;  // (0-1)^2 + (2-.5)^2 + .5^2 + (1-1.5)^2
  CHECK(frechet_distance(a, b) == Approx(want).epsilon(0.01));
}

TEST_CASE("Frechet features: images through fixed random ReLU features, small points as they are", "[frechet]") {
  Rng rng(5);
  Mat pts(3, 10), img(100, 4000);
  rng.fill_normal(pts);
  rng.fill_uniform(img.data(), size_t(img.size()));
  CHECK(fd_features(pts) == pts);
  const Mat f = fd_features(img);
  REQUIRE(f.rows() == kFdFeatures);
  REQUIRE(f.cols() == 4000);
  CHECK(f.minCoeff() >= 0);
  CHECK(fd_features(img) == f);  // the same features every call
  const double active = double((f.array() > 0).count()) / double(f.size());
  CHECK(active > 0.2);  // ReLUs of standard normal biases: about half active
  CHECK(active < 0.8);
  // A darker copy of the images is far, a fresh draw of the same law near (its distance is
  // the estimator's upward bias, small at this n)
  Mat other(100, 4000);
  rng.fill_uniform(other.data(), size_t(other.size()));
  CHECK(frechet_distance(img, img * 0.5f) > 10 * frechet_distance(img, other));
}
