// model: discrete models from a model document or file: the exact token table
// ("type": "discrete-table") and a trained network over tokens ("type": "discrete"); the one
// place a discrete model meets a file.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "flowkit/flow/discrete.hpp"

namespace flowkit {

// Format name and version of any model document (model/field_load.cpp).
void check_model_header(const nlohmann::json& doc, const std::string& where);

// True when the document's "type" is a discrete one.
bool is_discrete_model(const nlohmann::json& doc);
// The discrete model of a document; an Error (naming `where`) for a continuous one.
std::unique_ptr<DiscreteModel> load_discrete(const nlohmann::json& doc, const std::string& where);

}  // namespace flowkit
