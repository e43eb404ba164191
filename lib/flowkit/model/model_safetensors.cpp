#include "flowkit/model/model_safetensors.hpp"

#include <cmath>
#include <set>

#include "flowkit/io/json_text.hpp"

namespace flowkit {
using nlohmann::json;

namespace {
std::vector<int64_t> block_shape(const ParamBlock& b) {
  return b.cols == 1 ? std::vector<int64_t>{b.rows} : std::vector<int64_t>{b.rows, b.cols};
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

// Every tensor of the file must be one of the model's: a stray one is a damaged or foreign file.
void check_names(const safetensors::File& f, const std::vector<ParamBlock>& layout, bool ema) {
  std::set<std::string> known;
  for (const ParamBlock& b : layout) {
    known.insert("weights." + b.name);
    if (ema) known.insert("ema." + b.name);
  }
  for (const auto& t : f.tensors())
    if (!known.count(t.name)) throw Error(f.where() + ": tensor '" + t.name + "' is not part of this model's architecture");
}
}  // namespace

ModelFormat model_format_for(const std::string& path) {
  const std::string ext = ".safetensors";
  const bool st = path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  return st ? ModelFormat::safetensors : ModelFormat::json;
}

void blocks_to_tensors(const std::string& prefix, const std::vector<ParamBlock>& layout, const Params& p,
                       std::vector<safetensors::Out>& out, std::vector<std::vector<float>>& scratch) {
  for (const ParamBlock& b : layout) {
    // Column-major rows x cols in the vector, row-major [rows, cols] in the file
    std::vector<float> c(b.size());
    const float* src = p.data() + b.offset;
    for (int r = 0; r < b.rows; ++r)
      for (int k = 0; k < b.cols; ++k) c[size_t(r) * size_t(b.cols) + size_t(k)] = src[size_t(k) * size_t(b.rows) + size_t(r)];
    scratch.push_back(std::move(c));
    out.push_back({prefix + "." + b.name, block_shape(b), scratch.back().data()});
  }
}

Params blocks_from_tensors(const safetensors::File& f, const std::string& prefix, const std::vector<ParamBlock>& layout,
                           bool values) {
  // Every tensor's presence and shape first: the file's spans tile its bytes (io/safetensors),
  // so the allocation below is one the file's own size justifies, whatever the architecture says
  size_t total = 0;
  for (const ParamBlock& b : layout) {
    const std::string name = prefix + "." + b.name;
    const safetensors::Tensor* t = f.find(name);
    const std::vector<int64_t> want = block_shape(b);
    if (!t) throw Error(f.where() + ": no tensor '" + name + "' (shape " + shape_text(want) + ") in the file");
    if (t->shape != want)
      throw Error(f.where() + ": tensor '" + name + "' has shape " + shape_text(t->shape) + ", expected " + shape_text(want));
    total = std::max(total, b.offset + b.size());
  }
  Params p(values ? total : 0);
  std::vector<float> c;
  for (const ParamBlock& b : layout) {
    if (!values) continue;
    const std::string name = prefix + "." + b.name;
    const safetensors::Tensor* t = f.find(name);
    c.resize(b.size());
    t->copy_to(c.data());
    float* dst = p.data() + b.offset;
    for (int r = 0; r < b.rows; ++r)
      for (int k = 0; k < b.cols; ++k) {
        const float v = c[size_t(r) * size_t(b.cols) + size_t(k)];
        if (!std::isfinite(v))
          throw Error(f.where() + ": tensor '" + name + "' value " + std::to_string(size_t(r) * size_t(b.cols) + size_t(k)) +
                      " is not finite");
        dst[size_t(k) * size_t(b.rows) + size_t(r)] = v;
      }
  }
  return p;
}

void write_model_safetensors(std::ostream& os, const LearnedModel& m) {
  json config = model_to_json(m);
  config.erase("weights");
  config.erase("ema_weights");
  const auto layout = param_layout(m.net);
  std::vector<safetensors::Out> out;
  std::vector<std::vector<float>> scratch;
  scratch.reserve(2 * layout.size());  // the tensors point into it: no reallocation
  blocks_to_tensors("weights", layout, m.weights, out, scratch);
  if (!m.ema.empty()) blocks_to_tensors("ema", layout, m.ema, out, scratch);
  safetensors::write(os, out, {{kMetadataKey, config.dump()}});
}

void write_model(std::ostream& os, const json& doc, ModelFormat f, const std::string& where) {
  if (f == ModelFormat::json) {
    os << doc.dump(1) << '\n';
    return;
  }
  if (doc.value("type", std::string("learned")) != "learned")
    throw Error(where + ": only learned models have a safetensors form (this one is " + doc["type"].dump() + ")");
  write_model_safetensors(os, model_from_json(doc, where));
}

LearnedModel model_from_safetensors(const safetensors::File& f, json* config, bool sampling_only) {
  const std::string& where = f.where();
  const auto md = f.metadata().find(kMetadataKey);
  if (md == f.metadata().end())
    throw Error(where + ": not a flowkit model (no \"" + std::string(kMetadataKey) + "\" key in the header's __metadata__)");
  json doc = parse_json(md->second, where + " metadata");
  if (!doc.is_object()) throw Error(where + ": the \"flowkit\" metadata is not a JSON object");
  if (doc.contains("weights") || doc.contains("ema_weights"))
    throw Error(where + ": the \"flowkit\" metadata holds tensors; they belong in the file's data");
  LearnedModel m = model_config_from_json(doc, where);
  const auto layout = param_layout(m.net);
  const bool ema = f.find("ema." + layout.front().name) != nullptr;
  check_names(f, layout, ema);
  // Sampling reads one set: the other is only checked for its names and shapes
  const bool sample_ema = m.use_ema && ema;
  m.weights = blocks_from_tensors(f, "weights", layout, !sampling_only || !sample_ema);
  if (ema) m.ema = blocks_from_tensors(f, "ema", layout, !sampling_only || sample_ema);
  if (m.use_ema && !ema && doc.contains("sampling_weights"))
    throw Error(where + ": 'sampling_weights' is 'ema' but the file has no 'ema." + layout.front().name + "'");
  if (config) *config = std::move(doc);
  return m;
}

}  // namespace flowkit
