#include "flowkit/eval/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace flowkit {
namespace {

// Accumulates the distances over cells given their two probabilities.
struct Sums {
  double tv = 0, kl_ab = 0, kl_ba = 0, a_out = 0, b_out = 0;
  void add(double pa, double pb) {
    tv += 0.5 * std::abs(pa - pb);
    if (pa > 0 && pb > 0) {
      kl_ab += pa * std::log(pa / pb);
      kl_ba += pb * std::log(pb / pa);
    }
    if (pb == 0) a_out += pa;
    if (pa == 0) b_out += pb;
  }
};

// Every sequence's cell index sum_i x_i V^i, sorted.
std::vector<uint64_t> sorted_cells(const Tokens& x, int vocab) {
  std::vector<uint64_t> c(size_t(x.cols()));
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    uint64_t k = 0;
    for (Eigen::Index i = x.rows() - 1; i >= 0; --i) k = k * uint64_t(vocab) + uint64_t(x(i, j));
    c[size_t(j)] = k;
  }
  std::sort(c.begin(), c.end());
  return c;
}

// The joint histograms, merged over the sorted cell indices of both sets.
Sums joint(const Tokens& a, const Tokens& b, int vocab) {
  const std::vector<uint64_t> ca = sorted_cells(a, vocab), cb = sorted_cells(b, vocab);
  const double na = double(ca.size()), nb = double(cb.size());
  Sums s;
  size_t i = 0, j = 0;
  while (i < ca.size() || j < cb.size()) {
    const uint64_t k = j == cb.size() || (i < ca.size() && ca[i] < cb[j]) ? ca[i] : cb[j];
    size_t ma = 0, mb = 0;
    while (i < ca.size() && ca[i] == k) ++i, ++ma;
    while (j < cb.size() && cb[j] == k) ++j, ++mb;
    s.add(double(ma) / na, double(mb) / nb);
  }
  return s;
}

// Position i's marginal histograms.
Sums marginal(const Tokens& a, const Tokens& b, int vocab, Eigen::Index i) {
  std::vector<double> ha(size_t(vocab), 0.0), hb(size_t(vocab), 0.0);
  for (Eigen::Index j = 0; j < a.cols(); ++j) ha[size_t(a(i, j))] += 1;
  for (Eigen::Index j = 0; j < b.cols(); ++j) hb[size_t(b(i, j))] += 1;
  Sums s;
  for (size_t y = 0; y < size_t(vocab); ++y) s.add(ha[y] / double(a.cols()), hb[y] / double(b.cols()));
  return s;
}

}  // namespace

HistogramDistance histogram_distance(const Tokens& a, const Tokens& b, int vocab) {
  if (a.rows() != b.rows() || a.cols() < 1 || b.cols() < 1 || vocab < 1)
    throw Error("histogram distance: two non-empty token sets of one length");
  HistogramDistance d;
  const double cells = std::pow(double(vocab), double(a.rows()));
  d.joint = cells <= kMaxJointCells;
  Sums s;
  if (d.joint) {
    s = joint(a, b, vocab);
    d.cells = cells;
  } else {
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const Sums m = marginal(a, b, vocab, i);
      s.tv += m.tv, s.kl_ab += m.kl_ab, s.kl_ba += m.kl_ba, s.a_out += m.a_out, s.b_out += m.b_out;
    }
    const double L = double(a.rows());
    s.tv /= L, s.kl_ab /= L, s.kl_ba /= L, s.a_out /= L, s.b_out /= L;
    d.cells = vocab;
  }
  d.tv = s.tv;
  d.kl_ab = s.kl_ab;
  d.kl_ba = s.kl_ba;
  d.a_outside_b = s.a_out;
  d.b_outside_a = s.b_out;
  return d;
}

}  // namespace flowkit
