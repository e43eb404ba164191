// io: a byte source over an istream that knows its offset and its name, for error messages.
#pragma once
#include <istream>
#include <string>

#include "flowkit/core/core.hpp"

namespace flowkit {

class Source {
 public:
  Source(std::istream& in, std::string where) : in_(in), where_(std::move(where)) {}
  // Reads up to n bytes; returns how many were read (fewer only at the end).
  size_t read(char* buf, size_t n) {
    in_.read(buf, std::streamsize(n));
    const auto got = size_t(in_.gcount());
    offset_ += int64_t(got);
    return got;
  }
  int peek() { return in_.peek(); }
  bool at_end() { return in_.peek() == std::char_traits<char>::eof(); }
  int64_t offset() const { return offset_; }
  const std::string& where() const { return where_; }
  // "moons.npy, byte offset 128"
  std::string at() const { return where_ + ", byte offset " + std::to_string(offset_); }
  // Everything left, as text.
  std::string read_all() {
    std::string s;
    char buf[1 << 16];
    for (size_t got; (got = read(buf, sizeof buf)) > 0;) s.append(buf, got);
    return s;
  }

 private:
  std::istream& in_;
  std::string where_;
  int64_t offset_ = 0;
};

}  // namespace flowkit
