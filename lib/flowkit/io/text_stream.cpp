#include "flowkit/io/text_stream.hpp"

#include <charconv>
#include <cmath>

namespace flowkit::text {

std::string format_float(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

bool companion_is_times(const Stream& s) {
  if (!s.companion || s.main.shape.size() != 3) return false;
  for (float v : s.companion->data)
    if (v != std::floor(v)) return true;
  return false;
}

}  // namespace flowkit::text
