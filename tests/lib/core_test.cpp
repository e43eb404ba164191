#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/core.hpp"

using namespace flowkit;

TEST_CASE("rng: same seed, same numbers; different streams differ", "[core]") {
  Rng a(42), b(42), c(42, 1);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    CHECK(x == b.next());
    CHECK(x != c.next());
  }
}

TEST_CASE("rng: xoshiro256** output is fixed for a seed (platform independence)", "[core]") {
  Rng r(0);
  const uint64_t first = r.next();
  Rng r2(0);
  CHECK(r2.next() == first);
  // Uniform in [0, 1) and below(n) in range.
  for (int i = 0; i < 1000; ++i) {
    const double u = r.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
    CHECK(r.below(7) < 7);
  }
}

TEST_CASE("rng: normal sampler has mean 0, variance 1, kurtosis 3", "[core]") {
  Rng r(7);
  const int n = 200000;
  double m1 = 0, m2 = 0, m4 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    m1 += z;
    m2 += z * z;
    m4 += z * z * z * z;
  }
  m1 /= n, m2 /= n, m4 /= n;
  // Standard errors: 1/sqrt(n) = 0.0022 for the mean, sqrt(2/n) = 0.0032 for the variance.
  CHECK(std::abs(m1) < 0.01);
  CHECK(std::abs(m2 - 1) < 0.015);
  CHECK(std::abs(m4 - 3) < 0.08);
}

TEST_CASE("shuffle is a permutation", "[core]") {
  Rng r(3);
  std::vector<size_t> idx(100);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  shuffle_indices(idx, r);
  std::vector<size_t> sorted = idx;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == i);
  CHECK(idx != sorted);
}

TEST_CASE("require_finite names the row", "[core]") {
  Mat m = Mat::Zero(2, 5);
  REQUIRE_NOTHROW(require_finite(m, "x"));
  m(1, 3) = NAN;
  REQUIRE_THROWS_WITH(require_finite(m, "x"), Catch::Contains("row 3"));
}
