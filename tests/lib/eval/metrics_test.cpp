// Tests of the sample-quality metrics against known distances.
#include "flowkit/eval/metrics.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

using namespace flowkit;

namespace {
Mat normal(int d, int n, Rng& rng) {
  Mat m(d, n);
  rng.fill_normal(m);
  return m;
}
}  // namespace

TEST_CASE("W2 of a shifted copy is the shift, of a permutation 0", "[metrics]") {
  Rng rng(1);
  Mat a = normal(3, 800, rng);
  Vec shift(3);
  shift << 0.3f, -0.4f, 1.2f;
  Mat b = a.colwise() + shift;
  CHECK(w2_exact(a, b) == Approx(shift.norm()).epsilon(1e-5));
  std::vector<size_t> idx(a.cols());
  std::iota(idx.begin(), idx.end(), 0);
  shuffle_indices(idx, rng);
  Mat p(3, a.cols());
  for (int i = 0; i < a.cols(); ++i) p.col(i) = a.col(idx[i]);
  CHECK(w2_exact(a, p) == Approx(0).margin(1e-9));
}

TEST_CASE("1-D W2 matches quantile matching, sliced W2 a shift's length", "[metrics]") {
  CHECK(w2_1d({0, 1}, {2, 3}) == Approx(2));
  // Unequal sizes: {0} vs {0, 2}: half the mass moves by 2, W2^2 = 2
  CHECK(w2_1d({0}, {0, 2}) == Approx(std::sqrt(2.0)));
  Rng rng(2);
  Mat a = normal(2, 2000, rng);
  Vec shift(2);
  shift << 1.0f, 0.0f;
  Mat b = a.colwise() + shift;
  // Every direction u sees a shift of u.shift: the mean of (u.shift)^2 over the circle is 1/2
  CHECK(sliced_w2(a, b, 2000, 3) == Approx(std::sqrt(0.5)).epsilon(0.03));
  CHECK(sliced_w2(a, b, 50, 3) == sliced_w2(a, b, 50, 3));
}

TEST_CASE("energy distance and MMD vanish for one law and grow with a shift", "[metrics]") {
  Rng rng(3);
  Mat a = normal(2, 1500, rng), b = normal(2, 1500, rng);
  double e0 = energy_distance(a, b), m0 = mmd2_rbf(a, b, 1.0);
  CHECK(std::abs(e0) < 0.01);
  CHECK(std::abs(m0) < 0.003);
  double last_e = e0, last_m = m0;
  for (float s : {0.25f, 0.5f, 1.0f}) {
    Mat c = b.array() + s;
    double e = energy_distance(a, c), m = mmd2_rbf(a, c, 1.0);
    CHECK(e > last_e + 0.01);
    CHECK(m > last_m + 0.005);
    last_e = e, last_m = m;
  }
  // Closed form for N(0, I) vs N(mu, I) with the RBF kernel (sigma = 1, d = 2):
  // MMD^2 = 2 (1/3) (1 - exp(-|mu|^2 / 6)) ... with |mu|^2 = 2 for a shift (1, 1)
  double want = 2.0 / 3.0 * (1.0 - std::exp(-2.0 / 6.0));
  CHECK(last_m == Approx(want).margin(0.01));
}

TEST_CASE("moment errors and kNN label agreement", "[metrics]") {
  Rng rng(4);
  Mat a = normal(2, 20000, rng);
  Mat b = a * 2.0f;
  b.row(0).array() += 1.0f;
  CHECK(mean_error(a, b) == Approx(1.0).margin(0.03));
  // cov(b) = 4 cov(a): error = 3 |cov(a)|_F ~ 3 sqrt(2)
  CHECK(cov_error(a, b) == Approx(3.0 * std::sqrt(2.0)).epsilon(0.05));
  // Two well separated labelled clusters: a query labelled by its cluster agrees fully,
  // with the labels swapped not at all
  Mat ref(1, 6), q(1, 4);
  ref << 0, 0.1f, 0.2f, 5, 5.1f, 5.2f;
  q << 0.05f, 0.15f, 5.05f, 5.3f;
  std::vector<int> rl = {0, 0, 0, 1, 1, 1}, ql = {0, 0, 1, 1}, swapped = {1, 1, 0, 1};
  CHECK(knn_label_agreement(ref, rl, q, ql, 3) == 1.0);
  CHECK(knn_label_agreement(ref, rl, q, swapped, 3) == 0.25);
}

TEST_CASE("path statistics of straight and curved trajectories", "[metrics]") {
  Rng rng(5);
  Mat x0 = normal(2, 300, rng);
  Vec shift(2);
  shift << 2.0f, 0.0f;
  std::vector<Mat> states;
  std::vector<double> times;
  for (int s = 0; s <= 10; ++s) {
    times.push_back(s / 10.0);
    states.push_back(x0.colwise() + shift * (s / 10.0f));
  }
  PathStats p = path_stats(states, times);
  CHECK(p.energy == Approx(4.0).epsilon(1e-5));
  CHECK(p.straightness == Approx(1.0).epsilon(1e-5));
  CHECK(p.w2_endpoints == Approx(2.0).epsilon(1e-5));
  CHECK(p.ratio == Approx(1.0).epsilon(1e-4));
  // Half-circle paths around the origin: energy pi^2 |x|^2, straightness 2 / pi
  for (int s = 0; s <= 200; ++s) {
    float th = float(M_PI) * s / 200.0f;
    Eigen::Matrix2f r;
    r << std::cos(th), -std::sin(th), std::sin(th), std::cos(th);
    if (s <= 10) states[s] = r * x0;
    else states.push_back(r * x0);
  }
  times.clear();
  for (int s = 0; s <= 200; ++s) times.push_back(s / 200.0);
  PathStats c = path_stats(states, times);
  double mean_sq = x0.colwise().squaredNorm().cast<double>().mean();
  CHECK(c.energy == Approx(M_PI * M_PI * mean_sq).epsilon(1e-3));
  CHECK(c.straightness == Approx(2.0 / M_PI).epsilon(1e-3));
  CHECK(c.ratio > 1.5);
}
