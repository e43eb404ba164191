// eval: distances between the histograms of two token sets (discrete samples against data):
// exact total variation and KL divergences between the joint histograms over the V^L cells
// where there are few enough of them, else the mean over positions of the per-position
// marginals' distances. Formulas: doc/MATH.md, "Discrete flows".
#pragma once
#include <cstdint>

#include "flowkit/core/core.hpp"
#include "flowkit/core/tokens.hpp"

namespace flowkit {

// The joint histogram is used up to this many cells V^L (the 128 x 128 grid has 2^14).
constexpr double kMaxJointCells = double(1 << 24);

struct HistogramDistance {
  bool joint = false;    // joint cells, or per-position marginals (means over the positions)
  double cells = 0;      // V^L (joint) or V (marginal)
  double tv = 0;         // 1/2 sum |p_a - p_b|
  double kl_ab = 0;      // sum p_a log(p_a / p_b) over the cells where p_b > 0
  double kl_ba = 0;      // sum p_b log(p_b / p_a) over the cells where p_a > 0
  double a_outside_b = 0;  // the mass of p_a on cells where p_b = 0 (KL(a || b) is infinite when > 0)
  double b_outside_a = 0;
};

// The histograms of a and b (L x n each, tokens 0..vocab-1) and their distances.
HistogramDistance histogram_distance(const Tokens& a, const Tokens& b, int vocab);

}  // namespace flowkit
