#include "flowkit/train/grad.hpp"

#include <algorithm>

#include "flowkit/core/parallel.hpp"

namespace flowkit {
namespace {
// The sum of squared errors of `net` on these columns; `grad` is its gradient divided by the
// batch's n columns (the gradient of this share of the batch's mean).
double squared_error_gradient(Net& net, const Mat& z, const Vec& t, const int* lab, const Mat& goal,
                              int64_t n, Mat& out, Params& grad) {
  net.forward(z, t, lab, out);
  out -= goal;
  const double sq = double(out.squaredNorm());
  out *= float(2.0 / double(n));
  net.backward(out, grad);
  return sq;
}
}  // namespace

int BatchGradient::shard_count(int64_t n) {
  return int(std::clamp<int64_t>(n / kMinShardColumns, 1, omp_get_max_threads()));
}

double BatchGradient::operator()(Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab,
                                 const Mat& goal, Mat& out, Params& grad) {
  const int64_t n = z.cols();
  const int k = shard_count(n);
  if (k > 1) return sharded(k, net, z, t, lab, goal, grad);
  return squared_error_gradient(net, z, t, lab.empty() ? nullptr : lab.data(), goal, n, out, grad) / double(n);
}

double BatchGradient::sharded(int k, Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab,
                              const Mat& goal, Params& grad) {
  const int64_t n = z.cols();
  while (shards_.size() < size_t(k)) shards_.emplace_back(net.config());
  // Inside the team each thread's products stay on that thread (OpenBLAS and Eigen see it)
  parallel_for(k, k, Spread::fixed, [&](int64_t s, int) {
    Shard& sh = shards_[size_t(s)];
    const int64_t c0 = n * s / k, m = n * (s + 1) / k - c0;
    sh.net.params() = net.params();
    sh.z = z.middleCols(c0, m);
    sh.t = t.segment(c0, m);
    sh.goal = goal.middleCols(c0, m);
    if (!lab.empty()) sh.lab.assign(lab.begin() + c0, lab.begin() + c0 + m);
    sh.sq = squared_error_gradient(sh.net, sh.z, sh.t, lab.empty() ? nullptr : sh.lab.data(), sh.goal, n, sh.out,
                                   sh.grad);
  });
  double sq = 0;
  for (int s = 0; s < k; ++s) sq += shards_[size_t(s)].sq;
  grad = shards_[0].grad;
  using MapV = Eigen::Map<Eigen::VectorXf>;
  MapV g(grad.data(), Eigen::Index(grad.size()));
  for (int s = 1; s < k; ++s) g += MapV(shards_[size_t(s)].grad.data(), g.size());
  return sq / double(n);
}

}  // namespace flowkit
