// Regressions from fuzzing (tests/fuzz): each input once escaped a reader as something other than
// a flowkit::Error, the one-line message a user sees.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flowkit/data/data.hpp"
#include "flowkit/model/field_file.hpp"
#include "flowkit/io/stream.hpp"

using flowkit::Error;

// fuzz_csv: a JSON number too large for a double threw nlohmann's out_of_range from read_stream
TEST_CASE("fuzz: a JSON stream with an overflowing number is a clear error", "[fuzz]") {
  std::istringstream in("[6e89897{");
  CHECK_THROWS_WITH(flowkit::read_stream(in, "x.json"), Catch::Contains("invalid JSON") && Catch::Contains("x.json"));
}

// fuzz_csv: a header name p0_<twenty digits> made std::stoll throw out_of_range while the reader
// guessed the row shape; such names are plain column names, and the rows stay flat
TEST_CASE("fuzz: a CSV header with a huge pixel index is a flat row, not a crash", "[fuzz]") {
  std::istringstream in("p0_0,p0_99999999999999999999\n1,2\n3,4\n");
  const auto s = flowkit::read_stream(in, "x.csv");
  CHECK(s.main.shape == std::vector<int64_t>{2, 2});
  CHECK(s.main.data[3] == 4.0f);
  // indices whose product overflows int64 are flat too
  std::istringstream wide("p0_0,p999999999_999999999_999999999\n1,2\n");
  CHECK(flowkit::read_stream(wide, "x.csv").main.shape == std::vector<int64_t>{1, 2});
}

// The same number in a model file escaped read_model_json (it caught only parse errors)
TEST_CASE("fuzz: a model file with an overflowing number is a clear error naming the file", "[fuzz]") {
  const std::string path = "fuzz_regression_model.tmp.json";
  std::ofstream(path) << R"({"format": "flowkit-model", "version": 1, "type": "linear", "A": [[6e89897]]})";
  CHECK_THROWS_AS(flowkit::read_model_json(path), Error);
  CHECK_THROWS_WITH(flowkit::read_model_json(path), Catch::Contains(path) && Catch::Contains("invalid JSON"));
  std::remove(path.c_str());
}

// fuzz_png: a 2x2 PNG whose IDAT chunk declares 1.4 GB made stb_image allocate it (out of memory)
TEST_CASE("fuzz: a PNG chunk longer than its file is a clear error, not an allocation", "[fuzz]") {
  namespace fs = std::filesystem;
  const fs::path dir = "fuzz_regression_png.tmp";
  fs::create_directories(dir);
  const std::string path = (dir / "a.png").string();
  std::ifstream seed(std::string(FLOWKIT_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_png/regression-huge-chunk.png", std::ios::binary);
  std::ostringstream bytes;
  bytes << seed.rdbuf();
  REQUIRE(bytes.str().size() == 83);
  std::ofstream(path, std::ios::binary) << bytes.str();
  CHECK_THROWS_WITH(flowkit::load_image_folder(dir.string(), 0),
                    Catch::Contains("a.png") && Catch::Contains("past the end of the file"));
  // then the same file cut off anywhere from the IDAT chunk's length to its end: stb_image read
  // the length and allocated it before noticing the file had ended
  for (size_t n = 33; n < 83; ++n) {
    CAPTURE(n);
    std::ofstream(path, std::ios::binary) << bytes.str().substr(0, n);
    CHECK_THROWS_WITH(flowkit::load_image_folder(dir.string(), 0),
                      Catch::Contains("a.png") && Catch::Contains("PNG chunk at byte 33"));
  }
  fs::remove_all(dir);
}
