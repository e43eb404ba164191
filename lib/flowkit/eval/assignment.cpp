// metrics: exact linear sum assignment by Jonker-Volgenant (column reduction, reduction
// transfer, then shortest augmenting paths), in double precision. (The augmenting row
// reduction phase is left out: on Euclidean costs it costs more than it saves.)
#include "flowkit/eval/assignment.hpp"

#include <cmath>
#include <limits>
#include <utility>

namespace flowkit {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// State of one solve: x[i] = column of row i, y[j] = row of column j (-1: free), v = column
// duals; the rest is workspace sized once.
template <class Cost>
class Jv {
 public:
  Jv(const Cost& c, int n) : c_(c), n_(n), x_(n, -1), y_(n, -1), v_(n, kInf), free_(n), cols_(n), d_(n), pred_(n) {}

  std::vector<int> solve() {
    if (n_ == 0) return {};
    int nfree = column_reduction();
    for (int f = 0; f < nfree; ++f) augment(free_[f]);
    return x_;
  }

 private:
  // Column reduction and reduction transfer: v[j] = min_i c(i, j), each row takes the first
  // column it is the minimum of; rows assigned once move their slack onto their column.
  int column_reduction() {
    std::vector<int> argmin(n_, 0);
    for (int i = 0; i < n_; ++i)
      for (int j = 0; j < n_; ++j) {
        double cij = c_(i, j);
        if (cij < v_[j]) v_[j] = cij, argmin[j] = i;
      }
    std::vector<char> unique(n_, 1);
    for (int j = n_ - 1; j >= 0; --j) {
      int i = argmin[j];
      if (x_[i] < 0) x_[i] = j, y_[j] = i;
      else unique[i] = 0;
    }
    int nfree = 0;
    for (int i = 0; i < n_; ++i) {
      if (x_[i] < 0) {
        free_[nfree++] = i;
      } else if (unique[i]) {
        int j = x_[i];
        double m = kInf;
        for (int k = 0; k < n_; ++k)
          if (k != j) m = std::min(m, c_(i, k) - v_[k]);
        if (m < kInf) v_[j] -= m;
      }
    }
    return nfree;
  }

  // Shortest augmenting path from a free row (Dijkstra on reduced costs), then flip it.
  void augment(int start) {
    int end = shortest_path(start);
    for (int i = -1; i != start;) {
      i = pred_[end];
      y_[end] = i;
      std::swap(end, x_[i]);
    }
  }

  // cols_[0, ready) are settled, [ready, hi) hold the current minimum distance, the rest
  // are still to scan. Returns the free column the path ends in; updates the duals.
  int shortest_path(int start) {
    for (int j = 0; j < n_; ++j) cols_[j] = j, pred_[j] = start, d_[j] = c_(start, j) - v_[j];
    int lo = 0, hi = 0, ready = 0, end = -1;
    double dmin = 0.0;
    while (end < 0) {
      if (lo == hi) {
        ready = lo;
        hi = collect_minimum(lo);
        dmin = d_[cols_[lo]];
        for (int k = lo; k < hi; ++k)
          if (y_[cols_[k]] < 0) { end = cols_[k]; break; }
        if (end >= 0) break;
      }
      end = scan(lo, hi);
    }
    for (int k = 0; k < ready; ++k) v_[cols_[k]] += d_[cols_[k]] - dmin;
    return end;
  }

  // Moves every column of [lo, n) at the minimum distance to [lo, hi); returns hi.
  int collect_minimum(int lo) {
    int hi = lo + 1;
    double m = d_[cols_[lo]];
    for (int k = lo + 1; k < n_; ++k) {
      int j = cols_[k];
      if (d_[j] <= m) {
        if (d_[j] < m) hi = lo, m = d_[j];
        cols_[k] = cols_[hi];
        cols_[hi++] = j;
      }
    }
    return hi;
  }

  // Scans the rows of the columns in [lo, hi), relaxing the unscanned columns; returns a
  // free column reached at the current minimum, or -1.
  int scan(int& lo, int& hi) {
    while (lo != hi) {
      int j = cols_[lo++];
      int i = y_[j];
      double m = d_[j];
      double h = c_(i, j) - v_[j] - m;
      for (int k = hi; k < n_; ++k) {
        int jj = cols_[k];
        double r = c_(i, jj) - v_[jj] - h;
        if (r < d_[jj]) {
          d_[jj] = r;
          pred_[jj] = i;
          if (r == m) {
            if (y_[jj] < 0) return jj;
            cols_[k] = cols_[hi];
            cols_[hi++] = jj;
          }
        }
      }
    }
    return -1;
  }

  const Cost& c_;
  int n_;
  std::vector<int> x_, y_;
  std::vector<double> v_;
  std::vector<int> free_, cols_;
  std::vector<double> d_;
  std::vector<int> pred_;
};

// A dense cost matrix, stored row-major for the row scans.
struct DenseCost {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m;
  double operator()(int i, int j) const { return m(i, j); }
};

}  // namespace

// Assignment on an explicit square cost matrix.
std::vector<int> assign_min_cost(const MatD& cost) {
  if (cost.rows() != cost.cols())
    throw Error("assignment needs a square cost matrix, got " + std::to_string(cost.rows()) + " x " +
                std::to_string(cost.cols()));
  if (!cost.allFinite()) throw Error("assignment cost matrix holds a NaN or Inf");
  DenseCost c{cost};
  return Jv<DenseCost>(c, int(cost.rows())).solve();
}

}  // namespace flowkit
