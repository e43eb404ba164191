// Tests of CSV and JSON streams and of format detection (lib/flowkit/csv.cpp, json_stream.cpp).
#include <catch2/catch.hpp>
#include <sstream>

#include "flowkit/io/stream.hpp"

using namespace flowkit;

namespace {
Stream read_str(const std::string& s) {
  std::istringstream in(s);
  return read_stream(in, "test");
}
std::string write_str(const Stream& s, Format f) {
  std::ostringstream out;
  write_stream(out, s, f);
  return out.str();
}
Stream sample(std::vector<int64_t> shape, bool companion, float scale = 0.37f) {
  Stream s;
  s.main = Array(std::move(shape));
  for (size_t i = 0; i < s.main.data.size(); ++i) s.main.data[i] = float(i) * scale - 1.0f / 3.0f;
  if (companion) {
    s.companion = Array({s.main.rows()});
    for (int64_t i = 0; i < s.main.rows(); ++i) s.companion->data[size_t(i)] = float(i % 3);
  }
  return s;
}
}  // namespace

TEST_CASE("CSV with and without a header line", "[io]") {
  const Stream a = read_str("1,2\n3,4.5\n-1e3,0\n");
  CHECK(a.main.shape == std::vector<int64_t>{3, 2});
  CHECK(a.main.data == std::vector<float>{1, 2, 3, 4.5f, -1000, 0});
  const Stream b = read_str("# written by numpy.savetxt\nx,y\r\n 1 , 2\r\n\n3,4\n");
  CHECK(b.main.shape == std::vector<int64_t>{2, 2});
  CHECK(b.main.data == std::vector<float>{1, 2, 3, 4});
  CHECK_FALSE(b.companion);
}

TEST_CASE("CSV and JSON round trips are exact for every shape, with companions", "[io]") {
  for (Format f : {Format::csv, Format::json})
    for (const auto& shape : std::vector<std::vector<int64_t>>{{5}, {5, 2}, {4, 3, 2}, {3, 2, 2, 3}})
      for (bool comp : {false, true}) {
        const Stream s = sample(shape, comp);
        const Stream r = read_str(write_str(s, f));
        INFO("format " << choice_name(formats(), f) << " shape " << s.main.shape_str() << " companion " << comp);
        CHECK(r.main.shape == s.main.shape);
        CHECK(r.main.data == s.main.data);
        REQUIRE(bool(r.companion) == comp);
        if (comp) CHECK(r.companion->data == s.companion->data);
      }
}

TEST_CASE("A trajectory in JSON is {times, states}", "[io]") {
  Stream s = sample({3, 2, 2}, false);
  s.companion = Array::from_vector({0.0f, 0.5f, 1.0f});
  const std::string j = write_str(s, Format::json);
  CHECK(j.rfind("{\"times\": [0,0.5,1]", 0) == 0);
  CHECK(j.find("\"states\"") != std::string::npos);
  CHECK(write_str(s, Format::csv).rfind("p0_0,p0_1,p1_0,p1_1,time\n", 0) == 0);
  const Stream r = read_str("{\"times\": [0, 1], \"states\": [[[1, 2]], [[3, 4]]]}");
  CHECK(r.main.shape == std::vector<int64_t>{2, 1, 2});
  CHECK(r.companion->data == std::vector<float>{0, 1});
}

TEST_CASE("CSV and JSON errors say what and where", "[io]") {
  CHECK_THROWS_WITH(read_str("1,2\n3,4\n5\n"), Catch::Contains("ragged CSV: line 3 has 1 values, expected 2"));
  CHECK_THROWS_WITH(read_str("x,y\n1,2\n3,abc\n"), Catch::Contains("non-numeric cell 'abc' at line 3, column 2"));
  CHECK_THROWS_WITH(read_str("x,y\n"), Catch::Contains("empty stream"));
  CHECK_THROWS_WITH(read_str("  \n\n"), Catch::Contains("empty stream"));
  CHECK_THROWS_WITH(read_str(""), Catch::Contains("empty stream"));
  CHECK_THROWS_WITH(read_str("{\"a\": 1}"), Catch::Contains("JSON is not an array of rows"));
  CHECK_THROWS_WITH(read_str("[[1, 2], [3]]"), Catch::Contains("element [1] should be an array of 2 values"));
  CHECK_THROWS_WITH(read_str("[[1, 2], [3, \"x\"]]"), Catch::Contains("element [1][1] is string"));
  CHECK_THROWS_WITH(read_str("[[1, 2], [3, 4]"), Catch::Contains("invalid JSON at byte offset"));
  CHECK_THROWS_WITH(read_str(std::string("\x89PNG\r\n\x1a\n", 8)), Catch::Contains("wrong magic"));
}

TEST_CASE("Point readers hand out chunks; writers write what one write would", "[io]") {
  Stream s = sample({1000, 3}, true);
  for (Format f : {Format::npy, Format::csv, Format::json}) {
    const std::string bytes = write_str(s, f);
    std::istringstream in(bytes);
    auto r = open_points(in, "test");
    CHECK(r->dim() == 3);
    CHECK(r->count() == 1000);
    std::ostringstream out;
    auto w = open_point_writer(out, f, 1000, 3);
    Mat chunk;
    int64_t total = 0;
    for (int64_t k; (k = r->read(chunk, 300)) > 0; total += k) {
      CHECK(k <= 300);
      w->write(chunk);
    }
    CHECK(total == 1000);
    w->finish(r->companion());
    CHECK(out.str() == bytes);
  }
  // Images (n, H, W[, C]), as flow-data and flow-sample write them, are points of d = H W C
  // in C order; an array of rank 5 is not points
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3, 2, 4}, std::vector<int64_t>{3, 2, 2, 3}}) {
    const Stream im = sample(shape, false);
    std::istringstream img(write_str(im, Format::npy));
    auto r = open_points(img, "img");
    CHECK(r->dim() == im.main.size() / 3);
    Mat x;
    CHECK(r->read(x, 10) == 3);
    CHECK(std::equal(x.data(), x.data() + x.size(), im.main.data.begin()));
    CHECK(im.main.points() == x);
  }
  std::istringstream five(write_str(sample({2, 1, 2, 1, 2}, false), Format::npy));
  CHECK_THROWS_WITH(open_points(five, "five"),
                    Catch::Contains("expected points (n, d) or images (n, H, W[, C]), got an array of shape (2, 1, 2, 1, 2)"));
}
