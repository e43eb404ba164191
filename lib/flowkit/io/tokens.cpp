#include "flowkit/io/tokens.hpp"

#include <cmath>
#include <iostream>

#include "flowkit/io/npy.hpp"
#include "flowkit/io/stream_detail.hpp"

namespace flowkit {
namespace {

// An NPY array whose dtype is checked for tokens before its payload is read.
Array read_token_npy(Source& src) {
  const npy::Header h = npy::read_header(src);
  if (h.dtype.kind == 'f')
    throw Error("a float array given as tokens (" + src.where() + ", dtype '" + h.dtype.descr +
                "'): token data is an integer array (numpy: x.astype(np.int32))");
  return npy::read_payload(src, h);
}

}  // namespace

bool is_token_npy(const std::string& path) {
  std::string where;
  auto f = open_input(path, where);
  if (!f) return false;  // standard input cannot be read twice
  Source src(*f, where);
  if (src.at_end() || src.peek() != 0x93) return false;
  const char k = npy::read_header(src).dtype.kind;
  return k == 'i' || k == 'u' || k == 'b';
}

TokenStream tokens_from_stream(const Stream& s, const std::string& where) {
  const auto& sh = s.main.shape;
  if (sh.size() < 2 || sh.size() > 3)
    throw Error("token data is an array (n, L) or (n, H, W), got " + s.main.shape_str() + " (" + where + ")");
  TokenStream t;
  t.shape.assign(sh.begin() + 1, sh.end());
  const int64_t n = sh[0], L = s.main.row_size();
  t.x.resize(L, n);
  for (int64_t k = 0; k < n * L; ++k) {
    const float v = s.main.data[size_t(k)];
    auto at = [&] {
      return " (" + where + ", sequence " + std::to_string(k / L) + ", position " + std::to_string(k % L) + ")";
    };
    if (!(v == std::floor(v)) || v < 0)
      throw Error("value " + std::to_string(v) + " is not a token, a whole number >= 0" + at());
    if (v >= float(kMaxVocab))
      throw Error("token " + std::to_string(int64_t(v)) + " is beyond the largest vocabulary, 2^16 = " +
                  std::to_string(kMaxVocab) + " tokens" + at());
    t.x.data()[k] = int32_t(v);
  }
  t.max_token = t.x.size() ? t.x.maxCoeff() : -1;
  t.labels = s.companion;
  return t;
}

TokenStream read_tokens(const std::string& path) {
  std::string where;
  auto f = open_input(path, where);
  Source src(f ? *f : std::cin, where);
  if (src.at_end()) throw Error("empty stream (" + where + ")");
  Stream s;
  if (src.peek() == 0x93) {
    s.main = read_token_npy(src);
    if (!src.at_end()) s.companion = npy::read_payload(src, npy::read_header(src));
    if (!src.at_end()) throw Error("data after the second array (" + src.at() + ")");
    detail::check_companion(s, where);
  } else {
    s = detail::read_text_stream(src.read_all(), where);
  }
  return tokens_from_stream(s, where);
}

void write_tokens(std::ostream& out, const Tokens& x, const std::vector<int64_t>& shape, Format f,
                  const std::optional<Array>& companion) {
  int64_t size = 1;
  for (int64_t s : shape) size *= s;
  if (size != x.size()) throw Error("write_tokens: the shape does not hold the tokens");
  const std::vector<int64_t>& full = shape;
  if (f == Format::npy) {
    const std::string h = npy::header_bytes(full, "<i4");
    out.write(h.data(), std::streamsize(h.size()));
    out.write(reinterpret_cast<const char*>(x.data()), std::streamsize(x.size() * sizeof(int32_t)));
    if (companion) npy::write_array(out, *companion);
    return;
  }
  Stream s;
  s.main.shape = full;
  s.main.data.assign(x.data(), x.data() + x.size());
  s.companion = companion;
  write_stream(out, s, f);
}

}  // namespace flowkit
