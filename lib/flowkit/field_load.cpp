// STUB (owned by the sampling work): dispatches on "type".
#include "flowkit/field.hpp"

namespace flowkit {
std::unique_ptr<Field> make_learned_field(const nlohmann::json& model, const std::string& where);

std::unique_ptr<Field> load_field(const nlohmann::json& model, const std::string& where) {
  return make_learned_field(model, where);
}
}  // namespace flowkit
