// io: the NPY format (numpy's own): headers, dtype conversion, whole arrays and row chunks.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "flowkit/io/array.hpp"
#include "flowkit/io/source.hpp"

namespace flowkit::npy {

// An element type numpy may write that we read: kind f (2, 4, 8 bytes), i/u (1, 2, 4, 8), b (1).
struct Dtype {
  char kind = 'f';
  int size = 4;
  bool swap = false;  // big-endian on disk
  std::string descr;  // as written, e.g. '>i2'
};

struct Header {
  Dtype dtype;
  bool fortran = false;
  std::vector<int64_t> shape;
  int64_t count = 0;  // product of shape
  int64_t data_offset = 0;  // byte offset of the first element in the source
  std::string shape_str() const;
};

constexpr int max_header_bytes = 10000;  // numpy's own limit

// Reads the magic and the header; the source is then at the first data byte.
Header read_header(Source& src);
// Parses the header's dict literal (exposed for tests).
Header parse_header_dict(const std::string& dict, const std::string& where);
// Reads k elements (converted to float, in file order) into out; a short read is an error.
void read_values(Source& src, const Header& h, float* out, int64_t k);
// Reads the whole payload (C order in memory, whatever the file order).
Array read_payload(Source& src, const Header& h);
// Converts a Fortran-order buffer of the given shape to C order.
std::vector<float> fortran_to_c(const std::vector<float>& f, const std::vector<int64_t>& shape);

// The v1.0 C-order header numpy.save writes for this shape (magic to '\n'), of dtype '<f4' or
// (tokens) '<i4'.
std::string header_bytes(const std::vector<int64_t>& shape, const char* descr = "<f4");
void write_array(std::ostream& out, const Array& a);

}  // namespace flowkit::npy
