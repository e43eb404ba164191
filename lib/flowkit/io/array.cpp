#include "flowkit/io/array.hpp"

#include <climits>
#include <sstream>

namespace flowkit {

Array::Array(std::vector<int64_t> s) : shape(std::move(s)), data(size_t(size()), 0.0f) {}

int64_t Array::size() const {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

int64_t Array::row_size() const {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

std::string Array::shape_str() const {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ',';
  os << ')';
  return os.str();
}

Array Array::from_points(const Mat& points) {
  Array a({int64_t(points.cols()), int64_t(points.rows())});
  std::copy(points.data(), points.data() + points.size(), a.data.begin());
  return a;
}

int64_t Array::point_dim() const {
  if (shape.empty() || shape.size() > 4) return -1;
  int64_t d = 1;
  for (size_t i = 1; i < shape.size(); ++i) {
    if (shape[i] < 1 || d > INT32_MAX / shape[i]) return -1;
    d *= shape[i];
  }
  return d;
}

Mat Array::points() const {
  const int64_t d = point_dim();
  if (d < 0) throw Error("expected points (n, d) or images (n, H, W[, C]), got an array of shape " + shape_str());
  Mat m(d, rows());
  std::copy(data.begin(), data.end(), m.data());
  return m;
}

Array Array::from_vector(const std::vector<float>& v) {
  Array a;
  a.shape = {int64_t(v.size())};
  a.data = v;
  return a;
}

}  // namespace flowkit
