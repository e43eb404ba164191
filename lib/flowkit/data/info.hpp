// data: describing a stream (flow-data info) and splitting it into train and test parts.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "flowkit/io/array.hpp"

namespace flowkit {

struct StreamInfo {
  std::string source;  // "moons.npy", "<stdin>"
  std::string format;  // npy, csv, json
  std::string dtype;   // as stored: '<f4', '>i2', ... ("text" for CSV and JSON)
  bool fortran = false;
  int version = 0;     // NPY major version
  Stream stream;
};

// Reads a stream ("-" or "": standard input) and how it was stored; NaN or Inf is an error
// naming the row.
StreamInfo describe_input(const std::string& path);
nlohmann::json info_json(const StreamInfo& si);
std::string info_text(const StreamInfo& si);

// The number of levels L of quantized data: the smallest L in [2, 256] such that every value
// is k / (L - 1) for an integer k in [0, L - 1] (the 8x8 digits: 17; 8-bit images: 256), or 0
// when the data are not quantized so. Dequantized densities need it (doc/MATH.md).
constexpr int kMaxLevels = 256;
int quantization_levels(const float* v, size_t n);
// Whether data whose own grid has `found` levels (quantization_levels; 0: none) lie on the grid
// of `levels`: found >= 2 and levels - 1 a multiple of found - 1 (17-level digits lie on 33).
bool on_level_grid(int levels, int found);

// Rows (and their companion entries) shuffled with the generator: round(n * test_fraction) of
// them, in their original order, make the test part; the rest, in order, the train part.
std::pair<Stream, Stream> split_stream(const Stream& s, double test_fraction, Rng& rng);

}  // namespace flowkit
