#include "flowkit/model/field_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "flowkit/io/json_text.hpp"
#include "flowkit/model/discrete_load.hpp"
#include "flowkit/model/model_safetensors.hpp"

namespace flowkit {

nlohmann::json read_model_json(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error("cannot read model " + path + ": a directory");
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

std::unique_ptr<Field> make_learned_field(LearnedModel m);

namespace {
ModelFile read_any(const std::string& path, bool discrete_ok) {
  ModelFile f;
  if (safetensors::looks_like(path)) {
    f.field = make_learned_field(model_from_safetensors(safetensors::File::open(path), &f.doc, true));
    return f;
  }
  f.doc = read_model_json(path);
  if (discrete_ok && is_discrete_model(f.doc)) f.discrete = load_discrete(f.doc, path);
  else f.field = load_field(f.doc, path);
  return f;
}
}  // namespace

ModelFile read_model(const std::string& path) { return read_any(path, false); }

ModelFile read_flow_or_discrete(const std::string& path) { return read_any(path, true); }

void convert_model(const std::string& in, std::ostream& os, ModelFormat to) {
  if (!safetensors::looks_like(in)) {
    write_model(os, read_model_json(in), to, in);
    return;
  }
  const LearnedModel m = model_from_safetensors(safetensors::File::open(in));
  if (to == ModelFormat::safetensors) write_model_safetensors(os, m);
  else os << model_to_json(m).dump(1) << '\n';
}

LearnedModel read_learned_model(const std::string& path) {
  if (safetensors::looks_like(path)) return model_from_safetensors(safetensors::File::open(path));
  return model_from_json(read_model_json(path), path);
}

std::unique_ptr<Field> read_field(const std::string& path) { return read_model(path).field; }

}  // namespace flowkit
