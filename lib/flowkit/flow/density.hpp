// density: log p_1(x) of a flow by the instantaneous change of variables (doc/MATH.md):
// the augmented state [x; integral of div v] integrated backwards from t = 1 to t = 0 (or
// forwards from noise, for samples with their log density), with the exact divergence or
// Hutchinson's estimator. Never touches files or flags.
#pragma once
#include "flowkit/core/choice.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/flow/solve.hpp"

namespace flowkit {

enum class Divergence { automatic, exact, hutchinson };
const ChoiceTable<Divergence>& divergences();
enum class Probe { rademacher, gaussian };
const ChoiceTable<Probe>& probes();

// The automatic choice is exact up to this dimension, Hutchinson above it.
constexpr int kExactDivergenceMaxDim = 256;

struct DensityOptions {
  SolveOptions ode;  // solver, steps, grid, tolerances; t0 and t1 are set by the functions
  Divergence divergence = Divergence::automatic;
  Probe probe = Probe::rademacher;
  int probes = 1;    // Hutchinson probes per point (fixed along each trajectory)
};

// The divergence actually used for a field of dimension d (a clear error when the field
// cannot provide it).
Divergence resolve_divergence(const Field& f, const DensityOptions& o);

// log p_1(x) for every column of x (d x n); `rng` draws the Hutchinson probes. A point whose
// reverse flow diverges (solve.hpp, kDiverged) gets -inf; the others are unaffected; the
// returned stats count them in `diverged`.
SolveStats log_density(Field& f, const Mat& x, const DensityOptions& o, Rng& rng, Vec& logp);

// Samples with their log density in one pass: x holds the start noise (d x n, from N(0, I))
// and ends as the samples; logp gets log p_1 of each (-inf, and the sample +inf, for a point
// whose flow diverged).
SolveStats sample_with_log_density(Field& f, Mat& x, const DensityOptions& o, Rng& rng, Vec& logp);

// log N(z; 0, I) per column.
Vec log_normal(const Mat& z);

// Bits per dimension of a log density: (-logp + offset) / (d ln 2). For data of L levels
// k / (L - 1) in [0, 1], dequantized with U[0, 1/(L - 1)) noise, the offset is d log(L - 1)
// (the change of scale from bins of width 1/(L - 1) to the integers k); levels = 0: none.
double bits_per_dim(double logp, int d, int levels);

}  // namespace flowkit
