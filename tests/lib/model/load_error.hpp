// Test helper of the model tests: the message of loading a model document, or "" when it loads.
#pragma once
#include <string>

#include "flowkit/model/model.hpp"

namespace flowkit::test {
inline std::string load_error(const nlohmann::json& j) {
  try {
    model_from_json(j, "m.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace flowkit::test
