#include "flowkit/model/field_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "flowkit/io/json_text.hpp"

namespace flowkit {

nlohmann::json read_model_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open model " + path + ": " + std::strerror(errno));
  std::string text;  // read whole, in one piece: a model can be megabytes of base64
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    text.resize(size_t(size));
    in.read(text.data(), size);
  } else {  // not seekable (a pipe such as /dev/stdin): read to the end
    in.clear();
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
  }
  if (in.bad()) throw Error("cannot read model " + path + ": " + std::strerror(errno));
  return parse_json(text, path);
}

std::unique_ptr<Field> read_field(const std::string& path) { return load_field(read_model_json(path), path); }

}  // namespace flowkit
