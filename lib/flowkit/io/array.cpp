#include "flowkit/io/array.hpp"

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

Mat Array::points() const {
  if (shape.size() != 2 && shape.size() != 1)
    throw Error("expected points of shape (n, d), got an array of shape " + shape_str());
  const int64_t d = shape.size() == 2 ? shape[1] : 1;
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
