// field: builds a field from a model document, dispatching on "type" after checking the
// format name and version.
#include "flowkit/core/choice.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/flow/field_gmm.hpp"
#include "flowkit/flow/field_linear.hpp"
#include "flowkit/flow/field_manifold.hpp"

namespace flowkit {

std::unique_ptr<Field> make_learned_field(const nlohmann::json& model, const std::string& where);

namespace {
enum class ModelType { learned, gmm, linear, discrete };

const ChoiceTable<ModelType>& model_types() {
  static const ChoiceTable<ModelType> t = {
      {"learned", ModelType::learned, "a trained network (flow-train)"},
      {"gmm", ModelType::gmm, "the exact field of a Gaussian mixture"},
      {"linear", ModelType::linear, "u = A x + b"},
      {"discrete-table", ModelType::discrete, "the exact posterior of a token table (model/discrete_load)"},
      {"discrete", ModelType::discrete, "a trained network over tokens (flow-train on token data)"},
  };
  return t;
}

constexpr int kModelVersion = 1;

// Format name and version: the first things a wrong or future file gets wrong.
void check_header(const nlohmann::json& model, const std::string& where) {
  if (!model.is_object()) throw Error(where + ": a model file is a JSON object, got " + model.type_name());
  const auto f = model.find("format");
  if (f == model.end()) throw Error(where + ": not a flowkit model (no \"format\": \"flowkit-model\")");
  if (!f->is_string() || f->get<std::string>() != "flowkit-model")
    throw Error(where + ": not a flowkit model (\"format\" is " + f->dump() + ", want \"flowkit-model\")");
  const auto v = model.find("version");
  if (v == model.end()) throw Error(where + ": model has no \"version\"");
  if (!v->is_number_integer() || v->get<int64_t>() != kModelVersion)
    throw Error(where + ": model version " + v->dump() + " is not supported (this flowkit reads version " +
                std::to_string(kModelVersion) + ")");
}

ModelType model_type(const nlohmann::json& model, const std::string& where) {
  const auto t = model.find("type");
  if (t == model.end()) return ModelType::learned;
  if (t->is_string())
    for (const auto& c : model_types())
      if (t->get<std::string>() == c.name) return c.value;
  throw Error(where + ": unknown model type " + t->dump() + "; one of " + choice_names(model_types()));
}

// The field of the document in flat coordinates.
std::unique_ptr<Field> flat_field(ModelType type, const nlohmann::json& model, const std::string& where) {
  switch (type) {
    case ModelType::learned: return make_learned_field(model, where);
    case ModelType::gmm: return GmmField::from_json(model, where);
    case ModelType::linear: return LinearField::from_json(model, where);
    case ModelType::discrete:
      throw Error(where + ": a discrete model (of tokens), where a flow of points is needed");
  }
  return nullptr;
}
}  // namespace

void check_model_header(const nlohmann::json& model, const std::string& where) { check_header(model, where); }

std::unique_ptr<Field> load_field(const nlohmann::json& model, const std::string& where) {
  check_header(model, where);
  const ModelType type = model_type(model, where);
  const Manifold m = manifold_from_json(model, where);
  // (a learned model wraps itself: make_learned_field, for its safetensors form too)
  if (!m.curved() || type == ModelType::learned) return flat_field(type, model, where);
  // On a manifold: a learned model or a linear field (a rotation of the sphere), projected
  if (type == ModelType::gmm) throw Error(where + ": a Gaussian mixture field lives in flat space, not on the " + m.name());
  std::unique_ptr<Field> flat = flat_field(type, model, where);
  try {
    return std::make_unique<ManifoldField>(std::move(flat), m);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

}  // namespace flowkit
