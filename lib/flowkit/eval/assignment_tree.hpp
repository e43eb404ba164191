// metrics (internal): the pieces of the sparse assignment solver that know geometry: squared
// distances of point-major doubles, and a k-d tree of the columns whose leaves the check of the
// duals can skip.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace flowkit::detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Squared distance between column i of a and column j of b (point-major doubles).
inline double sq_dist(const double* a, const double* b, int d, int i, int j) {
  const double* p = a + int64_t(i) * d;
  const double* q = b + int64_t(j) * d;
  double s = 0.0;
  for (int k = 0; k < d; ++k) s += (p[k] - q[k]) * (p[k] - q[k]);
  return s;
}

// The columns (points b_j) in the leaves of a k-d tree, with the bound that lets the check of
// the duals skip whole leaves. With f_i = (|a_i|^2 - u_i) / 2 and g_j = (|b_j|^2 - v_j) / 2 the
// reduced cost is c_ij - u_i - v_j = 2 (f_i + g_j - a_i . b_j), so a pair violates the duals
// only where a_i . b_j - g_j > f_i; over a leaf with centre m, radius r and least g, the left
// side is at most a_i . m + |a_i| r - min g. Leaves whose bound stays below f_i (with a margin
// far above rounding) cannot hold a violation.
class ColumnTree {
 public:
  void build(const double* b, int d, int n) {
    order_.resize(size_t(n));
    for (int j = 0; j < n; ++j) order_[size_t(j)] = j;
    leaves_.clear();
    split(b, d, 0, n);
    centres_.assign(leaves_.size() * size_t(d), 0.0);
    for (size_t l = 0; l < leaves_.size(); ++l) {
      Leaf& f = leaves_[l];
      double* m = &centres_[l * size_t(d)];
      for (int c = 0; c < d; ++c) {
        double lo = kInf, hi = -kInf;
        for (int k = f.begin; k < f.end; ++k) lo = std::min(lo, b[int64_t(order_[size_t(k)]) * d + c]), hi = std::max(hi, b[int64_t(order_[size_t(k)]) * d + c]);
        m[c] = (lo + hi) / 2;
      }
      f.radius = 0;
      for (int k = f.begin; k < f.end; ++k) f.radius = std::max(f.radius, std::sqrt(sq_dist(m, b, d, 0, order_[size_t(k)])));
    }
  }

  // The least g of each leaf for the column duals v; the scale of the margin.
  void set_duals(const double* b, int d, const std::vector<double>& v) {
    scale_ = 1.0;
    for (Leaf& f : leaves_) {
      f.gmin = kInf;
      for (int k = f.begin; k < f.end; ++k) {
        const int j = order_[size_t(k)];
        const double nb = norm2(b + int64_t(j) * d, d);
        f.gmin = std::min(f.gmin, (nb - v[size_t(j)]) / 2);
        scale_ = std::max({scale_, nb, std::abs(v[size_t(j)])});
      }
    }
  }

  // Calls visit(j) for every column of every leaf that may violate the duals with row a (dual u).
  template <class Visit>
  void candidates(const double* a, int d, double u, double tol, Visit visit) const {
    const double na2 = norm2(a, d), na = std::sqrt(na2);
    const double f = (na2 - u) / 2;
    const double margin = tol + 1e-10 * std::max({scale_, na2, std::abs(u)});
    for (size_t l = 0; l < leaves_.size(); ++l) {
      const Leaf& lf = leaves_[l];
      const double* m = &centres_[l * size_t(d)];
      double dot = 0;
      for (int c = 0; c < d; ++c) dot += a[c] * m[c];
      if (dot + na * lf.radius - lf.gmin < f - margin) continue;
      for (int k = lf.begin; k < lf.end; ++k) visit(order_[size_t(k)]);
    }
  }

 private:
  static constexpr int kLeafSize = 32;
  struct Leaf {
    int begin, end;
    double radius = 0, gmin = 0;
  };

  static double norm2(const double* p, int d) {
    double s = 0;
    for (int c = 0; c < d; ++c) s += p[c] * p[c];
    return s;
  }

  // Splits order_[begin, end) at the median of its widest coordinate until leaves are small.
  void split(const double* b, int d, int begin, int end) {
    if (end - begin <= kLeafSize) {
      leaves_.push_back({begin, end});
      return;
    }
    int axis = 0;
    double widest = -1;
    for (int c = 0; c < d; ++c) {
      double lo = kInf, hi = -kInf;
      for (int k = begin; k < end; ++k) lo = std::min(lo, b[int64_t(order_[size_t(k)]) * d + c]), hi = std::max(hi, b[int64_t(order_[size_t(k)]) * d + c]);
      if (hi - lo > widest) widest = hi - lo, axis = c;
    }
    const int mid = begin + (end - begin) / 2;
    std::nth_element(order_.begin() + begin, order_.begin() + mid, order_.begin() + end,
                     [&](int i, int j) { return b[int64_t(i) * d + axis] < b[int64_t(j) * d + axis]; });
    split(b, d, begin, mid);
    split(b, d, mid, end);
  }

  std::vector<int> order_;
  std::vector<Leaf> leaves_;
  std::vector<double> centres_;
  double scale_ = 1.0;
};

}  // namespace flowkit::detail
