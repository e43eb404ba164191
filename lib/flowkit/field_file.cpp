#include "flowkit/field_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flowkit {

nlohmann::json read_model_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open model " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read model " + path + ": " + std::strerror(errno));
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, ..."
    const auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    throw Error(path + ": not a valid model file (byte " + std::to_string(e.byte) + "): " + what);
  } catch (const nlohmann::json::exception& e) {  // a number too large for a double (found by fuzz_model)
    std::string what = e.what();
    const auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    throw Error(path + ": not a valid model file: " + what);
  }
}

std::unique_ptr<Field> read_field(const std::string& path) { return load_field(read_model_json(path), path); }

}  // namespace flowkit
