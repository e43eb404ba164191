// data: points onto a grid of tokens, as flow_matching's discrete 2-D examples do: each
// coordinate's window [lo, hi) cut into K equal bins, token floor((x - lo) / (hi - lo) K),
// points outside the window in the edge bins (flow-data NAME --levels K).
#pragma once
#include "flowkit/core/core.hpp"
#include "flowkit/core/tokens.hpp"

namespace flowkit {

// x: d x n points; lo, hi: the window of each coordinate (d each, lo < hi); 2 <= levels <= 2^16.
Tokens quantize_points(const Mat& x, int levels, const VecD& lo, const VecD& hi);

}  // namespace flowkit
