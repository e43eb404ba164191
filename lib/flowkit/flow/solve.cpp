// solve: the choice tables, time grids and the fixed-step Runge-Kutta solvers.
#include "flowkit/flow/solve.hpp"

#include <cmath>

#include "flowkit/flow/solve_detail.hpp"

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;

// Fraction of the way along a grid in [0, 1] for step i of n, dense near 1 when not uniform.
double grid_fraction(GridKind g, int i, int n) {
  const double s = double(i) / n;
  switch (g) {
    case GridKind::uniform: return s;
    case GridKind::quadratic: return 1 - (1 - s) * (1 - s);
    case GridKind::cosine: return std::sin(kPi / 2 * s);
  }
  return s;
}
}  // namespace

const ChoiceTable<Solver>& solvers() {
  static const ChoiceTable<Solver> t = {
      {"euler", Solver::euler, "Euler, order 1, 1 evaluation per step"},
      {"midpoint", Solver::midpoint, "explicit midpoint, order 2, 2 evaluations per step"},
      {"heun", Solver::heun, "Heun (trapezoidal), order 2, 2 evaluations per step"},
      {"rk4", Solver::rk4, "classical Runge-Kutta, order 4, 4 evaluations per step"},
      {"dopri5", Solver::dopri5, "adaptive Dormand-Prince 5(4) with --rtol/--atol (ignores --steps)"},
      {"em", Solver::em, "Euler-Maruyama for the SDE (see --noise), 1-2 evaluations per step"},
  };
  return t;
}

const ChoiceTable<GridKind>& grids() {
  static const ChoiceTable<GridKind> t = {
      {"uniform", GridKind::uniform, "equal steps"},
      {"quadratic", GridKind::quadratic, "steps shrink linearly towards t = 1 (the last is 1/N^2)"},
      {"cosine", GridKind::cosine, "t = sin(pi s / 2): steps shrink like a cosine towards t = 1"},
  };
  return t;
}

std::vector<double> time_grid(GridKind g, int steps, double t0, double t1) {
  if (steps < 1) throw usage_error("--steps must be at least 1, got " + std::to_string(steps));
  std::vector<double> t(size_t(steps) + 1);
  const double span = std::abs(t1 - t0);
  // Backwards, the grid is the forward one mirrored, so its small steps stay at the larger time
  for (int i = 0; i <= steps; ++i)
    t[size_t(i)] = t1 >= t0 ? t0 + span * grid_fraction(g, i, steps)
                            : t0 - span * (1 - grid_fraction(g, steps - i, steps));
  t.front() = t0;
  t.back() = t1;
  return t;
}

namespace detail {

int64_t freeze_diverged(Mat& y) {
  int64_t frozen = 0;
  for (Eigen::Index j = 0; j < y.cols(); ++j) {
    bool out = false;
    for (Eigen::Index i = 0; i < y.rows() && !out; ++i) out = !(std::abs(y(i, j)) <= kDiverged);
    if (!out) continue;
    y.col(j).setConstant(INFINITY);
    ++frozen;
  }
  return frozen;
}

FixedStepper::FixedStepper(Solver s, Eigen::Index rows, Eigen::Index cols) : solver_(s) {
  k1_.resize(rows, cols);
  if (s == Solver::euler) return;
  k2_.resize(rows, cols);
  tmp_.resize(rows, cols);
  if (s != Solver::rk4) return;
  k3_.resize(rows, cols);
  k4_.resize(rows, cols);
}

void FixedStepper::step(OdeSystem& sys, double t, double h, Mat& y, int64_t& nfe) {
  const float hf = float(h), h2 = float(h / 2), h6 = float(h / 6);
  sys.eval(t, y, k1_);
  switch (solver_) {
    case Solver::euler:
      y.noalias() += hf * k1_;
      nfe += 1;
      return;
    case Solver::midpoint:
      tmp_ = y + h2 * k1_;
      sys.retract(tmp_);
      sys.eval(t + h / 2, tmp_, k2_);
      y.noalias() += hf * k2_;
      nfe += 2;
      return;
    case Solver::heun:
      tmp_ = y + hf * k1_;
      sys.retract(tmp_);
      sys.eval(t + h, tmp_, k2_);
      y.noalias() += h2 * (k1_ + k2_);
      nfe += 2;
      return;
    case Solver::rk4:
      tmp_ = y + h2 * k1_;
      sys.retract(tmp_);
      sys.eval(t + h / 2, tmp_, k2_);
      tmp_ = y + h2 * k2_;
      sys.retract(tmp_);
      sys.eval(t + h / 2, tmp_, k3_);
      tmp_ = y + hf * k3_;
      sys.retract(tmp_);
      sys.eval(t + h, tmp_, k4_);
      y.noalias() += h6 * (k1_ + 2 * k2_ + 2 * k3_ + k4_);
      nfe += 4;
      return;
    default: throw Error("not a fixed-step ODE solver");
  }
}

}  // namespace detail

void require_manifold_solver(const Manifold& m, Solver s) {
  if (m.curved() && (s == Solver::dopri5 || s == Solver::em))
    throw usage_error(std::string("solver ") + choice_name(solvers(), s) + " does not keep a flow on the " + m.name() +
                      "; use euler, midpoint, heun or rk4 (each stage is projected back onto it)");
}

SolveStats integrate(OdeSystem& sys, Mat& y, const SolveOptions& opt, const Observer& obs) {
  if (opt.solver == Solver::em) throw usage_error("em is an SDE solver; integrate() takes ODE solvers");
  if (adaptive(opt.solver)) return detail::integrate_dopri5(sys, y, opt, obs);
  const std::vector<double> ts = time_grid(opt.grid, opt.steps, opt.t0, opt.t1);
  detail::FixedStepper stepper(opt.solver, y.rows(), y.cols());
  SolveStats st;
  if (obs) obs(ts[0], y);
  for (size_t i = 0; i + 1 < ts.size(); ++i) {
    stepper.step(sys, ts[i], ts[i + 1] - ts[i], y, st.nfe);
    sys.retract(y);
    st.diverged = detail::freeze_diverged(y);
    ++st.steps;
    if (obs) obs(ts[i + 1], y);
  }
  return st;
}

}  // namespace flowkit
