// io: reading and writing streams (NPY, CSV, JSON), with format detection.
#pragma once
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "flowkit/io/array.hpp"
#include "flowkit/core/choice.hpp"

namespace flowkit {

enum class Format { npy, csv, json };
const ChoiceTable<Format>& formats();

// Reads a whole stream (main array + optional companion), detecting the format from the
// first bytes. `where` names the source in error messages ("moons.npy", "<stdin>").
Stream read_stream(std::istream& in, const std::string& where);
// "-" or "" is standard input; otherwise a file (a missing file is a clear error).
Stream read_input(const std::string& path);

// Writes a stream in the given format (NPY: v1.0, '<f4', 64-byte aligned header).
void write_stream(std::ostream& out, const Stream& s, Format f);

// Reads points (n, d) chunk by chunk, for bounded-memory pipelines.
class PointReader {
 public:
  virtual ~PointReader() = default;
  virtual int64_t dim() const = 0;
  virtual int64_t count() const = 0;  // -1 when not known in advance (CSV/JSON on a pipe)
  // Fills up to max_rows points into `out` (d x k); returns k, 0 at the end.
  virtual int64_t read(Mat& out, int64_t max_rows) = 0;
  // The companion array, once all rows have been read (if the stream carries one).
  virtual std::optional<Array> companion() = 0;
};
std::unique_ptr<PointReader> open_points(std::istream& in, const std::string& where);
// The same over a path ("-" or "": standard input); the reader owns the open file.
std::unique_ptr<PointReader> open_points_input(const std::string& path);

// Writes n points of dimension d chunk by chunk (NPY header up front: n must be known).
class PointWriter {
 public:
  virtual ~PointWriter() = default;
  virtual void write(const Mat& chunk) = 0;  // d x k
  virtual void finish(const std::optional<Array>& companion = std::nullopt) = 0;
};
std::unique_ptr<PointWriter> open_point_writer(std::ostream& out, Format f, int64_t n, int64_t d);
// Text of n rows of the given shape (images, (2, d) pairs), written with the column names that
// give the shape back (p0_0, p0_1, ...); a chunk's columns are rows of prod(row_shape) values.
std::unique_ptr<PointWriter> open_text_writer(std::ostream& out, Format f, int64_t n,
                                              const std::vector<int64_t>& row_shape);

}  // namespace flowkit
