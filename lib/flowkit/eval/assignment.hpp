// metrics: exact optimal assignment (linear sum assignment) on a square cost matrix.
#pragma once
#include <vector>

#include "flowkit/core/core.hpp"

namespace flowkit {

// The permutation p minimizing sum_i cost(i, p[i]) (Jonker-Volgenant, shortest augmenting
// paths, O(n^3) worst case), exact in double precision.
std::vector<int> assign_min_cost(const MatD& cost);

// Optimal pairing of two equal-size point sets (d x n each) on squared Euclidean cost:
// column i of a goes with column p[i] of b.
std::vector<int> assign_sq_euclidean(const Mat& a, const Mat& b);

}  // namespace flowkit
