// field: reading a model file (JSON) into a field; the one place a field meets a file.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "flowkit/flow/field.hpp"

namespace flowkit {

// The parsed JSON document of a model file; Errors name the file (missing, unreadable, not
// JSON, truncated).
nlohmann::json read_model_json(const std::string& path);

// load_field(read_model_json(path), path).
std::unique_ptr<Field> read_field(const std::string& path);

}  // namespace flowkit
