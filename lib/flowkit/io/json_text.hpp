// io: parsing a JSON document held in memory, for streams, mixture specs and model files, with
// one error form: "WHERE: invalid JSON at byte offset N: DETAIL".
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace flowkit {

// Parses `text`; `where` names its source in the error. Long plain strings (the base64
// tensors of a model file) bypass nlohmann's lexer, which copies every character twice: the
// document parses at memchr speed and comes back identical to a plain parse.
nlohmann::json parse_json(const std::string& text, const std::string& where);

}  // namespace flowkit
