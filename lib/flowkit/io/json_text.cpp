#include "flowkit/io/json_text.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include "flowkit/core/core.hpp"

namespace flowkit {
namespace {

using json = nlohmann::json;

constexpr size_t kLongString = 512;        // strings at least this long are cut out
constexpr const char* kMarker = "\\u0001";  // a cut string becomes "\u0001<index>"

// A string literal's contents: text[begin, end).
struct Span {
  size_t begin, end;
};

// True when text[b, e) is printable ASCII without a backslash: a string a plain parse
// would take as it is. Eight bytes at a time (SWAR), so a 2 MB model costs a few
// instructions per word.
bool plain_ascii(const char* s, size_t b, size_t e) {
  constexpr uint64_t ones = ~uint64_t(0) / 255, high = ones * 128;
  auto bad_word = [](uint64_t x) {
    const uint64_t below = (x - ones * 0x20) & ~x;             // some byte < 0x20
    const uint64_t above = (x + ones * (127 - 0x7e)) | x;      // some byte > 0x7e
    const uint64_t y = x ^ (ones * uint64_t('\\'));
    const uint64_t slash = (y - ones) & ~y;                     // some byte == '\\'
    return ((below | above | slash) & high) != 0;
  };
  uint64_t acc = 0;
  size_t i = b;
  for (; i + 8 <= e; i += 8) {
    uint64_t x;
    std::memcpy(&x, s + i, 8);
    acc |= uint64_t(bad_word(x));
  }
  for (; i < e; ++i) acc |= uint64_t(s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\');
  return acc == 0;
}

// The end of the string literal opened at `open`: the first quote not preceded by an odd run
// of backslashes; npos when there is none.
size_t closing_quote(const char* s, size_t n, size_t open) {
  for (size_t from = open + 1;;) {
    const char* e = static_cast<const char*>(std::memchr(s + from, '"', n - from));
    if (!e) return std::string::npos;
    const size_t at = size_t(e - s);
    size_t k = at;
    while (k > open + 1 && s[k - 1] == '\\') --k;
    if ((at - k) % 2 == 0) return at;
    from = at + 1;
  }
}

// True when the string literal closed at `close` is an object key (a colon follows).
bool is_key(const char* s, size_t n, size_t close) {
  size_t k = close + 1;
  while (k < n && (s[k] == ' ' || s[k] == '\n' || s[k] == '\r' || s[k] == '\t')) ++k;
  return k < n && s[k] == ':';
}

// The text with every long printable string literal that is a value (not a key) replaced by a marker and its index into
// `cut`. Returns false when there is nothing to cut or the text is not plain enough to do it
// safely (an unterminated string, or a marker already in the text).
bool cut_long_strings(const std::string& text, std::string& small, std::vector<Span>& cut) {
  if (text.size() < 4 * kLongString || text.find(kMarker) != std::string::npos) return false;
  small.reserve(text.size() / 8);
  const char* s = text.data();
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    const char* q = static_cast<const char*>(std::memchr(s + pos, '"', n - pos));
    if (!q) break;
    const size_t open = size_t(q - s), close = closing_quote(s, n, open);
    if (close == std::string::npos) return false;
    small.append(s + pos, open + 1 - pos);
    if (close - open - 1 >= kLongString && !is_key(s, n, close) && plain_ascii(s, open + 1, close)) {
      small += kMarker;
      small += std::to_string(cut.size());
      cut.push_back({open + 1, close});
    } else {
      small.append(s + open + 1, close - open - 1);
    }
    small += '"';
    pos = close + 1;
  }
  small.append(s + pos, n - pos);
  return !cut.empty();
}

// Puts the cut strings back wherever a marker string sits in the parsed tree.
void restore(json& j, const std::string& text, const std::vector<Span>& cut) {
  if (j.is_string()) {
    const std::string& v = j.get_ref<const std::string&>();
    if (v.size() > 1 && v[0] == '\x01') {
      const Span sp = cut.at(std::stoul(v.substr(1)));
      j = text.substr(sp.begin, sp.end - sp.begin);
    }
  } else if (j.is_structured()) {
    for (auto& e : j) restore(e, text, cut);
  }
}

[[noreturn]] void fail(const std::string& where, size_t byte, const std::string& detail) {
  throw Error(where + ": invalid JSON at byte offset " + std::to_string(byte) + ": " + detail);
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag, and the token it
// quotes as "last read" cut to its first characters (an unterminated base64 string is megabytes).
std::string detail(const json::exception& e) {
  constexpr size_t kShown = 40;
  std::string what = e.what();
  const auto pos = what.find("] ");
  if (pos != std::string::npos) what = what.substr(pos + 2);
  const auto lr = what.find("last read: '");
  if (lr == std::string::npos) return what;
  const size_t a = lr + 12, b = what.rfind('\'');
  if (b != std::string::npos && b > a && b - a > kShown) what = what.substr(0, a + kShown) + "..." + what.substr(b);
  return what;
}

json parse_plain(const std::string& text, const std::string& where) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    fail(where, e.byte > 0 ? e.byte - 1 : 0, detail(e));
  } catch (const json::exception& e) {  // a number too large for a double (found by fuzzing)
    throw Error(where + ": invalid JSON: " + detail(e));
  }
}

}  // namespace

json parse_json(const std::string& text, const std::string& where) {
  std::string small;
  std::vector<Span> cut;
  if (!cut_long_strings(text, small, cut)) return parse_plain(text, where);
  json j;
  try {
    j = json::parse(small);
  } catch (const json::exception&) {
    return parse_plain(text, where);  // the error, with offsets into the user's text
  }
  restore(j, text, cut);
  return j;
}

}  // namespace flowkit
