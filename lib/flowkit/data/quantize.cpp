#include "flowkit/data/quantize.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit {

Tokens quantize_points(const Mat& x, int levels, const VecD& lo, const VecD& hi) {
  if (levels < 2 || levels > kMaxVocab)
    throw usage_error("--levels must be 2.." + std::to_string(kMaxVocab) + ", got " + std::to_string(levels));
  if (lo.size() != x.rows() || hi.size() != x.rows() || !((hi - lo).array() > 0).all())
    throw usage_error("the window of --levels needs lo < hi on every axis");
  Tokens t(x.rows(), x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const double b = std::floor((double(x(i, j)) - lo[i]) / (hi[i] - lo[i]) * levels);
      t(i, j) = int32_t(std::clamp(b, 0.0, double(levels - 1)));  // NaN is refused by the sampler
    }
  return t;
}

Tokens quantize_pixels(const Mat& x, int levels) {
  if (levels < 2 || levels > 256) throw usage_error("--levels of pixels must be 2..256, got " + std::to_string(levels));
  Tokens t(x.rows(), x.cols());
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const double v = double(x.data()[k]);
    const int b = std::isfinite(v) ? int(std::clamp(std::lround(255.0 * v), 0L, 255L)) : 0;
    t.data()[k] = int32_t(b * levels / 256);
  }
  return t;
}

}  // namespace flowkit
