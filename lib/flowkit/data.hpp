// data: built-in 2-D distributions (sample n points; exact log density where one exists),
// evaluation grids, and image/label loaders. Never touches flags.
#pragma once
#include <map>
#include <string>

#include "flowkit/choice.hpp"
#include "flowkit/core.hpp"

namespace flowkit {

// A built-in distribution and its parameters by name (missing ones take their defaults).
struct ToySpec {
  std::string name;
  std::map<std::string, double> params;
};

// n samples (2 x n; d x n for gaussian/mixture) of a built-in distribution.
Mat sample_toy(const ToySpec& spec, int64_t n, Rng& rng);

}  // namespace flowkit
