// cli (discrete): what the programs do with a discrete model (tokens): flow-sample's and
// flow-traj's jump sampler and flow-eval elbo. The programs read the model once
// (read_flow_or_discrete) and come here when it is discrete.
#pragma once
#include <string>

#include "flowkit/cli/cli.hpp"
#include "flowkit/cli/sample.hpp"
#include "flowkit/flow/discrete.hpp"

namespace flowkit::cli {

struct DiscreteSampleFlags {
  double corrector = 0;  // --corrector C
};
void add_discrete_sample_flags(CLI::App& app, DiscreteSampleFlags& d);

// Samples a discrete model (tokens (n, shape...) out, NPY '<i4' or text) or, with `every` > 0,
// writes its trajectory (T, n, L) with the times after it; --png draws token images (grey
// level k of V as k / (V - 1), MASK as 0.5 grey). Flags of the continuous solvers are usage
// errors.
void sample_discrete(const CLI::App& app, const SampleFlags& f, const DiscreteSampleFlags& d,
                     const Common& c, DiscreteModel& model, int every = 0);

struct ElboFlags {
  std::string model, input = "-";
  int strata = 8;
};
void add_elbo(CLI::App& app, ElboFlags& f, Common& c);

}  // namespace flowkit::cli
