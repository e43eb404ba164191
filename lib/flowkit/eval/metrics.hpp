// metrics: sample quality between two point sets (d x n each, one column per point) and the
// path statistics of a trajectory. Formulas: doc/MATH.md and man/flow-eval.1.
#pragma once
#include <vector>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"

namespace flowkit {

// The metrics of `flow-eval compare --metrics`.
enum class Metric { w2, energy, mmd, sliced, moments, fd, knn };
const ChoiceTable<Metric>& metric_names();

// Exact 2-Wasserstein distance between two equal-size sets: sqrt(mean |a_i - b_p(i)|^2) over
// the optimal assignment p.
double w2_exact(const Mat& a, const Mat& b);

// Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (within-set means over distinct pairs).
double energy_distance(const Mat& a, const Mat& b);

// Unbiased estimate of MMD^2 with the RBF kernel exp(-|x - y|^2 / (2 sigma^2)).
double mmd2_rbf(const Mat& a, const Mat& b, double sigma);
// The same at several bandwidths in one pass over the pairs.
std::vector<double> mmd2_rbf(const Mat& a, const Mat& b, const std::vector<double>& sigmas);
// The median distance between points of both sets (on up to 1000 of each, seeded): the scale
// of the default MMD bandwidths (0.25, 0.5, 1, 2, 4 times it).
double median_distance(const Mat& a, const Mat& b, uint64_t seed);

// Sliced 2-Wasserstein: sqrt of the mean over random unit directions of the squared 1-D W2
// between the projections (exact 1-D W2 between empirical laws, any sizes).
double sliced_w2(const Mat& a, const Mat& b, int projections, uint64_t seed);
double w2_1d(std::vector<double> x, std::vector<double> y);

// |mean(a) - mean(b)| and the Frobenius norm of cov(a) - cov(b) (unbiased covariances).
double mean_error(const Mat& a, const Mat& b);
double cov_error(const Mat& a, const Mat& b);

// Share of the points of `query` whose label the k-nearest-neighbour classifier fitted on
// `ref` predicts (majority vote; a tie goes to the smallest label).
double knn_label_agreement(const Mat& ref, const std::vector<int>& ref_labels, const Mat& query,
                           const std::vector<int>& query_labels, int k);

// Path statistics of a trajectory (states[s] is d x n at times[s]).
constexpr int64_t kPathW2Points = 10000;  // the endpoints' W2 on at most the first this many points
struct PathStats {
  double energy = 0;       // mean over points of sum_s |x_{s+1} - x_s|^2 / |t_{s+1} - t_s|
  double straightness = 0; // mean over points of |x_T - x_0| / sum_s |x_{s+1} - x_s| (1 if it stays)
  double w2_endpoints = 0; // exact W2 between the first and the last states (first kPathW2Points)
  int64_t w2_points = 0;   // the points it was computed on
  double ratio = 0;        // energy * |t_T - t_0| / w2_endpoints^2 (1 for straight OT paths)
};
PathStats path_stats(const std::vector<Mat>& states, const std::vector<double>& times);

}  // namespace flowkit
