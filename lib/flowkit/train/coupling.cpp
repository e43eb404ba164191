#include "flowkit/train/coupling.hpp"

#include <cmath>

#include "flowkit/eval/assignment.hpp"

namespace flowkit {
namespace {
constexpr int kSinkhornIters = 2000;
constexpr double kSinkhornTol = 1e-4;  // relative error of the row marginals

// x1 <- x1[:, pick], labels likewise.
void gather(const std::vector<int>& pick, Mat& x1, std::vector<int>& labels, Mat& tmp, std::vector<int>& lab_tmp) {
  for (size_t i = 0; i < pick.size(); ++i) tmp.col(long(i)) = x1.col(pick[i]);
  x1.swap(tmp);
  if (labels.empty()) return;
  for (size_t i = 0; i < pick.size(); ++i) lab_tmp[i] = labels[size_t(pick[i])];
  labels.swap(lab_tmp);
}
}  // namespace

void couple_ot(const Mat& x0, Mat& x1, std::vector<int>& labels, Mat& tmp, std::vector<int>& lab_tmp,
               const Manifold& manifold) {
  const std::vector<int> pick = manifold.curved() ? assign_min_cost(manifold.squared_distances(x0, x1))
                                                  : assign_sq_euclidean(x0, x1);
  gather(pick, x1, labels, tmp, lab_tmp);
}

void Sinkhorn::couple(const Mat& x0, Mat& x1, std::vector<int>& labels, Mat& tmp, std::vector<int>& lab_tmp,
                      double eps, Rng& rng) {
  const Eigen::Index n = x0.cols();
  // Gibbs kernel exp(-C / (eps mean C)) of the squared distances
  const MatD a = x0.cast<double>(), b = x1.cast<double>();
  k_.resize(n, n);
  k_.noalias() = -2.0 * a.transpose() * b;
  k_.colwise() += a.colwise().squaredNorm().transpose();
  k_.rowwise() += b.colwise().squaredNorm();
  k_ = k_.cwiseMax(0.0);
  const double scale = 1.0 / (eps * std::max(k_.mean(), 1e-300));
  kv_ = k_.rowwise().minCoeff();
  k_.colwise() -= kv_;  // each row's nearest partner weighs 1 (rows rescale freely)
  k_ = (-scale * k_.array()).exp().matrix();
  // Scaling iterations for uniform marginals 1/n
  u_.setConstant(n, 1.0);
  v_.setConstant(n, 1.0);
  for (int it = 0; it < kSinkhornIters; ++it) {
    kv_.noalias() = k_ * v_;
    if (it % 10 == 0 && ((u_.array() * kv_.array()) * double(n) - 1).abs().maxCoeff() < kSinkhornTol) break;
    u_ = (1.0 / double(n)) / kv_.array().max(1e-300);
    kv_.noalias() = k_.transpose() * u_;
    v_ = (1.0 / double(n)) / kv_.array().max(1e-300);
  }
  k_ = u_.asDiagonal() * k_ * v_.asDiagonal();
  // One partner per row, drawn from the row of the plan
  std::vector<int> pick(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    const double total = k_.row(i).sum();
    double u = rng.uniform() * total, acc = 0;
    Eigen::Index j = 0;
    for (; j < n - 1; ++j) {
      acc += k_(i, j);
      if (u < acc) break;
    }
    pick[size_t(i)] = int(j);
  }
  gather(pick, x1, labels, tmp, lab_tmp);
}

}  // namespace flowkit
