// solve (internal): pieces shared by the solver sources.
#pragma once
#include <array>
#include <string>

#include "flowkit/flow/solve.hpp"

namespace flowkit::detail {

// Adaptive Dormand-Prince 5(4) from opt.t0 to opt.t1 (solve_dopri5.cpp).
SolveStats integrate_dopri5(OdeSystem& sys, Mat& y, const SolveOptions& opt, const Observer& obs);

// Sets every column of y that is non-finite or beyond kDiverged to +inf; returns how many
// columns are (now) at +inf.
int64_t freeze_diverged(Mat& y);

// One step of a fixed-step solver (explicit Runge-Kutta, or Adams-Bashforth, which keeps the
// evaluations of its past steps), with workspaces sized once. One stepper walks one grid.
class FixedStepper {
 public:
  FixedStepper(Solver s, Eigen::Index rows, Eigen::Index cols);
  // y <- y + one step from t to t + h; adds the evaluations to nfe.
  void step(OdeSystem& sys, double t, double h, Mat& y, int64_t& nfe);

 private:
  // Adams-Bashforth of `order` (2, 3) on the past steps' evaluations; k1_ holds f(t, y).
  void adams_bashforth(OdeSystem& sys, int order, double t, double h, Mat& y, int64_t& nfe);

  Solver solver_;
  Mat k1_, k2_, k3_, k4_, tmp_;
  // Adams-Bashforth: k2_, k3_ are f at the last two grid times, h1_, h2_ the steps before
  // them (h1_ from the previous time to the current one); past_ counts the kept evaluations.
  double h1_ = 0, h2_ = 0;
  int past_ = 0;
};

// The weights b_j with integral_0^h p(s) ds = sum_j b_j f_j for the polynomial p through
// (0, f_0), (-h1, f_1)[, (-h1 - h2, f_2)]: the variable-step Adams-Bashforth weights of
// `order` (1, 2 or 3; the weights past `order` are 0).
std::array<double, 3> adams_weights(int order, double h, double h1, double h2);

// A number as "%g" prints it, for error messages
std::string number(double v);

}  // namespace flowkit::detail
