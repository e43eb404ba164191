#include "flowkit/flow/field_json.hpp"

#include <cmath>

namespace flowkit::detail {

const nlohmann::json& member(const nlohmann::json& doc, const std::string& key, const std::string& where) {
  const auto it = doc.find(key);
  if (it == doc.end()) throw Error(where + ": model has no \"" + key + "\"");
  return *it;
}

VecD json_vector(const nlohmann::json& j, const std::string& what, const std::string& where) {
  if (!j.is_array()) throw Error(where + ": " + what + " must be an array of numbers");
  VecD v(Eigen::Index(j.size()));
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number() || !std::isfinite(j[i].get<double>()))
      throw Error(where + ": " + what + " entry " + std::to_string(i) + " is not a finite number");
    v[Eigen::Index(i)] = j[i].get<double>();
  }
  return v;
}

MatD json_matrix(const nlohmann::json& j, const std::string& what, const std::string& where,
                 Eigen::Index rows, Eigen::Index cols) {
  if (!j.is_array() || j.empty()) throw Error(where + ": " + what + " must be a non-empty array of rows");
  if (rows >= 0 && Eigen::Index(j.size()) != rows)
    throw Error(where + ": " + what + " has " + std::to_string(j.size()) + " rows, want " +
                std::to_string(rows));
  MatD m;
  for (size_t r = 0; r < j.size(); ++r) {
    const VecD row = json_vector(j[r], what + " row " + std::to_string(r), where);
    if (r == 0) m.resize(Eigen::Index(j.size()), cols >= 0 ? cols : row.size());
    if (row.size() != m.cols() || row.size() == 0)
      throw Error(where + ": " + what + " row " + std::to_string(r) + " has " +
                  std::to_string(row.size()) + " numbers, want " + std::to_string(m.cols()));
    m.row(Eigen::Index(r)) = row.transpose();
  }
  return m;
}

}  // namespace flowkit::detail
