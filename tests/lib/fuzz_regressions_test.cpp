// Regressions from fuzzing (tests/fuzz): each input once escaped a reader as something other than
// a flowkit::Error, the one-line message a user sees.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "flowkit/field_file.hpp"
#include "flowkit/stream.hpp"

using flowkit::Error;

// fuzz_csv: a JSON number too large for a double threw nlohmann's out_of_range from read_stream
TEST_CASE("fuzz: a JSON stream with an overflowing number is a clear error", "[fuzz]") {
  std::istringstream in("[6e89897{");
  CHECK_THROWS_WITH(flowkit::read_stream(in, "x.json"), Catch::Contains("invalid JSON") && Catch::Contains("x.json"));
}

// The same number in a model file escaped read_model_json (it caught only parse errors)
TEST_CASE("fuzz: a model file with an overflowing number is a clear error naming the file", "[fuzz]") {
  const std::string path = "fuzz_regression_model.tmp.json";
  std::ofstream(path) << R"({"format": "flowkit-model", "version": 1, "type": "linear", "A": [[6e89897]]})";
  CHECK_THROWS_AS(flowkit::read_model_json(path), Error);
  CHECK_THROWS_WITH(flowkit::read_model_json(path), Catch::Contains(path) && Catch::Contains("invalid JSON"));
  std::remove(path.c_str());
}
