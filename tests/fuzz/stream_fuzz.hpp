// fuzz: a stream read whole (read_stream) and chunk by chunk (open_points), the two ways every
// program reads its input; both must agree on what they accept.
#pragma once
#include <sstream>

#include "flowkit/io/stream.hpp"
#include "fuzz.hpp"

namespace flowkit::fuzz {

inline void read_stream_both_ways(const std::string& text) {
  expect_clean([&] {
    std::istringstream in(text);
    read_stream(in, "<fuzz>");
  });
  expect_clean([&] {
    std::istringstream in(text);
    auto reader = open_points(in, "<fuzz>");
    Mat chunk;
    while (reader->read(chunk, 7) > 0) {
    }
    reader->companion();
  });
}

}  // namespace flowkit::fuzz
