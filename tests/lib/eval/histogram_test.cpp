// eval: histogram distances between token sets against sums computed by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/eval/histogram.hpp"

using namespace flowkit;

namespace {
Tokens columns(std::initializer_list<std::initializer_list<int>> seqs) {
  Tokens x(Eigen::Index(seqs.begin()->size()), Eigen::Index(seqs.size()));
  Eigen::Index j = 0;
  for (const auto& s : seqs) {
    Eigen::Index i = 0;
    for (int v : s) x(i++, j) = v;
    ++j;
  }
  return x;
}
}  // namespace

// A: cells (0,1) x2, (1,1) x1, (2,0) x1; B: (0,1) x1, (1,1) x1, (1,0) x2. Joint probabilities
// A = (1/2, 1/4, 1/4, 0), B = (1/4, 1/4, 0, 1/2) over the cells (0,1), (1,1), (2,0), (1,0).
TEST_CASE("histogram distance: joint TV and KL are the sums over the cells", "[eval]") {
  const Tokens a = columns({{0, 1}, {0, 1}, {1, 1}, {2, 0}});
  const Tokens b = columns({{0, 1}, {1, 1}, {1, 0}, {1, 0}});
  const HistogramDistance d = histogram_distance(a, b, 3);
  CHECK(d.joint);
  CHECK(d.cells == 9);
  CHECK(d.tv == Approx(0.5 * (0.25 + 0 + 0.25 + 0.5)));
  CHECK(d.kl_ab == Approx(0.5 * std::log(2.0)));  // the cells where both have mass
  CHECK(d.kl_ba == Approx(0.25 * std::log(0.5)));
  CHECK(d.a_outside_b == Approx(0.25));
  CHECK(d.b_outside_a == Approx(0.5));
  // A set against itself, and the same cells in another order
  const HistogramDistance same = histogram_distance(a, columns({{2, 0}, {0, 1}, {1, 1}, {0, 1}}), 3);
  CHECK(same.tv == 0);
  CHECK(same.kl_ab == 0);
  // (0, 1) and (1, 0) are different cells: the joint sees the order within a sequence
  CHECK(histogram_distance(columns({{0, 1}}), columns({{1, 0}}), 2).tv == 1);
}

TEST_CASE("histogram distance: beyond 2^24 cells, the mean of the positions' marginals", "[eval]") {
  // L = 5, V = 40: 40^5 > 2^24. Position 0 differs (all 0 against half 0, half 1), the rest agree
  Tokens a = Tokens::Zero(5, 4), b = Tokens::Zero(5, 4);
  b(0, 2) = b(0, 3) = 1;
  a(1, 0) = b(1, 0) = 39;
  const HistogramDistance d = histogram_distance(a, b, 40);
  CHECK(!d.joint);
  CHECK(d.cells == 40);
  CHECK(d.tv == Approx(0.5 / 5));
  CHECK(d.kl_ab == Approx(std::log(2.0) / 5));
  CHECK(d.b_outside_a == Approx(0.5 / 5));
}
