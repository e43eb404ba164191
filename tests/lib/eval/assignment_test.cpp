// Tests of the exact assignment: brute force on small cases, an independent Hungarian
// method on larger ones, and the point-set identities W2(permuted copy) = 0, W2(shift) = |shift|.
#include "flowkit/eval/assignment.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

using namespace flowkit;

namespace {

double total(const MatD& c, const std::vector<int>& p) {
  double s = 0;
  for (int i = 0; i < int(p.size()); ++i) s += c(i, p[i]);
  return s;
}

bool is_permutation(std::vector<int> p) {
  std::sort(p.begin(), p.end());
  for (int i = 0; i < int(p.size()); ++i)
    if (p[i] != i) return false;
  return true;
}

double brute_force(const MatD& c) {
  std::vector<int> p(c.rows());
  std::iota(p.begin(), p.end(), 0);
  double best = INFINITY;
  do best = std::min(best, total(c, p));
  while (std::next_permutation(p.begin(), p.end()));
  return best;
}

// The textbook O(n^3) Hungarian method with potentials (1-based), as an independent oracle.
double hungarian(const MatD& c) {
  int n = int(c.rows());
  std::vector<double> u(n + 1), v(n + 1), minv(n + 1);
  std::vector<int> p(n + 1), way(n + 1);
  std::vector<char> used(n + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), INFINITY);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      int i0 = p[j0], j1 = 0;
      double delta = INFINITY;
      for (int j = 1; j <= n; ++j)
        if (!used[j]) {
          double cur = c(i0 - 1, j - 1) - u[i0] - v[j];
          if (cur < minv[j]) minv[j] = cur, way[j] = j0;
          if (minv[j] < delta) delta = minv[j], j1 = j;
        }
      for (int j = 0; j <= n; ++j)
        if (used[j]) u[p[j]] += delta, v[j] -= delta;
        else minv[j] -= delta;
      j0 = j1;
    } while (p[j0] != 0);
    do {
      int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  double s = 0;
  for (int j = 1; j <= n; ++j) s += c(p[j] - 1, j - 1);
  return s;
}

MatD random_cost(int n, Rng& rng, bool integer) {
  MatD c(n, n);
  for (int i = 0; i < c.size(); ++i) c.data()[i] = integer ? double(rng.below(5)) : rng.uniform();
  return c;
}

MatD sq_dist(const Mat& a, const Mat& b) {
  MatD c(a.cols(), b.cols());
  for (int i = 0; i < a.cols(); ++i)
    for (int j = 0; j < b.cols(); ++j) c(i, j) = (a.col(i).cast<double>() - b.col(j).cast<double>()).squaredNorm();
  return c;
}

// The point-set solver's assignment is a permutation and costs what the Hungarian method's does
void check_exact(const Mat& a, const Mat& b, double eps = 1e-11) {
  const MatD e = sq_dist(a, b);
  const auto q = assign_sq_euclidean(a, b);
  REQUIRE(is_permutation(q));
  CHECK(total(e, q) == Approx(hungarian(e)).epsilon(eps));
}

}  // namespace

TEST_CASE("assignment agrees with brute force on small cost matrices", "[assign]") {
  Rng rng(1);
  for (int n = 1; n <= 8; ++n)
    for (int rep = 0; rep < 6; ++rep) {
      MatD c = random_cost(n, rng, rep % 2 == 1);  // odd reps: many ties
      auto p = assign_min_cost(c);
      REQUIRE(is_permutation(p));
      REQUIRE(total(c, p) == Approx(brute_force(c)).margin(1e-12));
    }
}

TEST_CASE("assignment agrees with the Hungarian method on larger cases", "[assign]") {
  Rng rng(2);
  for (int n : {50, 200}) {
    MatD c = random_cost(n, rng, false);
    auto p = assign_min_cost(c);
    REQUIRE(is_permutation(p));
    CHECK(total(c, p) == Approx(hungarian(c)).epsilon(1e-12));
  }
  // Point sets: the dense path (n < 300) and the sparse path with its global check.
  for (int n : {200, 400, 700})
    for (int d : {1, 2, 5}) {
      Mat a(d, n), b(d, n);
      rng.fill_normal(a);
      rng.fill_normal(b);
      b.array() += 0.8f;
      check_exact(a, b);
    }
}

TEST_CASE("assignment stays exact with ties, stretched sets and high dimension", "[assign]") {
  Rng rng(4);
  const int n = 400;  // the sparse path (tree-pruned checks) in low d, the dense one from d = 16
  for (int d : {2, 3, 20}) {
    Mat a(d, n), b(d, n);
    rng.fill_normal(a);
    rng.fill_normal(b);
    a.row(0) *= 30.0f;  // one axis far wider than the others: the sweep axis
    b.row(0) = b.row(0) * 10.0f + Eigen::RowVectorXf::Constant(n, 5.0f);
    INFO("stretched, d " << d);
    check_exact(a, b);
  }
  // Rotated and stretched, and curved: transport maps far from the identity
  {
    Mat a(2, n), b(2, n), c(2, n);
    rng.fill_normal(a);
    rng.fill_normal(b);
    rng.fill_normal(c);
    const float cs = std::cos(0.7f), sn = std::sin(0.7f);
    Mat rot(2, n), curve(2, n);
    for (int i = 0; i < n; ++i) {
      const float x = 2.0f * b(0, i), y = 0.4f * b(1, i);
      rot(0, i) = cs * x - sn * y + 0.5f, rot(1, i) = sn * x + cs * y - 1.0f;
      curve(0, i) = c(0, i), curve(1, i) = std::sin(2 * c(0, i)) + 0.2f * c(1, i);
    }
    check_exact(a, rot);
    check_exact(a, curve);
  }
  // Integer lattices: many equal costs
  Mat a(2, n), b(2, n);
  for (int i = 0; i < n; ++i) {
    a(0, i) = float(i % 20), a(1, i) = float(i / 20);
    b(0, i) = float((i * 7) % 20) + 1, b(1, i) = float((i * 3) % 20);
  }
  check_exact(a, b, 1e-12);
}

TEST_CASE("assignment of a permuted copy costs 0 and of a shifted copy |shift|^2", "[assign]") {
  Rng rng(3);
  for (int d : {1, 2, 5}) {
    int n = 500;
    Mat a(d, n);
    rng.fill_normal(a);
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    shuffle_indices(idx, rng);
    Mat b(d, n);
    for (int i = 0; i < n; ++i) b.col(i) = a.col(idx[i]);
    auto p = assign_sq_euclidean(a, b);
    for (int i = 0; i < n; ++i) REQUIRE(idx[p[i]] == size_t(i));
    Vec shift = Vec::LinSpaced(d, 0.3f, 0.7f);
    Mat s = a.colwise() + shift;
    auto q = assign_sq_euclidean(a, s);
    double mean = total(sq_dist(a, s), q) / n;
    CHECK(std::sqrt(mean) == Approx(shift.norm()).epsilon(1e-5));
  }
}

TEST_CASE("assignment rejects non-square costs and mismatched point sets", "[assign]") {
  CHECK_THROWS_AS(assign_min_cost(MatD::Zero(2, 3)), Error);
  CHECK_THROWS_AS(assign_sq_euclidean(Mat::Zero(2, 3), Mat::Zero(2, 4)), Error);
  CHECK(assign_min_cost(MatD(0, 0)).empty());
}
