#include "flowkit/model/discrete_load.hpp"

#include "flowkit/flow/discrete_table.hpp"

namespace flowkit {

bool is_discrete_model(const nlohmann::json& doc) {
  const auto t = doc.is_object() ? doc.find("type") : doc.end();
  return t != doc.end() && t->is_string() && t->get<std::string>() == "discrete-table";
}

std::unique_ptr<DiscreteModel> load_discrete(const nlohmann::json& doc, const std::string& where) {
  check_model_header(doc, where);
  if (!is_discrete_model(doc))
    throw Error(where + ": a flow of points, where a discrete model (of tokens) is needed");
  return TableModel::from_json(doc, where);
}

}  // namespace flowkit
