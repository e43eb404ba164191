// Test helper of the network tests: matrices of N(0, 1) draws.
#pragma once
#include "flowkit/core/core.hpp"

namespace flowkit::test {
inline MatD normal(Eigen::Index r, Eigen::Index c, Rng& rng) {
  MatD m(r, c);
  for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = rng.normal();
  return m;
}
}  // namespace flowkit::test
