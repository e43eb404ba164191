#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <thread>

#include "flowkit/core/core.hpp"
#include "flowkit/core/parallel.hpp"

using namespace flowkit;

TEST_CASE("rng: same seed, same numbers; different streams differ", "[core]") {
  Rng a(42), b(42), c(42, 1);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    CHECK(x == b.next());
    CHECK(x != c.next());
  }
}

// The expected values come from an independent Python implementation of splitmix64 seeding and
// xoshiro256** (written from the published algorithms, not from core.cpp): integers and
// uniforms are exact on every platform; normals go through libm's log and sqrt, so they are
// compared to a few ulps.
TEST_CASE("rng: xoshiro256** output is fixed for a seed (platform independence)", "[core]") {
  Rng r(2026);
  CHECK(r.next() == 0xed46baee7984d1bdULL);
  CHECK(r.next() == 0x6a02a873a5b8a377ULL);
  CHECK(r.next() == 0x2b50942ee0537880ULL);
  CHECK(r.uniform() == 0.8323743016036328);
  CHECK(r.uniform() == 0.5066847902510848);
  CHECK(r.uniform() == 0.012388221858186554);
  for (uint64_t want : {7, 3, 5, 5, 0, 0}) CHECK(r.below(10) == want);
  for (double want : {0.9909994463890796, -0.9748257758989562, 0.3246471454586954, 1.3688231948218839})
    CHECK(std::abs(r.normal() - want) <= 1e-15 * std::abs(want));
  Rng s(2026, 3);
  CHECK(s.next() == 0xe54775d874439e17ULL);
  CHECK(s.next() == 0x98baa5d7506f3a0eULL);
  Rng z(42);  // and seed 42, the first values
  CHECK(z.next() == 0x0030425e2a3dc334ULL);
  CHECK(z.next() == 0x057e19f0156c8a6bULL);
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

TEST_CASE("parallel_for: every piece once, and the lowest failing piece's error after the team joins", "[core]") {
  set_threads(2);
  for (Spread spread : {Spread::fixed, Spread::dynamic}) {
    std::vector<int> runs(100, 0), thread_of(100, -1);
    parallel_for(100, 2, spread, [&](int64_t i, int thread) {
      runs[size_t(i)] += 1;
      thread_of[size_t(i)] = thread;
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // long enough for both threads to take pieces
    });
    CHECK(std::count(runs.begin(), runs.end(), 1) == 100);
    CHECK(std::count(thread_of.begin(), thread_of.end(), 0) + std::count(thread_of.begin(), thread_of.end(), 1) == 100);
    CHECK(std::count(thread_of.begin(), thread_of.end(), 1) > 0);  // a team, not a loop
    std::vector<int> seen(100, 0);
    try {
      parallel_for(100, 2, spread, [&](int64_t i, int) {
        seen[size_t(i)] = 1;
        // 37 fails last in time (it sleeps first; 80 is in the other half): the error is still 37's
        if (i == 37) std::this_thread::sleep_for(std::chrono::milliseconds(30));
        if (i == 37 || i == 80) throw Error("piece " + std::to_string(i), ExitCode::usage);
      });
      FAIL("no exception");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == "piece 37");
      CHECK(e.code() == ExitCode::usage);  // the exception itself, not a copy of its text
    }
    CHECK(std::count(seen.begin(), seen.begin() + 37, 1) == 37);  // every piece below the error ran
  }
  // Inside a parallel region already: a plain loop on the calling thread, in the outer team
  int level = 0, team = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    parallel_for(4, 2, Spread::fixed, [&](int64_t, int) {
      level = omp_get_level();
      team = omp_get_num_threads();
    });
  }
  CHECK(level == 1);
  CHECK(team == 2);
  set_threads(1);
}
