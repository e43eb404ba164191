// eval (Frechet distance): Gaussian fits of features and the distance between them.
#include "flowkit/eval/frechet.hpp"

#include <Eigen/Eigenvalues>
#include <cmath>

namespace flowkit {

Mat fd_features(const Mat& x) {
  const Eigen::Index d = x.rows();
  if (d <= kFdRawDims) return x;
  Mat w(kFdFeatures, d), b(kFdFeatures, 1);
  Rng rng(kFdSeed, 0);
  rng.fill_normal(w);
  rng.fill_normal(b);
  w /= std::sqrt(float(d));
  Mat f = w * x;
  f.colwise() += b.col(0);
  return f.cwiseMax(0.0f);
}

namespace {

// The symmetric square root of a symmetric positive semi-definite matrix.
MatD sqrt_psd(const MatD& s) {
  Eigen::SelfAdjointEigenSolver<MatD> es(s);
  const VecD root = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * root.asDiagonal() * es.eigenvectors().transpose();
}

void gaussian_fit(const Mat& f, VecD& mean, MatD& cov) {
  const MatD x = f.cast<double>();
  mean = x.rowwise().mean();
  const MatD c = x.colwise() - mean;
  cov = c * c.transpose() / double(x.cols() - 1);
}

}  // namespace

double frechet_gaussian(const VecD& m1, const MatD& s1, const VecD& m2, const MatD& s2) {
  const MatD r1 = sqrt_psd(s1);
  const MatD inner = r1 * s2 * r1;
  Eigen::SelfAdjointEigenSolver<MatD> es(0.5 * (inner + inner.transpose()), Eigen::EigenvaluesOnly);
  const double cross = es.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return (m1 - m2).squaredNorm() + s1.trace() + s2.trace() - 2 * cross;
}

double frechet_distance(const Mat& a, const Mat& b) {
  if (a.rows() != b.rows()) throw Error("the two sets have different dimensions");
  if (a.cols() < 2 || b.cols() < 2) throw Error("the Frechet distance needs at least 2 points in each set");
  VecD ma, mb;
  MatD sa, sb;
  gaussian_fit(fd_features(a), ma, sa);
  gaussian_fit(fd_features(b), mb, sb);
  return frechet_gaussian(ma, sa, mb, sb);
}

}  // namespace flowkit
