// solve: the choice tables, time grids and the fixed-step Runge-Kutta solvers.
#include "flowkit/flow/solve.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "flowkit/flow/solve_detail.hpp"

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;

// Fraction of the way along a grid in [0, 1] for step i of n, dense near 1 when not uniform.
double grid_fraction(const TimeGrid& g, int i, int n) {
  const double s = double(i) / n;
  switch (g.kind) {
    case GridKind::uniform: return s;
    case GridKind::quadratic: return 1 - (1 - s) * (1 - s);
    case GridKind::cosine: return std::sin(kPi / 2 * s);
    case GridKind::power: return 1 - std::pow(1 - s, g.power);
    case GridKind::times: break;
  }
  return s;
}

}  // namespace

std::string detail::number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
using detail::number;

const ChoiceTable<Solver>& solvers() {
  static const ChoiceTable<Solver> t = {
      {"euler", Solver::euler, "Euler, order 1, 1 evaluation per step"},
      {"midpoint", Solver::midpoint, "explicit midpoint, order 2, 2 evaluations per step"},
      {"heun", Solver::heun, "Heun (trapezoidal), order 2, 2 evaluations per step"},
      {"rk4", Solver::rk4, "classical Runge-Kutta, order 4, 4 evaluations per step"},
      {"ab2", Solver::ab2, "Adams-Bashforth 2 (midpoint start), order 2, 1 evaluation per step (+1)"},
      {"ab3", Solver::ab3, "Adams-Bashforth 3 (midpoint, ab2 start), order 3, 1 evaluation per step (+1)"},
      {"dopri5", Solver::dopri5, "adaptive Dormand-Prince 5(4) with --rtol/--atol (ignores --steps)"},
      {"em", Solver::em, "Euler-Maruyama for the SDE (see --noise), 1-2 evaluations per step"},
      {"meanflow", Solver::meanflow,
       "average-velocity models only (MeanFlow, shortcut, distilled; their default): x += (t - r) u(x, r, t), 1 evaluation per step"},
  };
  return t;
}

const ChoiceTable<GridKind>& grids() {
  static const ChoiceTable<GridKind> t = {
      {"uniform", GridKind::uniform, "equal steps"},
      {"quadratic", GridKind::quadratic, "steps shrink linearly towards t = 1 (the last is 1/N^2)"},
      {"cosine", GridKind::cosine, "t = sin(pi s / 2): steps shrink like a cosine towards t = 1"},
      {"power:P", GridKind::power, "t = 1 - (1 - s)^P, P > 0: the last step is 1/N^P (power:2 is quadratic)"},
      {"FILE", GridKind::times, "the times in FILE (one column, --t0 first, --t1 last, strictly monotone)"},
  };
  return t;
}

TimeGrid TimeGrid::power_law(double p) {
  if (!(p > 0) || !std::isfinite(p)) throw usage_error("grid power:P needs a finite P > 0, got " + number(p));
  TimeGrid g(GridKind::power);
  g.power = p;
  return g;
}

TimeGrid TimeGrid::given(std::vector<double> times, double t0, double t1, const std::string& where) {
  const auto fail = [&](const std::string& what) { throw Error("time grid: " + what + " (" + where + ")"); };
  if (times.size() < 2) fail("needs at least 2 times, got " + std::to_string(times.size()));
  const double dir = t1 >= t0 ? 1 : -1;
  for (size_t i = 0; i < times.size(); ++i) {
    if (!std::isfinite(times[i])) fail("time " + std::to_string(i) + " is not finite");
    if (i > 0 && !(dir * (times[i] - times[i - 1]) > 0))
      fail(std::string("times must be strictly ") + (dir > 0 ? "increasing" : "decreasing") + ", but time " +
           std::to_string(i) + " is " + number(times[i]) + " after " + number(times[i - 1]));
  }
  // Times read as float32 (a text file's 0.3) match t0 and t1 to float precision, then exactly
  constexpr double kSame = 1e-6;
  if (!(std::abs(times.front() - t0) <= kSame))
    fail("the first time is " + number(times.front()) + ", not t0 = " + number(t0));
  if (!(std::abs(times.back() - t1) <= kSame))
    fail("the last time is " + number(times.back()) + ", not t1 = " + number(t1));
  times.front() = t0;
  times.back() = t1;
  for (size_t i = 1; i < times.size(); ++i)
    if (!(dir * (times[i] - times[i - 1]) > 0)) fail("two times closer than 1e-6 at the ends");
  TimeGrid g(GridKind::times);
  g.times = std::move(times);
  return g;
}

std::string TimeGrid::name() const {
  if (kind == GridKind::power) return "power:" + number(power);
  if (kind == GridKind::times) return "times (" + std::to_string(times.size()) + ")";
  return choice_name(grids(), kind);
}

bool is_grid_name(const std::string& spec) {
  if (spec.rfind("power:", 0) == 0) return true;
  for (const auto& c : grids())
    if (spec == c.name && c.value != GridKind::power && c.value != GridKind::times) return true;
  return false;
}

TimeGrid parse_grid(const std::string& spec) {
  if (spec.rfind("power:", 0) == 0) {
    const std::string num = spec.substr(6);
    size_t used = 0;
    double p = NAN;
    try {
      p = std::stod(num, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != num.size()) throw usage_error("bad grid '" + spec + "': power:P needs a number P > 0");
    return TimeGrid::power_law(p);
  }
  if (!is_grid_name(spec))
    throw usage_error("unknown grid '" + spec + "'; one of uniform, quadratic, cosine, power:P or a file of times");
  return TimeGrid(parse_choice(grids(), spec, "grid"));
}

void check_steps(int64_t steps) {
  if (steps < 1 || steps > kMaxSteps)
    throw usage_error("--steps must be 1.." + std::to_string(kMaxSteps) + ", got " + std::to_string(steps));
}

std::vector<double> time_grid(const TimeGrid& g, int steps, double t0, double t1) {
  if (g.kind == GridKind::times) {
    if (size_t(steps) + 1 != g.times.size() || g.times.front() != t0 || g.times.back() != t1)
      throw Error("a grid of " + std::to_string(g.times.size()) + " times from " + number(g.times.front()) + " to " +
                  number(g.times.back()) + " used for " + std::to_string(steps) + " steps from " + number(t0) +
                  " to " + number(t1));
    return g.times;
  }
  check_steps(steps);
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

std::array<double, 3> adams_weights(int order, double h, double h1, double h2) {
  // Lagrange basis on the nodes 0, -h1, -h1 - h2 (signed: backwards in time all are negated),
  // integrated over [0, h] by 2-point Gauss-Legendre, exact for these polynomials of degree <= 2.
  const double node[3] = {0, -h1, -h1 - h2};
  const double g = h / (2 * std::sqrt(3.0)), at[2] = {h / 2 - g, h / 2 + g};
  std::array<double, 3> w = {0, 0, 0};
  for (int j = 0; j < order; ++j)
    for (double s : at) {
      double l = h / 2;
      for (int m = 0; m < order; ++m)
        if (m != j) l *= (s - node[m]) / (node[j] - node[m]);
      w[size_t(j)] += l;
    }
  return w;
}

FixedStepper::FixedStepper(Solver s, Eigen::Index rows, Eigen::Index cols) : solver_(s) {
  k1_.resize(rows, cols);
  if (s == Solver::euler || s == Solver::meanflow) return;
  k2_.resize(rows, cols);
  tmp_.resize(rows, cols);
  if (s != Solver::rk4 && s != Solver::ab2 && s != Solver::ab3) return;
  k3_.resize(rows, cols);
  k4_.resize(rows, cols);
}

void FixedStepper::step(OdeSystem& sys, double t, double h, Mat& y, int64_t& nfe) {
  const float hf = float(h), h2 = float(h / 2), h6 = float(h / 6);
  if (solver_ == Solver::meanflow) {  // exact for the exact average velocity, whatever h
    sys.average(t, t + h, y, k1_);
    y.noalias() += hf * k1_;
    nfe += 1;
    return;
  }
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
    case Solver::ab2: return adams_bashforth(sys, 2, t, h, y, nfe);
    case Solver::ab3: return adams_bashforth(sys, 3, t, h, y, nfe);
    default: throw Error("not a fixed-step ODE solver");
  }
}

void FixedStepper::adams_bashforth(OdeSystem& sys, int order, double t, double h, Mat& y, int64_t& nfe) {
  nfe += 1;
  if (past_ == 0) {
    // The start: one explicit midpoint step (order 2, its stage at t + h/2, never at t + h),
    // whose local error O(h^3) keeps the global order 3 of ab3 too.
    tmp_ = y + float(h / 2) * k1_;
    sys.eval(t + h / 2, tmp_, k4_);
    y.noalias() += float(h) * k4_;
    nfe += 1;
  } else {
    // Then the order the kept evaluations allow: ab3 takes one ab2 step first.
    const std::array<double, 3> w = adams_weights(std::min(order, past_ + 1), h, h1_, h2_);
    if (w[2] != 0)
      y.noalias() += float(w[0]) * k1_ + float(w[1]) * k2_ + float(w[2]) * k3_;
    else
      y.noalias() += float(w[0]) * k1_ + float(w[1]) * k2_;
  }
  // k1_ becomes the last evaluation, k2_ the one before (swaps: no copies, no allocation)
  k3_.swap(k2_);
  k2_.swap(k1_);
  h2_ = h1_;
  h1_ = h;
  past_ = std::min(past_ + 1, 2);
}

}  // namespace detail

void OdeSystem::average(double, double, const Mat&, Mat&) {
  throw Error("this system has no average velocity (--solver meanflow takes a MeanFlow or shortcut model)");
}

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
