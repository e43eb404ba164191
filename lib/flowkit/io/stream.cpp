// io: streams of one or two arrays: format detection, whole reads and writes.
#include "flowkit/io/stream.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sys/stat.h>

#include "flowkit/io/npy.hpp"
#include "flowkit/io/stream_detail.hpp"
#include "flowkit/io/text_stream.hpp"

namespace flowkit {

const ChoiceTable<Format>& formats() {
  static const ChoiceTable<Format> t = {{"npy", Format::npy, "NumPy .npy (float32)"},
                                        {"csv", Format::csv, "comma-separated text"},
                                        {"json", Format::json, "JSON array of rows"}};
  return t;
}

namespace detail {

bool looks_binary(const std::string& text) {
  const size_t n = std::min<size_t>(text.size(), 4096);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f) return true;
  }
  return false;
}

void check_companion(const Stream& s, const std::string& where) {
  if (!s.companion) return;
  const Array& c = *s.companion;
  if (c.shape.size() != 1 || c.shape[0] != s.main.rows())
    throw Error("companion array of shape " + c.shape_str() + " does not match the main array of shape " +
                s.main.shape_str() + " (it must be (" + std::to_string(s.main.rows()) + ",)) (" + where + ")");
}

Stream read_npy_stream(Source& src) {
  Stream s;
  s.main = npy::read_payload(src, npy::read_header(src));
  if (!src.at_end() && src.peek() == 0x93) s.companion = npy::read_payload(src, npy::read_header(src));
  if (!src.at_end()) {
    const int64_t at = src.offset();
    const size_t extra = src.read_all().size();
    throw Error("the data does not match the shape " + (s.companion ? s.companion->shape_str() : s.main.shape_str()) +
                ": " + std::to_string(extra) + " bytes more than it needs (" + src.where() + ", byte offset " +
                std::to_string(at) + ")");
  }
  check_companion(s, src.where());
  return s;
}

Stream read_text_stream(const std::string& text, const std::string& where) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error("empty stream (" + where + ")");
  if (looks_binary(text))
    throw Error("wrong magic: not an NPY array (\\x93NUMPY), CSV or JSON (" + where + ", byte offset 0)");
  Stream s = (text[first] == '[' || text[first] == '{') ? text::read_json(text, where) : text::read_csv(text, where);
  check_companion(s, where);
  return s;
}

}  // namespace detail

Stream read_stream(std::istream& in, const std::string& where) {
  Source src(in, where);
  if (src.at_end()) throw Error("empty stream (" + where + ")");
  if (src.peek() == 0x93) return detail::read_npy_stream(src);
  return detail::read_text_stream(src.read_all(), where);
}

std::unique_ptr<std::istream> open_input(const std::string& path, std::string& where) {
  if (path.empty() || path == "-") {
    where = "<stdin>";
    return nullptr;
  }
  where = path;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error("cannot read " + path + ": it is a directory");
  auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*f) throw Error("cannot open " + path + ": " + std::strerror(errno));
  return f;
}

Stream read_input(const std::string& path) {
  std::string where;
  auto f = open_input(path, where);
  return read_stream(f ? *f : std::cin, where);
}

void write_stream(std::ostream& out, const Stream& s, Format f) {
  switch (f) {
    case Format::npy:
      npy::write_array(out, s.main);
      if (s.companion) npy::write_array(out, *s.companion);
      break;
    case Format::csv:
      text::write_csv(out, s);
      break;
    case Format::json:
      text::write_json(out, s);
      break;
  }
}

}  // namespace flowkit
