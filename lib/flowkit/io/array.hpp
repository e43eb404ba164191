// io: an n-dimensional float32 array in C order, and a stream of one or two of them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flowkit/core/core.hpp"

namespace flowkit {

// The in-memory form of every stream: float32, C order (last index fastest).
struct Array {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Array() = default;
  Array(std::vector<int64_t> s);  // zero-filled
  int64_t size() const;           // product of shape
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t row_size() const;       // product of shape[1..]
  std::string shape_str() const;  // "(3, 2)"

  // Points (n, d) <-> d x n batch matrix: the same bytes.
  static Array from_points(const Mat& points);
  // Points: rank 2, rank 1 (d = 1), or images (n, H, W[, C]) flattened in C order (d = H W C).
  Mat points() const;
  // d of points(), or -1 when the array is not points (rank 0 or over 4, a size below 1, or
  // a row of over 2^31 values).
  int64_t point_dim() const;
  static Array from_vector(const std::vector<float>& v);  // shape (n,)
};

// A stream: the main array and, optionally, its companion (labels after points or images,
// times after a trajectory), as in doc/DESIGN.md.
struct Stream {
  Array main;
  std::optional<Array> companion;
};

}  // namespace flowkit
