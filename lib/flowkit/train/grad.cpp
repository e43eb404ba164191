#include "flowkit/train/grad.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "flowkit/core/parallel.hpp"

namespace flowkit {
namespace {
// The sum of squared errors of `net` on these columns; `grad` is its gradient divided by the
// batch's n columns (the gradient of this share of the batch's mean). A U-Net takes the
// columns in pieces of kUNetPiece images and adds up their gradients.
double squared_error_gradient(Net& net, const Mat& z, const Vec& t, const int* lab, const Mat& goal,
                              int64_t n, BatchGradient::Piece& w, Params& grad, const Manifold& manifold) {
  const Eigen::Index cols = z.cols();
  const Eigen::Index step = net.config().kind == NetKind::unet ? kUNetPiece : cols;
  double sq = 0;
  for (Eigen::Index c0 = 0; c0 < cols; c0 += step) {
    const Eigen::Index m = std::min(step, cols - c0);
    if (m == cols) {
      net.forward(z, t, lab, w.out);
      w.out -= goal;
      manifold.to_tangent(z, w.out);
    } else {
      w.z = z.middleCols(c0, m);
      w.t = t.segment(c0, m);
      net.forward(w.z, w.t, lab ? lab + c0 : nullptr, w.out);
      w.out -= goal.middleCols(c0, m);
      manifold.to_tangent(w.z, w.out);
    }
    sq += double(w.out.squaredNorm());
    w.out *= float(2.0 / double(n));
    net.backward(w.out, grad, c0 > 0);
  }
  return sq;
}
}  // namespace

int BatchGradient::shard_count(int64_t n, int64_t min_columns) {
  return int(std::clamp<int64_t>(n / min_columns, 1, omp_get_max_threads()));
}

int BatchGradient::plan(int64_t n) {
  if (n == planned_n_) return total_;
  const int procs = comm_.size();
  int s = wanted_;
  if (s == 0) {
    // One shard per thread; processes with different thread counts agree on the fewest
    const int t = int(std::clamp<int64_t>(n / (min_columns_ * procs), 1, omp_get_max_threads()));
    s = procs * (procs > 1 ? -comm_.max(-t) : t);
  }
  if (s < 1 || s % procs != 0)
    throw usage_error("--shards " + std::to_string(s) + " must be a positive multiple of the " + std::to_string(procs) +
                      " processes");
  if (s > n) throw usage_error("--batch " + std::to_string(n) + " is smaller than its " + std::to_string(s) + " shards");
  planned_n_ = n;
  total_ = s;
  return s;
}

double BatchGradient::operator()(Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab,
                                 const Mat& goal, Params& grad) {
  const int64_t n = z.cols();
  const int k = plan(n);
  if (k > 1) return sharded(k, net, z, t, lab, goal, grad);
  return squared_error_gradient(net, z, t, lab.empty() ? nullptr : lab.data(), goal, n, piece_, grad, manifold_) / double(n);
}

// This process computes shards [first, first + mine) of the k; then the sum of all k.
double BatchGradient::sharded(int k, Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab,
                              const Mat& goal, Params& grad) {
  const int64_t n = z.cols();
  const int mine = k / comm_.size(), first = comm_.rank() * mine;
  while (shards_.size() < size_t(mine)) shards_.emplace_back(net.config());
  // Inside the team each thread's products stay on that thread (OpenBLAS and Eigen see it)
  parallel_for(mine, std::min(mine, omp_get_max_threads()), Spread::fixed, [&](int64_t i, int) {
    Shard& sh = shards_[size_t(i)];
    const int64_t s = first + i, c0 = n * s / k, m = n * (s + 1) / k - c0;
    sh.net.params() = net.params();
    sh.z = z.middleCols(c0, m);
    sh.t = t.segment(c0, m);
    sh.goal = goal.middleCols(c0, m);
    if (!lab.empty()) sh.lab.assign(lab.begin() + c0, lab.begin() + c0 + m);
    sh.sq = squared_error_gradient(sh.net, sh.z, sh.t, lab.empty() ? nullptr : sh.lab.data(), sh.goal, n, sh.piece,
                                   sh.grad, manifold_);
  });
  double sq = 0;
  if (comm_.size() > 1) {
    gather(k, grad, sq);
    return sq / double(n);
  }
  for (int s = 0; s < k; ++s) sq += shards_[size_t(s)].sq;
  grad = shards_[0].grad;
  using MapV = Eigen::Map<Eigen::VectorXf>;
  MapV g(grad.data(), Eigen::Index(grad.size()));
  for (int s = 1; s < k; ++s) g += MapV(shards_[size_t(s)].grad.data(), g.size());
  return sq / double(n);
}

// Every process's shards (each a gradient and its squared error, a double in two floats'
// room) to every process, summed in shard order: the same additions as one process makes.
void BatchGradient::gather(int k, Params& grad, double& sq) {
  const int mine = k / comm_.size();
  const size_t p = shards_[0].grad.size(), slot = p + 2;
  mine_.resize(size_t(mine) * slot);
  all_.resize(size_t(k) * slot);
  for (int i = 0; i < mine; ++i) {
    const Shard& sh = shards_[size_t(i)];
    std::copy(sh.grad.begin(), sh.grad.end(), mine_.begin() + long(size_t(i) * slot));
    std::memcpy(&mine_[size_t(i) * slot + p], &sh.sq, sizeof(double));
  }
  comm_.allgather(mine_.data(), mine_.size() * sizeof(float), all_.data());
  grad.assign(all_.begin(), all_.begin() + long(p));
  using MapV = Eigen::Map<Eigen::VectorXf>;
  MapV g(grad.data(), Eigen::Index(p));
  for (int s = 0; s < k; ++s) {
    double v;
    std::memcpy(&v, &all_[size_t(s) * slot + p], sizeof(double));
    sq += v;
    if (s > 0) g += MapV(&all_[size_t(s) * slot], g.size());
  }
}

}  // namespace flowkit
