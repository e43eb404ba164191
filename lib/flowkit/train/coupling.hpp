// train: couplings of a mini-batch: the columns of x1 (and their labels) are reordered or
// resampled to go with the columns of x0. Exact OT uses the assignment solver; Sinkhorn
// samples one partner per x0 from the rows of the entropic plan.
#pragma once
#include <vector>

#include "flowkit/core/core.hpp"
#include "flowkit/flow/manifold.hpp"

namespace flowkit {

// Exact minibatch OT on squared Euclidean cost (assign_sq_euclidean), or on a curved
// manifold's squared geodesic distance (the sphere's angle, the torus's wrapped differences).
void couple_ot(const Mat& x0, Mat& x1, std::vector<int>& labels, Mat& tmp, std::vector<int>& lab_tmp,
               const Manifold& manifold = Manifold());

class Sinkhorn {
 public:
  // eps is relative to the mean pairwise cost; the plan has uniform marginals.
  void couple(const Mat& x0, Mat& x1, std::vector<int>& labels, Mat& tmp, std::vector<int>& lab_tmp, double eps,
              Rng& rng);
  // The plan of the last call (n x n, rows sum to 1/n).
  const MatD& plan() const { return k_; }

 private:
  MatD k_;
  VecD u_, v_, kv_;
};

}  // namespace flowkit
