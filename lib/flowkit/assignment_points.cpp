// metrics: exact optimal assignment between two point sets on squared Euclidean cost without an
// n x n matrix: shortest augmenting paths (Dijkstra with a heap, as in Jonker-Volgenant) on a
// sparse candidate graph (k nearest neighbours), then a full pass over all pairs that adds
// every edge whose reduced cost the duals violate, repeated until none is left: the result is
// optimal for the complete problem.
#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <utility>

#include "flowkit/assignment.hpp"

namespace flowkit {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kNeighbours = 16;   // candidate edges per row in the first round
constexpr int kDenseBelow = 300;  // below this, one dense solve is faster

struct Edge {
  int col;
  double cost;
};

// Squared distance between column i of a and column j of b (point-major doubles).
inline double sq_dist(const double* a, const double* b, int d, int i, int j) {
  const double* p = a + int64_t(i) * d;
  const double* q = b + int64_t(j) * d;
  double s = 0.0;
  for (int k = 0; k < d; ++k) s += (p[k] - q[k]) * (p[k] - q[k]);
  return s;
}

class SparseAssignment {
 public:
  SparseAssignment(const MatD& a, const MatD& b)
      : a_(a.data()), b_(b.data()), d_(int(a.rows())), n_(int(a.cols())), edges_(n_), x_(n_, -1),
        y_(n_, -1), u_(n_, 0.0), v_(n_, 0.0), dist_(n_, kInf), pred_(n_, -1), done_(n_, 0) {}

  std::vector<int> solve() {
    nearest_neighbours();
    std::vector<int> free(n_);
    for (int i = 0; i < n_; ++i) free[i] = i;
    while (!free.empty()) {
      for (int i : free) augment(i);
      free = add_violated_edges();
    }
    return x_;
  }

 private:
  // First round of candidates: with the means of the two sets aligned, the kNeighbours
  // nearest columns of every row and the nearest rows of every column.
  void nearest_neighbours() {
    int k = std::min(kNeighbours, n_);
    std::vector<double> shift(d_, 0.0);
    for (int i = 0; i < n_; ++i)
      for (int c = 0; c < d_; ++c) shift[c] += (b_[int64_t(i) * d_ + c] - a_[int64_t(i) * d_ + c]) / n_;
    std::vector<double> moved(a_, a_ + int64_t(n_) * d_);
    for (int i = 0; i < n_; ++i)
      for (int c = 0; c < d_; ++c) moved[int64_t(i) * d_ + c] += shift[c];
    std::vector<std::vector<int>> col_nn(n_);
#pragma omp parallel
    {
      std::vector<std::pair<double, int>> row(n_);
#pragma omp for schedule(static)
      for (int i = 0; i < n_; ++i) {
        for (int j = 0; j < n_; ++j) row[j] = {sq_dist(moved.data(), b_, d_, i, j), j};
        std::nth_element(row.begin(), row.begin() + (k - 1), row.end());
        for (int m = 0; m < k; ++m) edges_[i].push_back({row[m].second, sq_dist(a_, b_, d_, i, row[m].second)});
      }
#pragma omp for schedule(static)
      for (int j = 0; j < n_; ++j) {
        for (int i = 0; i < n_; ++i) row[i] = {sq_dist(b_, moved.data(), d_, j, i), i};
        std::nth_element(row.begin(), row.begin() + (k - 1), row.end());
        for (int m = 0; m < k; ++m) col_nn[j].push_back(row[m].second);
      }
    }
    for (int j = 0; j < n_; ++j)
      for (int i : col_nn[j]) edges_[i].push_back({j, sq_dist(a_, b_, d_, i, j)});
    for (auto& row : edges_) {
      std::sort(row.begin(), row.end(), [](const Edge& p, const Edge& q) { return p.col < q.col; });
      row.erase(std::unique(row.begin(), row.end(), [](const Edge& p, const Edge& q) { return p.col == q.col; }),
                row.end());
    }
    column_reduction();
  }

  // Starting column duals: the cheapest candidate edge into each column.
  void column_reduction() {
    std::fill(v_.begin(), v_.end(), kInf);
    for (int i = 0; i < n_; ++i)
      for (const Edge& e : edges_[i]) v_[e.col] = std::min(v_[e.col], e.cost);
  }

  // Checks every pair against the duals; adds each edge with a negative reduced cost and
  // frees its row (with a row dual that makes all its edges feasible again). Returns the
  // freed rows.
  std::vector<int> add_violated_edges() {
    double tol = 1e-12 * std::max(1.0, max_cost_);
    std::vector<char> freed(n_, 0);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n_; ++i) {
      for (int j = 0; j < n_; ++j) {
        double c = sq_dist(a_, b_, d_, i, j);
        if (c - u_[i] - v_[j] < -tol) edges_[i].push_back({j, c}), freed[i] = 1;
      }
    }
    std::vector<int> rows;
    for (int i = 0; i < n_; ++i)
      if (freed[i]) {
        y_[x_[i]] = -1;
        x_[i] = -1;
        rows.push_back(i);
      }
    return rows;
  }

  // Gives a row every column as a candidate (when its candidates admit no augmenting path).
  void connect_fully(int i) {
    edges_[i].clear();
    for (int j = 0; j < n_; ++j) edges_[i].push_back({j, sq_dist(a_, b_, d_, i, j)});
  }

  // Shortest augmenting path from a free row on reduced costs c - u - v, then the dual
  // update that keeps every candidate edge feasible and the matched ones tight.
  void augment(int s) {
    double m = kInf;
    for (const Edge& e : edges_[s]) m = std::min(m, e.cost - v_[e.col]), max_cost_ = std::max(max_cost_, e.cost);
    u_[s] = m;
    int sink;
    while ((sink = shortest_path(s)) < 0) {
      connect_fully(s);
      m = kInf;
      for (const Edge& e : edges_[s]) m = std::min(m, e.cost - v_[e.col]), max_cost_ = std::max(max_cost_, e.cost);
      u_[s] = m;
    }
    for (int j = sink, i = -1; i != s;) {
      i = pred_[j];
      y_[j] = i;
      std::swap(j, x_[i]);
    }
  }

  // Dijkstra from row s over the candidate edges; returns the free column reached, or -1.
  int shortest_path(int s) {
    using Item = std::pair<double, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
    touched_.clear();
    scanned_rows_.clear();
    scanned_cols_.clear();
    double reach = 0.0;
    int i = s, sink = -1;
    while (sink < 0) {
      scanned_rows_.push_back(i);
      for (const Edge& e : edges_[i]) {
        if (done_[e.col]) continue;
        double r = reach + e.cost - u_[i] - v_[e.col];
        if (r < dist_[e.col]) {
          if (dist_[e.col] == kInf) touched_.push_back(e.col);
          dist_[e.col] = r;
          pred_[e.col] = i;
          heap.push({r, e.col});
        }
      }
      while (!heap.empty() && done_[heap.top().second]) heap.pop();
      if (heap.empty()) break;
      int j = heap.top().second;
      heap.pop();
      reach = dist_[j];
      done_[j] = 1;
      scanned_cols_.push_back(j);
      if (y_[j] < 0) sink = j;
      else i = y_[j];
    }
    if (sink >= 0) update_duals(s, reach);
    for (int j : touched_) dist_[j] = kInf, done_[j] = 0;
    return sink;
  }

  // Duals after a search that reached distance `reach` (before the path is flipped).
  void update_duals(int s, double reach) {
    u_[s] += reach;
    for (int i : scanned_rows_)
      if (i != s) u_[i] += reach - dist_[x_[i]];
    for (int j : scanned_cols_) v_[j] -= reach - dist_[j];
  }

  const double* a_;
  const double* b_;
  int d_, n_;
  std::vector<std::vector<Edge>> edges_;
  std::vector<int> x_, y_;
  std::vector<double> u_, v_, dist_;
  std::vector<int> pred_;
  std::vector<char> done_;
  std::vector<int> touched_, scanned_rows_, scanned_cols_;
  double max_cost_ = 0.0;
};

// The dense squared-distance matrix (small sets).
MatD sq_dist_matrix(const MatD& a, const MatD& b) {
  MatD c(a.cols(), b.cols());
  for (int j = 0; j < b.cols(); ++j)
    for (int i = 0; i < a.cols(); ++i) c(i, j) = (a.col(i) - b.col(j)).squaredNorm();
  return c;
}

}  // namespace

// Assignment between two point sets on squared Euclidean cost.
std::vector<int> assign_sq_euclidean(const Mat& a, const Mat& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    throw Error("assignment needs two point sets of one shape, got (" + std::to_string(a.cols()) + ", " +
                std::to_string(a.rows()) + ") and (" + std::to_string(b.cols()) + ", " +
                std::to_string(b.rows()) + ")");
  require_finite(a, "assignment, first point set");
  require_finite(b, "assignment, second point set");
  MatD ad = a.cast<double>(), bd = b.cast<double>();
  if (a.cols() < kDenseBelow) return assign_min_cost(sq_dist_matrix(ad, bd));
  return SparseAssignment(ad, bd).solve();
}

}  // namespace flowkit
