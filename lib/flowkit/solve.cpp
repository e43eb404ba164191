// STUB (owned by the sampling work).
#include "flowkit/solve.hpp"

namespace flowkit {
const ChoiceTable<Solver>& solvers() {
  static const ChoiceTable<Solver> t = {{"euler", Solver::euler, "Euler, order 1"}};
  return t;
}
SolveStats integrate(OdeSystem&, Mat&, const SolveOptions&, const Observer&) {
  throw Error("solvers not implemented yet");
}
}  // namespace flowkit
