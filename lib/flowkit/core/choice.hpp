// core: one table for each named choice (solvers, schedules, datasets, formats, ...).
// Parsing, --help text, error messages and man-page lists all come from the table.
#pragma once
#include <string>
#include <vector>

#include "flowkit/core/core.hpp"

namespace flowkit {

template <class E>
struct Choice {
  const char* name;
  E value;
  const char* help;  // one line, for --help and the man page
};

template <class E>
using ChoiceTable = std::vector<Choice<E>>;

// "euler, midpoint, heun, rk4"
template <class E>
std::string choice_names(const ChoiceTable<E>& table) {
  std::string s;
  for (const auto& c : table) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

// Throws a usage error: "unknown solver 'rk5'; one of euler, midpoint, heun, rk4"
template <class E>
E parse_choice(const ChoiceTable<E>& table, const std::string& name, const std::string& what) {
  for (const auto& c : table)
    if (name == c.name) return c.value;
  throw usage_error("unknown " + what + " '" + name + "'; one of " + choice_names(table));
}

template <class E>
const char* choice_name(const ChoiceTable<E>& table, E value) {
  for (const auto& c : table)
    if (c.value == value) return c.name;
  return "?";
}

// "  euler     one line of help\n" for each entry: the body of a --help section.
template <class E>
std::string choice_help(const ChoiceTable<E>& table) {
  std::string s;
  for (const auto& c : table) {
    std::string n = c.name;
    s += "  " + n + std::string(n.size() < 14 ? 14 - n.size() : 1, ' ') + c.help + "\n";
  }
  return s;
}

}  // namespace flowkit
