// metrics: exact optimal assignment between two point sets on squared Euclidean cost without an
// n x n matrix: shortest augmenting paths (Dijkstra with a heap, as in Jonker-Volgenant) on a
// sparse candidate graph (k nearest neighbours, found by a sweep along the widest axis), then a
// pass over all pairs that adds every edge whose reduced cost the duals violate (whole leaves
// of a k-d tree of the columns skipped by a bound), repeated until none is left: the result is
// optimal for the complete problem. High dimensions go to the dense solver.
#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <utility>

#include <Eigen/Eigenvalues>

#include "flowkit/eval/assignment.hpp"
#include "flowkit/eval/assignment_tree.hpp"
#include "flowkit/core/parallel.hpp"

namespace flowkit {
namespace {

using detail::ColumnTree;
using detail::kInf;
using detail::sq_dist;

constexpr int kNeighbours = 16;   // candidate edges per row in the first round
constexpr int kWiden = 8;         // free columns given to a row that reaches none
constexpr int kMaxAdded = 16;     // violated edges added to a row per round
constexpr int kDenseBelow = 300;  // below this many points, one dense solve is faster
// From this dimension on, neighbours and tree bounds prune little and the dense solver wins
// (measured at 2,000 points: sparse 0.53 / 0.95 / 1.6 / 2.7 s, dense 1.4 / 0.83 / 0.89 / 0.64 s
// at d = 8 / 16 / 32 / 64), as long as the n x n matrix stays small.
constexpr int kDenseFromDim = 16;
constexpr int kDenseMaxPoints = 4096;  // 128 MiB of doubles

struct Edge {
  int col;
  double cost;
};

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
  // The rows moved by the optimal affine map between Gaussians fitted to the two sets
  // (means and covariances), next to the columns as they are: where the data are close to
  // Gaussian, a row's partner lies near its image, so nearest neighbours there are good first
  // candidates. Both sorted along the axis of largest spread.
  void align_and_sort() {
    za_ = gaussian_map();
    zb_.assign(b_, b_ + int64_t(n_) * d_);
    double best = -1;
    for (int c = 0; c < d_; ++c) {
      double lo = kInf, hi = -kInf;
      for (int i = 0; i < n_; ++i) {
        lo = std::min({lo, za_[size_t(i * d_ + c)], zb_[size_t(i * d_ + c)]});
        hi = std::max({hi, za_[size_t(i * d_ + c)], zb_[size_t(i * d_ + c)]});
      }
      if (hi - lo > best) best = hi - lo, axis_ = c;
    }
    sorted(za_.data(), a_order_, a_keys_);
    sorted(zb_.data(), b_order_, b_keys_);
  }

  // T(a_i) = m_b + A (a_i - m_a), A = Sa^-1/2 (Sa^1/2 Sb Sa^1/2)^1/2 Sa^-1/2 (the W2-optimal
  // map from N(m_a, Sa) to N(m_b, Sb)), for every row.
  std::vector<double> gaussian_map() const {
    const Eigen::Map<const MatD> A(a_, d_, n_), B(b_, d_, n_);
    const VecD ma = A.rowwise().mean(), mb = B.rowwise().mean();
    const MatD ca = A.colwise() - ma, cb = B.colwise() - mb;
    const MatD sa = ca * ca.transpose() / double(n_), sb = cb * cb.transpose() / double(n_);
    const auto power = [](const MatD& m, double p) {  // m^p of a symmetric positive semi-definite m
      Eigen::SelfAdjointEigenSolver<MatD> es(m);
      const double floor = 1e-12 * std::max(1e-300, es.eigenvalues().cwiseAbs().maxCoeff());
      const VecD l = es.eigenvalues().cwiseMax(floor).array().pow(p);
      return MatD(es.eigenvectors() * l.asDiagonal() * es.eigenvectors().transpose());
    };
    const MatD h = power(sa, 0.5), hi = power(sa, -0.5);
    const MatD map = hi * power(h * sb * h, 0.5) * hi;
    const MatD t = (map * ca).colwise() + mb;
    return std::vector<double>(t.data(), t.data() + t.size());
  }

  void sorted(const double* p, std::vector<int>& order, std::vector<double>& keys) const {
    order.resize(size_t(n_));
    for (int i = 0; i < n_; ++i) order[size_t(i)] = i;
    std::sort(order.begin(), order.end(), [&](int i, int j) {
      return p[int64_t(i) * d_ + axis_] < p[int64_t(j) * d_ + axis_];
    });
    keys.resize(size_t(n_));
    for (int i = 0; i < n_; ++i) keys[size_t(i)] = p[int64_t(order[size_t(i)]) * d_ + axis_];
  }

  // Visits positions of `keys` outwards from `key`, nearest on the axis first, while the
  // squared axis distance stays within limit() (re-read at every step).
  template <class Limit, class Visit>
  static void sweep(const std::vector<double>& keys, double key, Limit limit, Visit visit) {
    auto hi = std::lower_bound(keys.begin(), keys.end(), key) - keys.begin();
    auto lo = hi - 1;
    const auto n = decltype(hi)(keys.size());
    while (lo >= 0 || hi < n) {
      const double dl = lo >= 0 ? key - keys[size_t(lo)] : kInf, dh = hi < n ? keys[size_t(hi)] - key : kInf;
      const bool left = dl <= dh;
      const double gap = left ? dl : dh;
      if (gap * gap > limit()) return;
      visit(size_t(left ? lo-- : hi++));
    }
  }

  // The k nearest points of set `p` (sorted as order/keys) to point q.
  void nearest(const double* q, const double* p, const std::vector<int>& order, const std::vector<double>& keys, int k,
               std::vector<std::pair<double, int>>& heap) const {
    heap.clear();
    auto limit = [&] { return int(heap.size()) < k ? kInf : heap.front().first; };
    sweep(keys, q[axis_], limit, [&](size_t pos) {
      const int j = order[pos];
      double s = 0.0;
      for (int c = 0; c < d_; ++c) {
        const double e = q[c] - p[int64_t(j) * d_ + c];
        s += e * e;
      }
      if (int(heap.size()) < k) {
        heap.push_back({s, j});
        std::push_heap(heap.begin(), heap.end());
      } else if (s < heap.front().first) {
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = {s, j};
        std::push_heap(heap.begin(), heap.end());
      }
    });
  }

  // First round of candidates: the kNeighbours nearest columns of every row's image under the
  // Gaussian map, and the nearest images of every column.
  void nearest_neighbours() {
    const int k = std::min(kNeighbours, n_);
    align_and_sort();
    tree_.build(b_, d_, n_);
    std::vector<std::vector<int>> col_nn(static_cast<size_t>(n_));
    const int threads = omp_get_max_threads();
    std::vector<std::vector<std::pair<double, int>>> heaps(static_cast<size_t>(threads));  // one per thread
    parallel_for(n_, threads, Spread::fixed, [&](int64_t i, int thread) {  // columns near row i
      auto& heap = heaps[size_t(thread)];
      nearest(&za_[size_t(i * d_)], zb_.data(), b_order_, b_keys_, k, heap);
      for (const auto& h : heap) edges_[size_t(i)].push_back({h.second, sq_dist(a_, b_, d_, int(i), h.second)});
    });
    parallel_for(n_, threads, Spread::fixed, [&](int64_t j, int thread) {  // rows near column j
      auto& heap = heaps[size_t(thread)];
      nearest(&zb_[size_t(j * d_)], za_.data(), a_order_, a_keys_, k, heap);
      for (const auto& h : heap) col_nn[size_t(j)].push_back(h.second);
    });
    for (int j = 0; j < n_; ++j)
      for (int i : col_nn[size_t(j)]) edges_[size_t(i)].push_back({j, sq_dist(a_, b_, d_, i, j)});
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
  // freed rows. Leaves of the column tree that cannot hold a violation are skipped (below).
  std::vector<int> add_violated_edges() {
    const double tol = 1e-12 * std::max(1.0, max_cost_);
    tree_.set_duals(b_, d_, v_);
    std::vector<char> freed(static_cast<size_t>(n_), 0);
    const int threads = omp_get_max_threads();
    std::vector<std::vector<std::pair<double, int>>> violations(static_cast<size_t>(threads));  // one per thread
    parallel_for(n_, threads, Spread::dynamic, [&](int64_t row, int thread) {
      const int i = int(row);
      auto& violated = violations[size_t(thread)];  // (reduced cost, column) of row i
      violated.clear();
      tree_.candidates(a_ + int64_t(i) * d_, d_, u_[size_t(i)], tol, [&](int j) {
        const double r = sq_dist(a_, b_, d_, i, j) - u_[size_t(i)] - v_[size_t(j)];
        if (r < -tol) violated.push_back({r, j});
      });
      if (violated.empty()) return;
      // The most violated few: while the duals are far from optimal almost every pair
      // violates them, and adding all would make the graph dense
      const size_t k = std::min(violated.size(), size_t(kMaxAdded));
      std::partial_sort(violated.begin(), violated.begin() + long(k), violated.end());
      for (size_t m = 0; m < k; ++m) edges_[size_t(i)].push_back({violated[m].second, sq_dist(a_, b_, d_, i, violated[m].second)});
      freed[size_t(i)] = 1;
    }, 64);  // rows in turns of 64: a row is a cheap query
    std::vector<int> rows;
    for (int i = 0; i < n_; ++i)
      if (freed[size_t(i)]) {
        y_[size_t(x_[size_t(i)])] = -1;
        x_[size_t(i)] = -1;
        rows.push_back(i);
      }
    return rows;
  }

  // Gives a row whose candidates admit no augmenting path the free columns it reaches most
  // cheaply (least c - v) as candidates too: the search then ends at one of them. Where the
  // first candidates were poor (the optimal map far from the identity even after
  // standardizing), this keeps the graph sparse; the checks of the duals keep it exact.
  void widen(int i) {
    std::vector<std::pair<double, int>>& best = widen_;
    best.clear();
    for (int j = 0; j < n_; ++j)
      if (y_[size_t(j)] < 0) best.push_back({sq_dist(a_, b_, d_, i, j) - v_[size_t(j)], j});
    const size_t k = std::min(best.size(), size_t(kWiden));
    std::partial_sort(best.begin(), best.begin() + long(k), best.end());
    for (size_t m = 0; m < k; ++m) edges_[size_t(i)].push_back({best[m].second, sq_dist(a_, b_, d_, i, best[m].second)});
  }

  // Shortest augmenting path from a free row on reduced costs c - u - v, then the dual
  // update that keeps every candidate edge feasible and the matched ones tight.
  void augment(int s) {
    double m = kInf;
    for (const Edge& e : edges_[s]) m = std::min(m, e.cost - v_[e.col]), max_cost_ = std::max(max_cost_, e.cost);
    u_[s] = m;
    int sink;
    while ((sink = shortest_path(s)) < 0) {
      widen(s);
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
  ColumnTree tree_;
  int axis_ = 0;                       // the axis of the sweeps, and both sets sorted along it
  std::vector<int> a_order_, b_order_;
  std::vector<double> a_keys_, b_keys_;
  std::vector<double> za_, zb_;        // the rows' images and the columns, point-major
  std::vector<std::pair<double, int>> widen_;
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
  if (a.cols() < kDenseBelow || (a.rows() >= kDenseFromDim && a.cols() <= kDenseMaxPoints))
    return assign_min_cost(sq_dist_matrix(ad, bd));
  return SparseAssignment(ad, bd).solve();
}

}  // namespace flowkit
