// field (internal): reading the numbers of an analytic model document, with errors that say
// which member, row and column is wrong.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "flowkit/core/core.hpp"

namespace flowkit::detail {

// The member `key` of a model document; an Error naming it when it is missing.
const nlohmann::json& member(const nlohmann::json& doc, const std::string& key, const std::string& where);

// A JSON array of finite numbers; `what` names it in errors ("\"b\"", "\"means\" row 2").
VecD json_vector(const nlohmann::json& j, const std::string& what, const std::string& where);

// A JSON array of `rows` equal-length rows (rows < 0: any number), as a rows x cols matrix.
MatD json_matrix(const nlohmann::json& j, const std::string& what, const std::string& where,
                 Eigen::Index rows = -1, Eigen::Index cols = -1);

}  // namespace flowkit::detail
