// io: pieces of the stream reader shared by whole reads and chunked point readers.
#pragma once
#include <memory>
#include <string>

#include "flowkit/io/array.hpp"
#include "flowkit/io/source.hpp"

namespace flowkit {
namespace detail {
// True when the first bytes hold control characters that no CSV or JSON text has.
bool looks_binary(const std::string& text);
// The companion must be (n,) for a main array of n rows.
void check_companion(const Stream& s, const std::string& where);
// One or two NPY arrays and nothing after them.
Stream read_npy_stream(Source& src);
// CSV or JSON, told apart by the first non-blank character.
Stream read_text_stream(const std::string& text, const std::string& where);
}  // namespace detail

// Opens a file for reading (nullptr for "-" or "": standard input), naming it in `where`.
std::unique_ptr<std::istream> open_input(const std::string& path, std::string& where);
}  // namespace flowkit
