#include "flowkit/data/info.hpp"

#include <cmath>
#include <iostream>
#include <sstream>

#include "flowkit/io/npy.hpp"
#include "flowkit/io/stream.hpp"
#include "flowkit/io/stream_detail.hpp"

namespace flowkit {
namespace {

struct Stats {
  double min = INFINITY, max = -INFINITY, mean = 0;
};

// Per-column statistics over the rows (a column is one element of a row).
// No rows: no statistics (and nothing allocated for a header's (0, 10^9) columns).
std::vector<Stats> column_stats(const Array& a) {
  const int64_t n = a.rows(), d = a.row_size();
  if (n == 0) return {};
  std::vector<Stats> st(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const double v = a.data[size_t(i * d + j)];
      auto& s = st[size_t(j)];
      s.min = std::min(s.min, v), s.max = std::max(s.max, v), s.mean += v;
    }
  for (auto& s : st) s.mean = n > 0 ? s.mean / double(n) : NAN;
  return st;
}

Stats overall(const std::vector<Stats>& cols) {
  Stats o;
  for (const auto& s : cols) o.min = std::min(o.min, s.min), o.max = std::max(o.max, s.max), o.mean += s.mean;
  o.mean = cols.empty() ? NAN : o.mean / double(cols.size());
  return o;
}

// A statistic of no values (an empty array) is null, not inf or nan.
nlohmann::json stat(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

void require_finite_rows(const Array& a, const std::string& where) {
  const int64_t d = a.row_size();
  for (size_t k = 0; k < a.data.size(); ++k)
    if (!std::isfinite(a.data[k]))
      throw Error("non-finite value (NaN or Inf) in row " + std::to_string(int64_t(k) / d) + " (" + where + ", shape " +
                  a.shape_str() + ")");
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

// Rows idx of an array, in the order given.
Array take_rows(const Array& a, const std::vector<size_t>& idx) {
  Array out;
  out.shape = a.shape;
  if (!out.shape.empty()) out.shape[0] = int64_t(idx.size());
  const auto d = size_t(a.row_size());
  out.data.reserve(idx.size() * d);
  for (size_t i : idx) out.data.insert(out.data.end(), a.data.begin() + long(i * d), a.data.begin() + long((i + 1) * d));
  return out;
}

}  // namespace

StreamInfo describe_input(const std::string& path) {
  StreamInfo si;
  std::string bytes;
  {
    auto f = open_input(path, si.source);
    Source src(f ? *f : std::cin, si.source);
    bytes = src.read_all();
  }
  std::istringstream in(bytes);
  si.stream = read_stream(in, si.source);
  if (static_cast<unsigned char>(bytes[0]) == 0x93) {
    std::istringstream hin(bytes);
    Source hs(hin, si.source);
    const npy::Header h = npy::read_header(hs);
    si.format = "npy", si.dtype = h.dtype.descr, si.fortran = h.fortran, si.version = bytes[6];
  } else {
    si.format = bytes[bytes.find_first_not_of(" \t\r\n")] == '[' || bytes[bytes.find_first_not_of(" \t\r\n")] == '{' ? "json" : "csv";
    si.dtype = "text";
  }
  require_finite_rows(si.stream.main, si.source);
  if (si.stream.companion) require_finite_rows(*si.stream.companion, si.source + ", companion");
  return si;
}

nlohmann::json info_json(const StreamInfo& si) {
  nlohmann::json j;
  j["source"] = si.source;
  j["format"] = si.format;
  j["dtype"] = si.dtype;
  if (si.format == "npy") j["version"] = si.version, j["fortran_order"] = si.fortran;
  const Array& a = si.stream.main;
  j["shape"] = a.shape;
  j["count"] = a.rows();
  const auto cols = column_stats(a);
  const Stats o = overall(cols);
  j["min"] = stat(o.min), j["mean"] = stat(o.mean), j["max"] = stat(o.max);
  j["dims"] = nlohmann::json::array();
  for (const auto& s : cols) j["dims"].push_back({{"min", s.min}, {"mean", s.mean}, {"max", s.max}});
  if (si.stream.companion) {
    const Stats c = overall(column_stats(*si.stream.companion));
    j["companion"] = {{"shape", si.stream.companion->shape}, {"min", stat(c.min)}, {"mean", stat(c.mean)}, {"max", stat(c.max)}};
  }
  return j;
}

std::string info_text(const StreamInfo& si) {
  std::ostringstream os;
  const Array& a = si.stream.main;
  os << "source     " << si.source << "\n";
  os << "format     " << si.format;
  if (si.format == "npy")
    os << " (version " << si.version << ".0, dtype '" << si.dtype << "', " << (si.fortran ? "Fortran" : "C") << " order)";
  os << "\nshape      " << a.shape_str() << "\ncount      " << a.rows() << " rows of " << a.row_size() << " values\n";
  if (si.stream.companion) {
    const Stats c = overall(column_stats(*si.stream.companion));
    os << "companion  " << si.stream.companion->shape_str() << ", min " << fmt(c.min) << ", max " << fmt(c.max) << "\n";
  }
  const auto cols = column_stats(a);
  os << "dim        min          mean         max\n";
  const auto line = [&](const std::string& name, const Stats& s) {
    char b[128];
    std::snprintf(b, sizeof b, "%-10s %-12s %-12s %s\n", name.c_str(), fmt(s.min).c_str(), fmt(s.mean).c_str(), fmt(s.max).c_str());
    os << b;
  };
  if (cols.empty()) {
    os << "all        -            -            -            (no rows)\n";
    return os.str();
  }
  if (cols.size() <= 16)
    for (size_t j = 0; j < cols.size(); ++j) line(std::to_string(j), cols[j]);
  line("all", overall(cols));
  return os.str();
}

std::pair<Stream, Stream> split_stream(const Stream& s, double test_fraction, Rng& rng) {
  const auto n = size_t(s.main.rows());
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  shuffle_indices(idx, rng);
  const auto n_test = size_t(std::llround(double(n) * test_fraction));
  std::vector<size_t> test(idx.begin(), idx.begin() + long(n_test)), train(idx.begin() + long(n_test), idx.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());
  std::pair<Stream, Stream> out;
  out.first.main = take_rows(s.main, train);
  out.second.main = take_rows(s.main, test);
  if (s.companion) out.first.companion = take_rows(*s.companion, train), out.second.companion = take_rows(*s.companion, test);
  return out;
}

bool on_level_grid(int levels, int found) { return found >= 2 && (levels - 1) % (found - 1) == 0; }

int quantization_levels(const float* v, size_t n) {
  if (n == 0) return 0;
  for (int q = 1; q < kMaxLevels; ++q) {
    bool all = true;
    for (size_t i = 0; i < n && all; ++i) {
      const double k = double(v[i]) * q;
      all = v[i] >= 0 && v[i] <= 1 && std::abs(k - std::round(k)) < 1e-3;
    }
    if (all) return q + 1;
  }
  return 0;
}

}  // namespace flowkit
