// STUB (owned by the io/data work).
#include "flowkit/data.hpp"

namespace flowkit {
Mat sample_toy(const ToySpec& spec, int64_t, Rng&) { throw Error("not implemented: " + spec.name); }
}  // namespace flowkit
