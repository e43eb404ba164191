// solve (internal): pieces shared by the solver sources.
#pragma once
#include "flowkit/flow/solve.hpp"

namespace flowkit::detail {

// Adaptive Dormand-Prince 5(4) from opt.t0 to opt.t1 (solve_dopri5.cpp).
SolveStats integrate_dopri5(OdeSystem& sys, Mat& y, const SolveOptions& opt, const Observer& obs);

// Sets every column of y that is non-finite or beyond kDiverged to +inf; returns how many
// columns are (now) at +inf.
int64_t freeze_diverged(Mat& y);

// One explicit Runge-Kutta step of a fixed-step solver, with workspaces sized once.
class FixedStepper {
 public:
  FixedStepper(Solver s, Eigen::Index rows, Eigen::Index cols);
  // y <- y + one step from t to t + h; adds the evaluations to nfe.
  void step(OdeSystem& sys, double t, double h, Mat& y, int64_t& nfe);

 private:
  Solver solver_;
  Mat k1_, k2_, k3_, k4_, tmp_;
};

}  // namespace flowkit::detail
