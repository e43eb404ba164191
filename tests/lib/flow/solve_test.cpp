#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/flow/field_linear.hpp"
#include "flowkit/flow/solve.hpp"

using namespace flowkit;

namespace {

// dy/dt = 3 cos(3 t) y: y(t) = y(t0) exp(sin 3t - sin 3t0). Time-dependent, so a stepper
// that evaluates its stages at the wrong times loses its order.
class Growth : public OdeSystem {
 public:
  void eval(double t, const Mat& y, Mat& dy) override { dy = float(3 * std::cos(3 * t)) * y; }
  static double exact(double y0, double t0, double t1) {
    return y0 * std::exp(std::sin(3 * t1) - std::sin(3 * t0));
  }
};

// The damped rotation A = [[-0.5, -3], [3, -0.5]]: exp(A t) = e^{-t/2} R(3 t).
MatD rotation_exact(const MatD& x0, double t) {
  MatD R(2, 2);
  R << std::cos(3 * t), -std::sin(3 * t), std::sin(3 * t), std::cos(3 * t);
  return std::exp(-0.5 * t) * R * x0;
}

LinearField damped_rotation() {
  MatD A(2, 2);
  A << -0.5, -3, 3, -0.5;
  return LinearField(A, VecD::Zero(2));
}

Mat start_points() {
  Mat x(2, 4);
  x << 1, 0, -0.5, 0.3, 0, 1, 0.8, -1.2;
  return x;
}

// Largest error at t = 1 of the damped rotation after `steps` steps of a solver.
double rotation_error(Solver s, int steps) {
  LinearField f = damped_rotation();
  FieldSystem sys(f);
  Mat x = start_points();
  SolveOptions o;
  o.solver = s;
  o.steps = steps;
  integrate(sys, x, o);
  return (x.cast<double>() - rotation_exact(start_points().cast<double>(), 1)).cwiseAbs().maxCoeff();
}

// Largest error of the growth equation from t = 0.2 to 1.7 (and back when t0 > t1).
double growth_error(Solver s, int steps, double t0, double t1) {
  Growth g;
  Mat y(1, 3);
  y << 1, -2, 0.5;
  const Mat y0 = y;
  SolveOptions o;
  o.solver = s;
  o.steps = steps;
  o.t0 = t0;
  o.t1 = t1;
  integrate(g, y, o);
  double err = 0;
  for (int i = 0; i < 3; ++i) err = std::max(err, std::abs(y(0, i) - Growth::exact(y0(0, i), t0, t1)));
  return err;
}

// Least-squares slope of log(error) against log(step size).
double order(const std::vector<int>& steps, const std::function<double(int)>& err) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = double(steps.size());
  for (int k : steps) {
    const double x = std::log(1.0 / k), y = std::log(err(k));
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace

TEST_CASE("solve: measured global error orders are 1, 2, 2, 4", "[solve]") {
  // Step counts where truncation error dominates float32 rounding; the slope of log error
  // against log step size, on an autonomous linear system and on a time-dependent one, both
  // forwards and backwards in time.
  struct Case { Solver s; double p; std::vector<int> steps; };
  for (const Case& c : {Case{Solver::euler, 1, {20, 40, 80, 160}}, Case{Solver::midpoint, 2, {20, 40, 80, 160}},
                        Case{Solver::heun, 2, {20, 40, 80, 160}}, Case{Solver::rk4, 4, {12, 16, 24, 32}}}) {
    INFO(choice_name(solvers(), c.s));
    CHECK(order(c.steps, [&](int k) { return rotation_error(c.s, k); }) == Approx(c.p).margin(0.15));
    CHECK(order(c.steps, [&](int k) { return growth_error(c.s, k, 0.2, 1.7); }) == Approx(c.p).margin(0.35));
    CHECK(order(c.steps, [&](int k) { return growth_error(c.s, k, 1.7, 0.2); }) == Approx(c.p).margin(0.15));
  }
}

TEST_CASE("solve: NFE per step and observer calls", "[solve]") {
  LinearField f = damped_rotation();
  FieldSystem sys(f);
  for (auto [s, per] : {std::pair{Solver::euler, 1}, {Solver::midpoint, 2}, {Solver::heun, 2}, {Solver::rk4, 4}}) {
    Mat x = start_points();
    SolveOptions o;
    o.solver = s;
    o.steps = 7;
    std::vector<double> times;
    const SolveStats st = integrate(sys, x, o, [&](double t, const Mat&) { times.push_back(t); });
    CHECK(st.nfe == 7 * per);
    CHECK(st.steps == 7);
    REQUIRE(times.size() == 8);
    CHECK(times.front() == 0.0);
    CHECK(times.back() == 1.0);
  }
}

TEST_CASE("solve: dopri5 meets its tolerance and its NFE shrink as it loosens", "[solve]") {
  Growth g;
  int64_t last_nfe = 1 << 30;
  for (double tol : {1e-6, 1e-5, 1e-4, 1e-3, 1e-2}) {
    Mat y(1, 3);
    y << 1, -2, 0.5;
    const Mat y0 = y;
    SolveOptions o;
    o.solver = Solver::dopri5;
    o.t0 = 0.2;
    o.t1 = 1.7;
    o.rtol = o.atol = tol;
    std::vector<double> times;
    const SolveStats st = integrate(g, y, o, [&](double t, const Mat&) { times.push_back(t); });
    double err = 0;
    for (int i = 0; i < 3; ++i) err = std::max(err, std::abs(y(0, i) - Growth::exact(y0(0, i), 0.2, 1.7)));
    INFO("tol " << tol << " error " << err << " nfe " << st.nfe << " steps " << st.steps);
    // Global error within a small multiple of the local tolerance (|y| is at most ~2)
    CHECK(err < 10 * tol);
    CHECK(st.nfe < last_nfe);
    // FSAL: 6 new evaluations per attempted step, plus the first and the starting-step probe
    CHECK(st.nfe == 6 * (st.steps + st.rejected) + 2);
    CHECK(times.size() == size_t(st.steps) + 1);
    CHECK(times.back() == 1.7);
    last_nfe = st.nfe;
  }
}

TEST_CASE("solve: dopri5 on the rotation, backwards, and its step cap", "[solve]") {
  LinearField f = damped_rotation();
  FieldSystem sys(f);
  SolveOptions o;
  o.solver = Solver::dopri5;
  o.rtol = o.atol = 1e-6;
  Mat x = start_points();
  integrate(sys, x, o);
  CHECK((x.cast<double>() - rotation_exact(start_points().cast<double>(), 1)).cwiseAbs().maxCoeff() < 1e-5);
  std::swap(o.t0, o.t1);
  integrate(sys, x, o);
  CHECK((x - start_points()).cwiseAbs().maxCoeff() < 2e-5);
  o.max_steps = 3;
  REQUIRE_THROWS_WITH(integrate(sys, x, o), Catch::Contains("cap of 3 steps"));
  o.rtol = 0;
  REQUIRE_THROWS_AS(integrate(sys, x, o), Error);
}

TEST_CASE("solve: time grids run either way, dense near t = 1", "[solve]") {
  for (GridKind g : {GridKind::uniform, GridKind::quadratic, GridKind::cosine}) {
    INFO(choice_name(grids(), g));
    const auto f = time_grid(g, 10, 0, 1), b = time_grid(g, 10, 1, 0);
    REQUIRE(f.size() == 11);
    CHECK(f.front() == 0.0);
    CHECK(f.back() == 1.0);
    CHECK(b.front() == 1.0);
    CHECK(b.back() == 0.0);
    for (size_t i = 0; i < 10; ++i) {
      CHECK(f[i + 1] > f[i]);
      CHECK(b[i + 1] < b[i]);
      CHECK(b[i] == Approx(f[10 - i]).margin(1e-12));  // the same times, mirrored
    }
    const double first = f[1] - f[0], last = f[10] - f[9];
    if (g == GridKind::uniform) CHECK(first == Approx(last));
    else CHECK(last < first / 5);
  }
  CHECK(time_grid(GridKind::quadratic, 4, 0.5, 1).back() == 1.0);
  REQUIRE_THROWS_AS(time_grid(GridKind::uniform, 0, 0, 1), Error);
}

TEST_CASE("solve: choice tables name every solver, grid and noise", "[solve]") {
  CHECK(choice_names(solvers()) == "euler, midpoint, heun, rk4, dopri5, em");
  CHECK(choice_names(noises()) == "none, constant, linear, schedule");
  REQUIRE_THROWS_WITH(parse_choice(solvers(), "rk5", "solver"),
                      "unknown solver 'rk5'; one of euler, midpoint, heun, rk4, dopri5, em");
}

TEST_CASE("solve: diffusion schedules g(t)", "[solve]") {
  SdeOptions o;
  o.sigma = 2;
  o.noise = NoiseKind::constant;
  CHECK(diffusion(o, 0.5) == 2);
  CHECK(diffusion(o, 1.0) == 0);
  o.noise = NoiseKind::linear;
  CHECK(diffusion(o, 0.25) == Approx(1.5));
  CHECK(diffusion(o, 1.0) == 0);
  o.noise = NoiseKind::schedule;
  o.schedule = Schedule::parse("cosine");
  CHECK(diffusion(o, 0.5) == Approx(2 * std::cos(3.14159265358979 / 4)));
  o.noise = NoiseKind::none;
  CHECK(diffusion(o, 0.5) == 0);
}
