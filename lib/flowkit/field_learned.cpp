// STUB (owned by the training work): the learned model as a Field.
#include "flowkit/field.hpp"

namespace flowkit {
std::unique_ptr<Field> make_learned_field(const nlohmann::json&, const std::string& where) {
  throw Error("learned models are not supported yet (" + where + ")");
}
}  // namespace flowkit
