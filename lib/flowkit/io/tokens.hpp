// io: token streams, the discrete data of doc/DESIGN.md: an integer NPY array (n, L) or
// (n, H, W) (labels (n,) may follow), or CSV / JSON whose every value is a whole number; and
// their writer (NPY '<i4', or text).
#pragma once
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "flowkit/core/tokens.hpp"
#include "flowkit/io/array.hpp"
#include "flowkit/io/stream.hpp"

namespace flowkit {

struct TokenStream {
  Tokens x;                     // L x n
  std::vector<int64_t> shape;   // of one sample: {L} or {H, W}
  std::optional<Array> labels;  // the companion (n,), when there is one
  int32_t max_token = -1;       // the largest token (the vocabulary is at least max + 1)
};

// Whether a stream is token data: an NPY array of an integer or boolean dtype, or text whose
// every value is a whole number. Reads only what it needs of `s` (the NPY header).
bool is_token_npy(const std::string& path);

// Reads token data; one clear Error for a float NPY array ("a float array given as tokens"),
// a value that is not a whole number in 0..kMaxVocab-1, or an array of rank 1 or above 3.
TokenStream read_tokens(const std::string& path);
// The same from points already read as floats (text streams): every value a whole number.
TokenStream tokens_from_stream(const Stream& s, const std::string& where);

// Writes tokens as an array of the given shape (whose size is x's): NPY '<i4', CSV or JSON.
void write_tokens(std::ostream& out, const Tokens& x, const std::vector<int64_t>& shape, Format f,
                  const std::optional<Array>& companion = std::nullopt);

}  // namespace flowkit
