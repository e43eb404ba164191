// io: chunked point readers and writers (NPY streams rows; text is read or written whole).
#include <fstream>
#include <iostream>

#include "flowkit/io/npy.hpp"
#include "flowkit/io/stream.hpp"
#include "flowkit/io/stream_detail.hpp"
#include "flowkit/io/text_stream.hpp"

namespace flowkit {
namespace {

int64_t point_dim(const std::vector<int64_t>& shape, const std::string& where) {
  Array a;
  a.shape = shape;
  const int64_t d = a.point_dim();
  if (d < 0) throw Error("expected points (n, d) or images (n, H, W[, C]), got an array of shape " + a.shape_str() + " (" + where + ")");
  return d;
}

// Points already in memory (CSV, JSON, Fortran-order NPY), handed out in chunks.
class MemoryPointReader : public PointReader {
 public:
  MemoryPointReader(Stream s, const std::string& where)
      : s_(std::move(s)), d_(point_dim(s_.main.shape, where)) {}
  int64_t dim() const override { return d_; }
  int64_t count() const override { return s_.main.rows(); }
  int64_t read(Mat& out, int64_t max_rows) override {
    const int64_t k = std::min(max_rows, count() - done_);
    out.resize(d_, k);
    std::copy_n(s_.main.data.begin() + done_ * d_, k * d_, out.data());
    done_ += k;
    return k;
  }
  std::optional<Array> companion() override { return s_.companion; }

 private:
  Stream s_;
  int64_t d_, done_ = 0;
};

// C-order NPY points read straight from the source, chunk by chunk.
class NpyPointReader : public PointReader {
 public:
  NpyPointReader(Source src, npy::Header h)
      : src_(std::move(src)), h_(std::move(h)), d_(point_dim(h_.shape, src_.where())) {}
  int64_t dim() const override { return d_; }
  int64_t count() const override { return h_.shape[0]; }
  int64_t read(Mat& out, int64_t max_rows) override {
    const int64_t k = std::min(max_rows, count() - done_);
    out.resize(d_, k);
    npy::read_values(src_, h_, out.data(), k * d_);
    done_ += k;
    return k;
  }
  std::optional<Array> companion() override {
    if (done_ < count()) throw Error("companion asked for before all points were read (" + src_.where() + ")");
    if (src_.at_end()) return std::nullopt;
    Stream s;
    s.main.shape = h_.shape;
    s.companion = npy::read_payload(src_, npy::read_header(src_));
    if (!src_.at_end()) throw Error("data after the companion array (" + src_.at() + ")");
    detail::check_companion(s, src_.where());
    return s.companion;
  }

 private:
  Source src_;
  npy::Header h_;
  int64_t d_, done_ = 0;
};

// A reader that owns the file it reads.
class FilePointReader : public PointReader {
 public:
  FilePointReader(std::unique_ptr<std::istream> f, std::unique_ptr<PointReader> r)
      : f_(std::move(f)), r_(std::move(r)) {}
  int64_t dim() const override { return r_->dim(); }
  int64_t count() const override { return r_->count(); }
  int64_t read(Mat& out, int64_t max_rows) override { return r_->read(out, max_rows); }
  std::optional<Array> companion() override { return r_->companion(); }

 private:
  std::unique_ptr<std::istream> f_;
  std::unique_ptr<PointReader> r_;
};

// NPY: header first, rows as they come, the companion at the end.
class NpyPointWriter : public PointWriter {
 public:
  NpyPointWriter(std::ostream& out, int64_t n, int64_t d) : out_(out), n_(n), d_(d) {
    const std::string h = npy::header_bytes({n, d});
    out_.write(h.data(), std::streamsize(h.size()));
  }
  void write(const Mat& chunk) override {
    if (chunk.rows() != d_ || written_ + chunk.cols() > n_)
      throw Error("point writer: chunk of " + std::to_string(chunk.cols()) + " points of dimension " +
                  std::to_string(chunk.rows()) + " does not fit " + std::to_string(n_) + " x " + std::to_string(d_));
    out_.write(reinterpret_cast<const char*>(chunk.data()), std::streamsize(chunk.size() * sizeof(float)));
    written_ += chunk.cols();
  }
  void finish(const std::optional<Array>& companion) override {
    if (written_ != n_)
      throw Error("point writer: " + std::to_string(written_) + " points written of " + std::to_string(n_));
    if (companion) npy::write_array(out_, *companion);
  }

 private:
  std::ostream& out_;
  int64_t n_, d_, written_ = 0;
};

// CSV and JSON: collected, then written whole (text streams are small).
class TextPointWriter : public PointWriter {
 public:
  TextPointWriter(std::ostream& out, Format f, std::vector<int64_t> shape) : out_(out), f_(f) {
    s_.main.shape = std::move(shape);
    s_.main.data.reserve(size_t(s_.main.size()));
  }
  void write(const Mat& chunk) override {
    if (chunk.rows() != s_.main.row_size() || int64_t(s_.main.data.size()) + chunk.size() > s_.main.size())
      throw Error("point writer: chunk does not fit " + s_.main.shape_str());
    s_.main.data.insert(s_.main.data.end(), chunk.data(), chunk.data() + chunk.size());
  }
  void finish(const std::optional<Array>& companion) override {
    if (int64_t(s_.main.data.size()) != s_.main.size())
      throw Error("point writer: fewer points written than " + s_.main.shape_str());
    s_.companion = companion;
    write_stream(out_, s_, f_);
  }

 private:
  std::ostream& out_;
  Format f_;
  Stream s_;
};

}  // namespace

std::unique_ptr<PointReader> open_points(std::istream& in, const std::string& where) {
  Source src(in, where);
  if (src.at_end()) throw Error("empty stream (" + where + ")");
  if (src.peek() != 0x93) {
    Stream s = detail::read_text_stream(src.read_all(), where);
    return std::make_unique<MemoryPointReader>(std::move(s), where);
  }
  npy::Header h = npy::read_header(src);
  point_dim(h.shape, where);
  if (!h.fortran || h.shape.size() < 2) return std::make_unique<NpyPointReader>(std::move(src), std::move(h));
  Stream s;
  s.main = npy::read_payload(src, h);
  if (!src.at_end()) s.companion = npy::read_payload(src, npy::read_header(src));
  detail::check_companion(s, where);
  return std::make_unique<MemoryPointReader>(std::move(s), where);
}

std::unique_ptr<PointReader> open_points_input(const std::string& path) {
  std::string where;
  auto f = open_input(path, where);
  std::istream& in = f ? *f : std::cin;
  auto r = open_points(in, where);
  return std::make_unique<FilePointReader>(std::move(f), std::move(r));
}

std::unique_ptr<PointWriter> open_point_writer(std::ostream& out, Format f, int64_t n, int64_t d) {
  if (f == Format::npy) return std::make_unique<NpyPointWriter>(out, n, d);
  return std::make_unique<TextPointWriter>(out, f, std::vector<int64_t>{n, d});
}

std::unique_ptr<PointWriter> open_text_writer(std::ostream& out, Format f, int64_t n,
                                              const std::vector<int64_t>& row_shape) {
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  return std::make_unique<TextPointWriter>(out, f, std::move(shape));
}

}  // namespace flowkit
