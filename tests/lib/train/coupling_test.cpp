// Tests of the minibatch couplings on curved manifolds (lib/flowkit/train/coupling.cpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "flowkit/train/coupling.hpp"

using namespace flowkit;

namespace {
// Mean squared geodesic distance between the columns of a and b, pair by pair
double mean_cost(const Manifold& m, const Mat& a, const Mat& b) {
  return m.squared_distances(a, b).diagonal().mean();
}

Mat on(const Manifold& m, Mat x) {
  m.project(x);
  return x;
}
}  // namespace

// The geodesic OT coupling's mean squared geodesic distance is the least over all 8! = 40,320
// pairings (brute force) on the torus and on the sphere, and far below the independent one's;
// labels travel with their points
TEST_CASE("coupling: OT on a manifold minimizes the squared geodesic distance exactly", "[train]") {
  for (const char* name : {"torus", "sphere"}) {
    INFO(name);
    const Manifold m = Manifold::parse(name);
    Rng rng(3);
    const int n = 8, d = m.kind == ManifoldKind::sphere ? 3 : 2;
    Mat x0(d, n), x1(d, n);
    rng.fill_normal(x0);
    rng.fill_normal(x1);
    x0 = on(m, 3 * x0), x1 = on(m, 3 * x1);  // spread over the whole torus (|x| up to 9)
    const double independent = mean_cost(m, x0, x1);
    std::vector<int> labels(n), lab_tmp(n);
    std::iota(labels.begin(), labels.end(), 0);
    Mat coupled = x1, tmp(d, n);
    couple_ot(x0, coupled, labels, tmp, lab_tmp, m);
    const double ot = mean_cost(m, x0, coupled);
    const MatD c = m.squared_distances(x0, x1);
    std::vector<int> p(n);
    std::iota(p.begin(), p.end(), 0);
    double best = INFINITY;
    do {
      double s = 0;
      for (int i = 0; i < n; ++i) s += c(i, p[size_t(i)]);
      best = std::min(best, s / n);
    } while (std::next_permutation(p.begin(), p.end()));
    CHECK(ot == Approx(best).epsilon(1e-12));
    CHECK(ot < 0.5 * independent);
    for (int i = 0; i < n; ++i) CHECK(coupled.col(i) == x1.col(labels[size_t(i)]));
  }
}

// Across the torus's seam: 0.1 is 0.18 from 6.2 the short way round, so the geodesic coupling
// pairs them, where the flat (Euclidean) one pairs across the square
TEST_CASE("coupling: the torus's OT pairs across the seam", "[train]") {
  Mat x0(2, 2), x1(2, 2);
  x0 << 0.1f, 3.0f, 1.0f, 1.0f;
  x1 << 3.2f, 6.2f, 1.0f, 1.0f;
  std::vector<int> labels, lab_tmp;
  Mat geo = x1, flat = x1, tmp(2, 2);
  couple_ot(x0, geo, labels, tmp, lab_tmp, Manifold::parse("torus"));
  couple_ot(x0, flat, labels, tmp, lab_tmp);
  CHECK(geo(0, 0) == 6.2f);
  CHECK(flat(0, 0) == 3.2f);
  const double w = 2 * M_PI - 6.2 + 0.1;
  CHECK(mean_cost(Manifold::parse("torus"), x0, geo) == Approx((w * w + 0.2 * 0.2) / 2).epsilon(1e-5));  // float inputs
}
