#include "flowkit/io/npy.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

namespace flowkit::npy {
namespace {

const char magic[] = "\x93NUMPY";

// Python literal scanner for the header dict: {'descr': '<f4', 'fortran_order': False, ...}
class DictParser {
 public:
  DictParser(const std::string& s, const std::string& where) : s_(s), where_(where) {}

  [[noreturn]] void fail(const std::string& what) const {
    std::string excerpt = s_.substr(0, 120);
    for (char& c : excerpt)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    excerpt.erase(excerpt.find_last_not_of(' ') + 1);
    throw Error("malformed NPY header: " + what + " (" + where_ + ", header character " + std::to_string(i_) +
                ": " + excerpt + ")");
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string() {
    skip();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) fail("expected a string");
    const char q = s_[i_++];
    const auto end = s_.find(q, i_);
    if (end == std::string::npos) fail("unterminated string");
    std::string v = s_.substr(i_, end - i_);
    i_ = end + 1;
    return v;
  }
  bool boolean() {
    skip();
    for (auto [word, v] : {std::pair{"True", true}, std::pair{"False", false}})
      if (s_.compare(i_, std::strlen(word), word) == 0) return i_ += std::strlen(word), v;
    fail("expected True or False");
  }
  int64_t integer() {
    skip();
    int64_t v = 0;
    const size_t start = i_;
    for (; i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])); ++i_) {
      if (v > (INT64_MAX - 9) / 10) fail("shape element too large");
      v = v * 10 + (s_[i_] - '0');
    }
    if (i_ == start) fail("expected a non-negative integer in the shape");
    if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 long
    return v;
  }
  std::vector<int64_t> tuple() {
    expect('(');
    std::vector<int64_t> t;
    while (!eat(')')) {
      t.push_back(integer());
      if (!eat(',')) {
        expect(')');
        break;
      }
    }
    return t;
  }
  // A descr that is not a plain string (a structured dtype list) is unsupported.
  std::string descr() {
    skip();
    if (i_ < s_.size() && s_[i_] == '[') {
      const auto end = s_.find(']', i_);
      throw Error("unsupported dtype " + s_.substr(i_, end == std::string::npos ? 40 : end - i_ + 1) +
                  " (structured arrays are not read; " + where_ + ")");
    }
    return string();
  }
  bool done() {
    skip();
    return i_ == s_.size();
  }

 private:
  const std::string& s_;
  const std::string& where_;
  size_t i_ = 0;
};

Dtype parse_dtype(const std::string& d, const std::string& where) {
  Dtype t;
  t.descr = d;
  const auto unsupported = [&] {
    return Error("unsupported dtype '" + d + "' (" + where +
                 "); supported: float16/32/64, int8..int64, uint8..uint64, bool, either byte order");
  };
  if (d.size() < 3 || std::string("<>|=").find(d[0]) == std::string::npos) throw unsupported();
  t.kind = d[1];
  const std::string digits = d.substr(2);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 1) throw unsupported();
  t.size = digits[0] - '0';
  const bool ok = (t.kind == 'f' && (t.size == 2 || t.size == 4 || t.size == 8)) ||
                  ((t.kind == 'i' || t.kind == 'u') &&
                   (t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8)) ||
                  (t.kind == 'b' && t.size == 1);
  if (!ok) throw unsupported();
  if (d[0] == '|' && t.size != 1) throw unsupported();
  t.swap = d[0] == '>' && t.size > 1;  // this code runs on little-endian machines
  return t;
}

float half_to_float(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const float sign = (h & 0x8000) ? -1.0f : 1.0f;
  if (e == 0) return sign * std::ldexp(float(m), -24);
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * std::ldexp(float(m + 1024), e - 25);
}

template <class T>
float load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) b[i] = swap ? p[sizeof(T) - 1 - i] : p[i];
  T v;
  std::memcpy(&v, b, sizeof(T));
  return float(v);
}

float convert(const unsigned char* p, const Dtype& t) {
  switch (t.kind) {
    case 'f':
      if (t.size == 2) {
        const uint16_t h = uint16_t(t.swap ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]));
        return half_to_float(h);
      }
      return t.size == 4 ? load<float>(p, t.swap) : load<double>(p, t.swap);
    case 'i':
      if (t.size == 1) return float(int8_t(p[0]));
      return t.size == 2 ? load<int16_t>(p, t.swap) : t.size == 4 ? load<int32_t>(p, t.swap) : load<int64_t>(p, t.swap);
    case 'u':
      if (t.size == 1) return float(p[0]);
      return t.size == 2 ? load<uint16_t>(p, t.swap) : t.size == 4 ? load<uint32_t>(p, t.swap) : load<uint64_t>(p, t.swap);
    default:
      return p[0] ? 1.0f : 0.0f;
  }
}

std::string shape_string(const std::vector<int64_t>& shape) {
  Array a;
  a.shape = shape;
  return a.shape_str();
}

Error truncated(const Source& src, const Header& h) {
  const int64_t have = (src.offset() - h.data_offset) / h.dtype.size;
  return Error("truncated NPY payload: shape " + h.shape_str() + " needs " + std::to_string(h.count) + " elements of " +
               std::to_string(h.dtype.size) + " bytes, the data ends after " + std::to_string(have) + " (" +
               src.at() + ")");
}

}  // namespace

std::string Header::shape_str() const { return shape_string(shape); }

Header parse_header_dict(const std::string& dict, const std::string& where) {
  DictParser p(dict, where);
  Header h;
  bool seen[3] = {false, false, false};
  p.expect('{');
  while (!p.eat('}')) {
    const std::string key = p.string();
    p.expect(':');
    if (key == "descr") h.dtype = parse_dtype(p.descr(), where), seen[0] = true;
    else if (key == "fortran_order") h.fortran = p.boolean(), seen[1] = true;
    else if (key == "shape") h.shape = p.tuple(), seen[2] = true;
    else p.fail("unexpected key '" + key + "'");
    if (!p.eat(',')) {
      p.expect('}');
      break;
    }
  }
  if (!p.done()) p.fail("text after the dict");
  if (!seen[0] || !seen[1] || !seen[2]) p.fail("keys descr, fortran_order and shape are all required");
  h.count = 1;
  for (auto s : h.shape)
    if (__builtin_mul_overflow(h.count, s, &h.count) || h.count > INT64_MAX / 8)
      throw Error("NPY shape " + h.shape_str() + " has too many elements (" + where + ")");
  return h;
}

Header read_header(Source& src) {
  unsigned char pre[12];
  const int64_t start = src.offset();
  const size_t got = src.read(reinterpret_cast<char*>(pre), 8);
  if (got < 8 && std::memcmp(pre, magic, std::min<size_t>(got, 6)) == 0)
    throw Error("truncated NPY header: " + std::to_string(got) + " bytes at " + src.where() +
                ", byte offset " + std::to_string(start));
  if (std::memcmp(pre, magic, 6) != 0)
    throw Error("wrong magic: not an NPY array (" + src.where() + ", byte offset " + std::to_string(start) + ")");
  const int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    throw Error("unsupported NPY version " + std::to_string(major) + "." + std::to_string(minor) + " (" +
                src.at() + "); 1.0, 2.0 and 3.0 are read");
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (src.read(reinterpret_cast<char*>(pre + 8), len_bytes) < len_bytes)
    throw Error("truncated NPY header: no header length (" + src.at() + ")");
  uint64_t hlen = pre[8] | uint64_t(pre[9]) << 8;
  if (major > 1) {
    unsigned char* q = pre + 8;
    hlen = uint64_t(q[0]) | uint64_t(q[1]) << 8 | uint64_t(q[2]) << 16 | uint64_t(q[3]) << 24;
  }
  if (hlen > uint64_t(max_header_bytes))
    throw Error("NPY header of " + std::to_string(hlen) + " bytes is over the limit of " +
                std::to_string(max_header_bytes) + " (" + src.at() + ")");
  std::string dict(hlen, '\0');
  const size_t hgot = src.read(dict.data(), hlen);
  if (hgot < hlen)
    throw Error("truncated NPY header: expected " + std::to_string(hlen) + " header bytes, got " +
                std::to_string(hgot) + " (" + src.at() + ")");
  Header h = parse_header_dict(dict, src.where() + ", byte offset " + std::to_string(start));
  h.data_offset = src.offset();
  return h;
}

void read_values(Source& src, const Header& h, float* out, int64_t k) {
  const size_t sz = size_t(h.dtype.size);
  // Little-endian float32, the common case: straight into place
  if (h.dtype.kind == 'f' && sz == 4 && !h.dtype.swap) {
    const size_t want = size_t(k) * 4, got = src.read(reinterpret_cast<char*>(out), want);
    if (got < want) throw truncated(src, h);
    return;
  }
  std::vector<unsigned char> buf;
  constexpr int64_t chunk = 1 << 16;
  for (int64_t done = 0; done < k;) {
    const int64_t m = std::min(chunk, k - done);
    buf.resize(size_t(m) * sz);
    const size_t got = src.read(reinterpret_cast<char*>(buf.data()), buf.size());
    if (got < buf.size()) throw truncated(src, h);
    for (int64_t i = 0; i < m; ++i) out[done + i] = convert(buf.data() + size_t(i) * sz, h.dtype);
    done += m;
  }
}

std::vector<float> fortran_to_c(const std::vector<float>& f, const std::vector<int64_t>& shape) {
  const size_t r = shape.size();
  if (r < 2) return f;
  std::vector<int64_t> stride(r, 1), idx(r, 0);
  for (size_t k = 1; k < r; ++k) stride[k] = stride[k - 1] * shape[k - 1];
  std::vector<float> c(f.size());
  int64_t off = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    c[i] = f[size_t(off)];
    // Advance the C-order index (last fastest), keeping the Fortran offset in step
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < shape[k]) {
        off += stride[k];
        break;
      }
      off -= stride[k] * (shape[k] - 1);
      idx[k] = 0;
    }
  }
  return c;
}

Array read_payload(Source& src, const Header& h) {
  Array a;
  a.shape = h.shape;
  // Grow as the bytes arrive, so that a lying shape fails as truncated, not out of memory
  constexpr int64_t chunk = 1 << 20;
  for (int64_t done = 0; done < h.count;) {
    const int64_t m = std::min(chunk, h.count - done);
    a.data.resize(size_t(done + m));
    read_values(src, h, a.data.data() + done, m);
    done += m;
  }
  if (h.fortran) a.data = fortran_to_c(a.data, a.shape);
  return a;
}

std::string header_bytes(const std::vector<int64_t>& shape, const char* descr) {
  std::string dict = "{'descr': '" + std::string(descr) +
                     "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
  if (!shape.empty()) dict += std::string(21 - std::to_string(shape[0]).size(), ' ');
  const size_t hlen = dict.size() + 1;
  const size_t pad = 64 - (6 + 2 + 2 + hlen) % 64;
  const size_t total = hlen + pad;
  std::string out(magic, 6);
  out += char(1);
  out += char(0);
  out += char(total & 0xff);
  out += char(total >> 8);
  return out + dict + std::string(pad, ' ') + '\n';
}

void write_array(std::ostream& out, const Array& a) {
  const std::string h = header_bytes(a.shape);
  out.write(h.data(), std::streamsize(h.size()));
  out.write(reinterpret_cast<const char*>(a.data.data()), std::streamsize(a.data.size() * sizeof(float)));
}

}  // namespace flowkit::npy
