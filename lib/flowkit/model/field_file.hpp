// field: reading a model file (JSON, or safetensors for a learned model) into a field; the one
// place a field meets a file.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "flowkit/flow/discrete.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/model/model_safetensors.hpp"

namespace flowkit {

// The parsed JSON document of a model file; Errors name the file (missing, unreadable, not
// JSON, truncated).
nlohmann::json read_model_json(const std::string& path);

// A model file read: its JSON document (for safetensors, the configuration without the
// tensors) and its field, or (read_flow_or_discrete only) its discrete model.
struct ModelFile {
  nlohmann::json doc;
  std::unique_ptr<Field> field;
  std::unique_ptr<DiscreteModel> discrete;
};
// A safetensors file (its extension, or its first bytes) is mapped and checked
// (model_from_safetensors); anything else is a JSON document for load_field (a discrete model
// is an error).
ModelFile read_model(const std::string& path);
// The same, read once, for the programs that take either kind: a discrete document gives
// `discrete` (model/discrete_load) and no field.
ModelFile read_flow_or_discrete(const std::string& path);

// Writes the model file `in` in the form `to`, losslessly (the same float32 bits, the same
// configuration): a learned model either way, an analytic one to JSON only.
void convert_model(const std::string& in, std::ostream& os, ModelFormat to);

// A learned model file (JSON or safetensors) as the model itself, weights included (flow-train
// --init); an analytic model is an Error naming the file.
LearnedModel read_learned_model(const std::string& path);

// read_model(path).field.
std::unique_ptr<Field> read_field(const std::string& path);

}  // namespace flowkit
