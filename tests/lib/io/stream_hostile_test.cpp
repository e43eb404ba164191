// Hostile input: every prefix and many corruptions of valid streams give a flowkit::Error (or a
// valid stream), never a crash, a hang or another exception (lib/flowkit/stream.cpp, npy.cpp).
#include <catch2/catch.hpp>
#include <sstream>

#include "flowkit/io/stream.hpp"

using namespace flowkit;

namespace {
// Reads bytes; returns "ok" or "error", and fails the test on any other exception.
std::string outcome(const std::string& bytes) {
  std::istringstream in(bytes);
  try {
    read_stream(in, "fuzz");
    std::istringstream again(bytes);
    auto r = open_points(again, "fuzz");
    Mat chunk;
    while (r->read(chunk, 7) > 0) {
    }
    r->companion();
    return "ok";
  } catch (const Error&) {
    return "error";
  }
}
std::string two_arrays() {
  Stream s;
  s.main = Array({5, 2});
  for (size_t i = 0; i < 10; ++i) s.main.data[i] = float(i);
  s.companion = Array::from_vector({1, 2, 3, 4, 5});
  std::ostringstream out;
  write_stream(out, s, Format::npy);
  return out.str();
}
}  // namespace

TEST_CASE("Every prefix of a two-array NPY stream is an error, except the first array alone", "[io]") {
  const std::string full = two_arrays();
  const size_t first = 128 + 40;  // header and 5 x 2 float32
  for (size_t len = 0; len < full.size(); ++len) {
    INFO("prefix of " << len << " bytes");
    CHECK(outcome(full.substr(0, len)) == (len == first ? "ok" : "error"));
  }
  CHECK(outcome(full) == "ok");
}

TEST_CASE("Corrupted NPY headers are refused cleanly or read", "[io]") {
  const std::string full = two_arrays();
  const unsigned char values[] = {0, ' ', '\'', '(', ')', ',', '9', 'L', '>', 0x93, 0xff};
  for (size_t pos = 0; pos < 128; ++pos)
    for (unsigned char v : values) {
      std::string bad = full;
      bad[pos] = char(v);
      INFO("byte " << pos << " set to " << int(v));
      const std::string r = outcome(bad);
      CHECK((r == "ok" || r == "error"));
    }
}

TEST_CASE("Hostile text is refused with flowkit errors", "[io]") {
  for (const std::string& s : std::vector<std::string>{"[1e999]", "[[1, 2], [3, 4e400]]", "[{}]", "{\"data\": 5}",
                               "{\"states\": [[1]], \"times\": [[0]]}", "[1, [2]]", "[\"a\"]", "[true]", "[null]",
                               "1,2\n3,4,\n", ",\n", "\"a\",\"b\"\n1,2\n3\n", "[" + std::string(100000, '[')}) {
    INFO(s.substr(0, 60));
    CHECK(outcome(s) == "error");
  }
  CHECK(outcome("1e999,2\n") == "ok");  // inf is a value; finiteness is checked where it matters
}
