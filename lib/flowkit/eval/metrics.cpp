// metrics: distances between point sets (W2, energy, MMD, sliced W2, moments, kNN labels).
#include "flowkit/eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "flowkit/eval/assignment.hpp"
#include "flowkit/core/parallel.hpp"

namespace flowkit {

const ChoiceTable<Metric>& metric_names() {
  static const ChoiceTable<Metric> t = {
      {"w2", Metric::w2, "exact 2-Wasserstein distance (optimal assignment)"},
      {"energy", Metric::energy, "energy distance"},
      {"mmd", Metric::mmd, "unbiased MMD^2, RBF kernels at several bandwidths"},
      {"sliced", Metric::sliced, "sliced 2-Wasserstein distance"},
      {"moments", Metric::moments, "mean and covariance errors"},
      {"fd", Metric::fd, "Frechet distance of Gaussian fits (the points; fixed random features of images)"},
      {"knn", Metric::knn, "k-nearest-neighbour label agreement (both sets labelled)"}};
  return t;
}

namespace {

// Sums over pairs of points of `nk` kernels of their squared distance: all pairs (i of a, j
// of b), or, when b is a itself, the distinct pairs (each unordered pair counted twice).
// kernels(d2, sums) adds each kernel's sum over a block of squared distances to sums[0..nk).
// The distances of one row go in blocks through vectorized array expressions; per-row sums
// are added in order, so the result does not depend on the thread count.
template <class Kernels>
std::vector<double> pair_sums(const Mat& a, const Mat& b, bool same, int nk, Kernels kernels) {
  constexpr int64_t kBlock = 1024;
  const MatD bt = b.transpose().cast<double>();  // one contiguous column per coordinate
  const int64_t n = a.cols(), m = b.cols(), d = a.rows();
  std::vector<double> rows(size_t(n * nk), 0.0);
  const int threads = omp_get_max_threads();
  std::vector<Eigen::ArrayXd> d2s(static_cast<size_t>(threads), Eigen::ArrayXd(kBlock));  // one per thread
  parallel_for(n, threads, Spread::dynamic, [&](int64_t i, int thread) {
    double* sums = &rows[size_t(i * nk)];
    for (int64_t j0 = same ? i + 1 : 0; j0 < m; j0 += kBlock) {
      const int64_t len = std::min(kBlock, m - j0);
      auto block = d2s[size_t(thread)].head(len);
      block.setZero();
      for (int64_t c = 0; c < d; ++c) block += (bt.col(c).segment(j0, len).array() - double(a(c, i))).square();
      kernels(block, sums);
    }
  }, 16);  // rows in turns of 16
  std::vector<double> total(size_t(nk), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < nk; ++k) total[size_t(k)] += rows[size_t(i * nk + k)];
  if (same)
    for (double& t : total) t *= 2;
  return total;
}

void require_dims(const Mat& a, const Mat& b, int64_t min_points) {
  if (a.rows() != b.rows())
    throw Error("point sets of different dimensions (" + std::to_string(a.rows()) + " and " +
                std::to_string(b.rows()) + ")");
  if (a.cols() < min_points || b.cols() < min_points)
    throw Error("need at least " + std::to_string(min_points) + " points in each set");
}

}  // namespace

double w2_exact(const Mat& a, const Mat& b) {
  require_dims(a, b, 1);
  auto p = assign_sq_euclidean(a, b);
  double s = 0.0;
  for (int64_t i = 0; i < a.cols(); ++i) s += (a.col(i) - b.col(p[i])).cast<double>().squaredNorm();
  return std::sqrt(s / double(a.cols()));
}

double energy_distance(const Mat& a, const Mat& b) {
  require_dims(a, b, 2);
  auto dist = [](const auto& d2, double* s) { s[0] += d2.sqrt().sum(); };
  const double n = double(a.cols()), m = double(b.cols());
  const double xy = pair_sums(a, b, false, 1, dist)[0] / (n * m);
  const double xx = pair_sums(a, a, true, 1, dist)[0] / (n * (n - 1));
  const double yy = pair_sums(b, b, true, 1, dist)[0] / (m * (m - 1));
  return 2.0 * xy - xx - yy;
}

std::vector<double> mmd2_rbf(const Mat& a, const Mat& b, const std::vector<double>& sigmas) {
  require_dims(a, b, 2);
  const int nk = int(sigmas.size());
  std::vector<double> g;
  for (double s : sigmas) g.push_back(-1.0 / (2.0 * s * s));
  auto k = [&g, nk](const auto& d2, double* s) {
    for (int i = 0; i < nk; ++i) s[i] += (g[size_t(i)] * d2).exp().sum();
  };
  const double n = double(a.cols()), m = double(b.cols());
  const auto xx = pair_sums(a, a, true, nk, k), yy = pair_sums(b, b, true, nk, k), xy = pair_sums(a, b, false, nk, k);
  std::vector<double> out;
  for (size_t i = 0; i < size_t(nk); ++i) out.push_back(xx[i] / (n * (n - 1)) + yy[i] / (m * (m - 1)) - 2.0 * xy[i] / (n * m));
  return out;
}

double mmd2_rbf(const Mat& a, const Mat& b, double sigma) { return mmd2_rbf(a, b, std::vector<double>{sigma})[0]; }

double median_distance(const Mat& a, const Mat& b, uint64_t seed) {
  require_dims(a, b, 1);
  Rng rng(seed, 7);
  auto pick = [&rng](const Mat& m) {
    int64_t k = std::min<int64_t>(m.cols(), 1000);
    Mat s(m.rows(), k);
    for (int64_t i = 0; i < k; ++i) s.col(i) = m.col(k == m.cols() ? i : int64_t(rng.below(m.cols())));
    return s;
  };
  Mat sa = pick(a), sb = pick(b);
  std::vector<double> d;
  d.reserve(size_t(sa.cols() * sb.cols()));
  for (int64_t i = 0; i < sa.cols(); ++i)
    for (int64_t j = 0; j < sb.cols(); ++j)  // in double: a float norm overflowed at 1e20 (MMD 0)
      d.push_back((sa.col(i).cast<double>() - sb.col(j).cast<double>()).norm());
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return std::max(d[d.size() / 2], 1e-12);
}

double w2_1d(std::vector<double> x, std::vector<double> y) {
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  // Integrate |F^-1(u) - G^-1(u)|^2 over the pieces where both quantile functions are constant
  double n = double(x.size()), m = double(y.size()), u = 0.0, s = 0.0;
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    double next = std::min(double(i + 1) / n, double(j + 1) / m);
    s += (next - u) * (x[i] - y[j]) * (x[i] - y[j]);
    u = next;
    if (double(i + 1) / n <= next) ++i;
    if (double(j + 1) / m <= next) ++j;
  }
  return std::sqrt(s);
}

double sliced_w2(const Mat& a, const Mat& b, int projections, uint64_t seed) {
  require_dims(a, b, 1);
  if (projections < 1) throw usage_error("--projections must be at least 1");
  Rng rng(seed, 11);
  double s = 0.0;
  std::vector<double> pa(a.cols()), pb(b.cols());
  VecD dir(a.rows());
  for (int p = 0; p < projections; ++p) {
    for (int64_t k = 0; k < dir.size(); ++k) dir[k] = rng.normal();
    dir /= dir.norm();
    for (int64_t i = 0; i < a.cols(); ++i) pa[i] = a.col(i).cast<double>().dot(dir);
    for (int64_t i = 0; i < b.cols(); ++i) pb[i] = b.col(i).cast<double>().dot(dir);
    double w = w2_1d(pa, pb);
    s += w * w;
  }
  return std::sqrt(s / projections);
}

double mean_error(const Mat& a, const Mat& b) {
  require_dims(a, b, 1);
  return (a.cast<double>().rowwise().mean() - b.cast<double>().rowwise().mean()).norm();
}

double cov_error(const Mat& a, const Mat& b) {
  require_dims(a, b, 2);
  auto cov = [](const Mat& m) {
    MatD c = m.cast<double>().colwise() - m.cast<double>().rowwise().mean();
    return MatD(c * c.transpose() / double(m.cols() - 1));
  };
  return (cov(a) - cov(b)).norm();
}

double knn_label_agreement(const Mat& ref, const std::vector<int>& ref_labels, const Mat& query,
                           const std::vector<int>& query_labels, int k) {
  require_dims(ref, query, 1);
  if (k < 1 || k > ref.cols())
    throw usage_error("--knn " + std::to_string(k) + " must be between 1 and the reference size " + std::to_string(ref.cols()));
  std::vector<char> hit(query.cols(), 0);
  const int threads = omp_get_max_threads();
  std::vector<std::vector<std::pair<float, int64_t>>> ds(static_cast<size_t>(threads));  // one per thread
  parallel_for(query.cols(), threads, Spread::fixed, [&](int64_t i, int thread) {
    auto& d = ds[size_t(thread)];
    d.resize(size_t(ref.cols()));
    for (int64_t j = 0; j < ref.cols(); ++j) d[j] = {(ref.col(j) - query.col(i)).squaredNorm(), j};
    std::nth_element(d.begin(), d.begin() + (k - 1), d.end());
    std::map<int, int> votes;
    for (int m = 0; m < k; ++m) ++votes[ref_labels[d[m].second]];
    int best = votes.begin()->first;
    for (const auto& [label, count] : votes)
      if (count > votes[best]) best = label;
    hit[i] = best == query_labels[i];
  });
  return double(std::count(hit.begin(), hit.end(), 1)) / double(query.cols());
}

PathStats path_stats(const std::vector<Mat>& states, const std::vector<double>& times) {
  if (states.size() < 2 || times.size() != states.size())
    throw Error("a trajectory needs at least 2 states and one time per state");
  int64_t n = states[0].cols();
  VecD energy = VecD::Zero(n), length = VecD::Zero(n);
  // Forward (t0 < t1) or reverse (flow-traj --t0 1 --t1 0) in time, but one way throughout
  const double dir = times.back() < times.front() ? -1.0 : 1.0;
  for (size_t s = 0; s + 1 < states.size(); ++s) {
    double dt = dir * (times[s + 1] - times[s]);
    if (!(dt > 0))
      throw Error(std::string("trajectory times must ") + (dir > 0 ? "increase" : "decrease") + " (at state " +
                  std::to_string(s + 1) + ")");
    MatD dx = (states[s + 1] - states[s]).cast<double>();
    VecD sq = dx.colwise().squaredNorm().transpose();
    energy += sq / dt;
    length += sq.cwiseSqrt();
  }
  VecD chord = (states.back() - states.front()).cast<double>().colwise().norm().transpose();
  PathStats p;
  p.energy = energy.mean();
  // A path that does not move is straight (it was 0/0, scored as the least straight)
  p.straightness = (length.array() > 0).select(chord.array() / length.array().max(1e-300), 1.0).mean();
  // The exact assignment is cubic: the endpoints' W2 on at most kPathW2Points of the points
  // (20,000 took minutes); the trajectories' points are independent draws, the first ones a sample
  const int64_t k = std::min<int64_t>(n, kPathW2Points);
  p.w2_points = k;
  p.w2_endpoints = w2_exact(states.front().leftCols(k), states.back().leftCols(k));
  p.ratio = p.energy * dir * (times.back() - times.front()) / (p.w2_endpoints * p.w2_endpoints);
  return p;
}

}  // namespace flowkit
