// json_text: the fast path (long strings cut out of the lexer's way) gives exactly the
// document a plain parse gives, and errors point into the user's text.
#include <catch2/catch.hpp>

#include "flowkit/core/core.hpp"
#include "flowkit/io/json_text.hpp"

using flowkit::parse_json;
using nlohmann::json;

namespace {
std::string letters(size_t n, char first) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = char(first + int(i % 26));
  return s;
}
}  // namespace

TEST_CASE("parse_json: documents with long strings come back as a plain parse gives them", "[json]") {
  const std::string b64 = letters(5000, 'A');
  const std::vector<std::string> docs = {
      // a model-like document: long strings as values, in arrays, as keys
      R"({"format": "flowkit-model", "weights": {"data": ")" + b64 + R"(", "shape": [3, 4]},
          "ema": [")" + b64 + R"(", "short", ")" + letters(600, 'a') + R"("], ")" + b64 + R"(": 1})",
      // escapes inside a long string (kept for the lexer), an escaped quote before the close
      R"({"a": ")" + b64 + R"(\"\\\" tail", "b": ")" + b64 + R"(\\", "c": ")" + b64 + R"("})",
      // non-ASCII text and a \u escape in long strings
      R"(["é)" + b64 + R"(", "\u00e9)" + b64 + R"(", ")" + b64 + R"("])",
  };
  for (const auto& d : docs) CHECK(parse_json(d, "doc.json") == json::parse(d));
}

TEST_CASE("parse_json: a marker already in the text is a string like any other", "[json]") {
  const std::string b64 = letters(3000, 'A');
  const std::string d = R"({"m": "\u00010", "x": ")" + b64 + R"("})";
  const json j = parse_json(d, "doc.json");
  CHECK(j == json::parse(d));
  CHECK(j["m"] == std::string("\x01" "0"));
}

TEST_CASE("parse_json: errors give the byte offset in the user's text and its name", "[json]") {
  const std::string b64 = letters(4000, 'A');
  const std::string cut = R"({"data": ")" + b64 + R"(", "n": [1, 2,)";
  CHECK_THROWS_WITH(parse_json(cut, "m.json"),
                    Catch::StartsWith("m.json: invalid JSON at byte offset " + std::to_string(cut.size())));
  const std::string open = R"({"data": ")" + b64;  // unterminated string
  CHECK_THROWS_WITH(parse_json(open, "m.json"), Catch::StartsWith("m.json: invalid JSON at byte offset"));
  const std::string raw = R"({"data": ")" + b64 + "\x01" + R"("})";  // a control character in a long string
  CHECK_THROWS_WITH(parse_json(raw, "m.json"), Catch::StartsWith("m.json: invalid JSON at byte offset"));
  CHECK_THROWS_AS(parse_json("[6e89897]", "big.json"), flowkit::Error);
}
