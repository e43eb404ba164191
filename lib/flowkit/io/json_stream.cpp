// io: JSON read and write (arrays of rows; trajectories as {"times", "states"}).
#include <nlohmann/json.hpp>

#include "flowkit/io/json_text.hpp"
#include "flowkit/io/text_stream.hpp"

namespace flowkit::text {
namespace {

using nlohmann::json;

// The shape of a nested array, from its first elements.
std::vector<int64_t> nested_shape(const json& j) {
  std::vector<int64_t> shape;
  for (const json* p = &j; p->is_array(); p = &(*p)[0]) {
    shape.push_back(int64_t(p->size()));
    if (p->empty()) break;
  }
  return shape;
}

// Copies a nested array of the given shape, checking that every row agrees.
void flatten(const json& j, const std::vector<int64_t>& shape, size_t depth, std::string path,
             std::vector<float>& out, const std::string& where) {
  if (depth == shape.size()) {
    if (!j.is_number())
      throw Error("JSON is not an array of rows of numbers: element " + path + " is " +
                  (j.is_null() ? "null" : j.type_name()) + " (" + where + ")");
    out.push_back(j.get<float>());
    return;
  }
  if (!j.is_array() || int64_t(j.size()) != shape[depth])
    throw Error("JSON is not an array of rows: element " + (path.empty() ? "top" : path) + " should be an array of " +
                std::to_string(shape[depth]) + " values, like the first (" + where + ")");
  for (size_t i = 0; i < j.size(); ++i)
    flatten(j[i], shape, depth + 1, path + "[" + std::to_string(i) + "]", out, where);
}

Array to_array(const json& j, const std::string& what, const std::string& where) {
  if (!j.is_array()) throw Error("JSON " + what + " is not an array of rows (" + where + ")");
  Array a;
  a.shape = nested_shape(j);
  if (a.shape[0] == 0) throw Error("empty stream: JSON " + what + " has no rows (" + where + ")");
  a.data.reserve(size_t(a.size()));
  flatten(j, a.shape, 0, "", a.data, where);
  return a;
}

void write_nested(std::ostream& out, const Array& a, size_t depth, int64_t& k, int indent) {
  if (depth == a.shape.size()) {
    const float v = a.data[size_t(k++)];
    out << (std::isfinite(v) ? format_float(v) : "null");
    return;
  }
  out << '[';
  for (int64_t i = 0; i < a.shape[depth]; ++i) {
    if (i) out << ',';
    if (depth == 0 && a.shape.size() > 1) out << '\n' << std::string(size_t(indent), ' ');
    write_nested(out, a, depth + 1, k, indent);
  }
  if (depth == 0 && a.shape.size() > 1) out << '\n' << std::string(size_t(indent - 1), ' ');
  out << ']';
}

void write_array(std::ostream& out, const Array& a, int indent) {
  int64_t k = 0;
  write_nested(out, a, 0, k, indent);
}

}  // namespace

Stream read_json(const std::string& text, const std::string& where) {
  const json j = parse_json(text, where);
  Stream s;
  if (j.is_array()) {
    s.main = to_array(j, "data", where);
  } else if (j.is_object() && j.contains("states")) {
    s.main = to_array(j["states"], "\"states\"", where);
    if (j.contains("times")) s.companion = to_array(j["times"], "\"times\"", where);
  } else if (j.is_object() && j.contains("data")) {
    s.main = to_array(j["data"], "\"data\"", where);
    if (j.contains("labels")) s.companion = to_array(j["labels"], "\"labels\"", where);
  } else {
    throw Error("JSON is not an array of rows (nor an object with \"data\" or \"states\") (" + where + ")");
  }
  return s;
}

void write_json(std::ostream& out, const Stream& s) {
  if (!s.companion) {
    write_array(out, s.main, 1);
    out << '\n';
    return;
  }
  const bool times = companion_is_times(s);
  out << "{\"" << (times ? "times" : "labels") << "\": ";
  write_array(out, *s.companion, 2);
  out << ",\n \"" << (times ? "states" : "data") << "\": ";
  write_array(out, s.main, 2);
  out << "}\n";
}

}  // namespace flowkit::text
