// data: points onto a grid of tokens, as flow_matching's discrete 2-D examples do: each
// coordinate's window [lo, hi) cut into K equal bins, token floor((x - lo) / (hi - lo) K),
// points outside the window in the edge bins (flow-data NAME --levels K). And grey pixels onto
// K grey levels (flow-data mnist --levels K).
#pragma once
#include "flowkit/core/core.hpp"
#include "flowkit/core/tokens.hpp"

namespace flowkit {

// x: d x n points; lo, hi: the window of each coordinate (d each, lo < hi); 2 <= levels <= 2^16.
Tokens quantize_points(const Mat& x, int levels, const VecD& lo, const VecD& hi);
// Pixels in [0, 1] (bytes / 255) as K grey levels: the byte b = round(255 x) (clamped to
// 0..255) becomes floor(b K / 256), so K = 256 gives the bytes, K = 2 the binarized image
// (b >= 128) and a power of two the byte's top bits; 2 <= levels <= 256.
Tokens quantize_pixels(const Mat& x, int levels);

}  // namespace flowkit
