#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <sstream>
#include <tuple>

#include "flowkit/flow/field_gmm.hpp"
#include "flowkit/flow/field_linear.hpp"
#include "flowkit/flow/solve.hpp"
#include "flowkit/flow/solve_detail.hpp"

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

// A grid whose steps alternate between h and 2 h: not a smooth map of a uniform one, so a
// multistep solver with constant-step weights is not even consistent on it.
TimeGrid alternating(int steps, double t0, double t1) {
  std::vector<double> t(size_t(steps) + 1, t0);
  double sum = 0;
  for (int i = 0; i < steps; ++i) sum += 1 + i % 2;
  for (int i = 0; i < steps; ++i) t[size_t(i) + 1] = t[size_t(i)] + (t1 - t0) * (1 + i % 2) / sum;
  t.back() = t1;
  return TimeGrid::given(t, t0, t1, "alternating");
}

// Largest error of the growth equation from t = 0.2 to 1.7 (and back when t0 > t1).
double growth_error(Solver s, int steps, double t0, double t1, const TimeGrid& grid = GridKind::uniform) {
  Growth g;
  Mat y(1, 3);
  y << 1, -2, 0.5;
  const Mat y0 = y;
  SolveOptions o;
  o.solver = s;
  o.steps = steps;
  o.t0 = t0;
  o.t1 = t1;
  o.grid = grid.kind == GridKind::times ? alternating(steps, t0, t1) : grid;
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

TEST_CASE("solve: measured global error orders are 1, 2, 2, 4, 2, 3", "[solve]") {
  // Step counts where truncation error dominates float32 rounding; the slope of log error
  // against log step size, on an autonomous linear system and on a time-dependent one, both
  // forwards and backwards in time, and on a non-uniform grid (where Adams-Bashforth needs
  // its variable-step weights: the constant-step ones fall to order 1 there).
  // ab3's errors fall faster than h^3 before they settle (3.3-3.6 here; float32 rounding comes
  // first): margin 0.6, which still tells order 3 from 2 and 4.
  struct Case { Solver s; double p; std::vector<int> steps; double margin; };
  for (const Case& c : {Case{Solver::euler, 1, {20, 40, 80, 160}, 0.15}, Case{Solver::midpoint, 2, {20, 40, 80, 160}, 0.15},
                        Case{Solver::heun, 2, {20, 40, 80, 160}, 0.15}, Case{Solver::rk4, 4, {12, 16, 24, 32}, 0.15},
                        Case{Solver::ab2, 2, {40, 80, 160, 320}, 0.15}, Case{Solver::ab3, 3, {40, 60, 80, 120}, 0.6}}) {
    INFO(choice_name(solvers(), c.s));
    CHECK(order(c.steps, [&](int k) { return rotation_error(c.s, k); }) == Approx(c.p).margin(c.margin));
    CHECK(order(c.steps, [&](int k) { return growth_error(c.s, k, 0.2, 1.7); }) == Approx(c.p).margin(0.35));
    CHECK(order(c.steps, [&](int k) { return growth_error(c.s, k, 1.7, 0.2); }) == Approx(c.p).margin(c.margin));
  }
  // Non-uniform grids: the multistep solvers' variable-step weights (their errors settle later
  // there: more steps). On the smooth grids constant-step weights would keep the order too
  // (their mismatch is O(h) there); on the alternating one (a file's times) they fall to 0.
  for (const Case& c : {Case{Solver::ab2, 2, {160, 320, 640, 1280}, 0.35}, Case{Solver::ab3, 3, {80, 120, 160, 240}, 0.6}})
    for (const TimeGrid& g : {TimeGrid(GridKind::quadratic), TimeGrid(GridKind::cosine), TimeGrid(GridKind::times)}) {
      INFO(choice_name(solvers(), c.s) << " on the " << choice_name(grids(), g.kind) << " grid");
      CHECK(order(c.steps, [&](int k) { return growth_error(c.s, k, 0.2, 1.7, g); }) == Approx(c.p).margin(c.margin));
      // (backwards on the alternating grid ab3's errors still fall as h^3.9 at these steps)
      if (g.kind != GridKind::times)
        CHECK(order(c.steps, [&](int k) { return growth_error(c.s, k, 1.7, 0.2, g); }) == Approx(c.p).margin(c.margin));
    }
}

TEST_CASE("solve: Adams-Bashforth weights, constant and variable steps", "[solve]") {
  // Constant steps: the textbook AB2 (3/2, -1/2) and AB3 (23/12, -16/12, 5/12), times h.
  auto w = detail::adams_weights(2, 0.1, 0.1, 0);
  CHECK(w[0] == Approx(0.15));
  CHECK(w[1] == Approx(-0.05));
  CHECK(w[2] == 0);
  w = detail::adams_weights(3, 0.1, 0.1, 0.1);
  CHECK(w[0] == Approx(0.1 * 23 / 12));
  CHECK(w[1] == Approx(-0.1 * 16 / 12));
  CHECK(w[2] == Approx(0.1 * 5 / 12));
  // Variable AB2: h (1 + r/2, -r/2), r = h / h1
  w = detail::adams_weights(2, 0.3, 0.1, 0);
  CHECK(w[0] == Approx(0.3 * 2.5));
  CHECK(w[1] == Approx(-0.3 * 1.5));
  // Any order integrates the polynomials it interpolates exactly: f(s) = 1 + 2 s + 3 s^2
  // at s = 0, -0.2, -0.5, over [0, 0.4]: 0.4 + 0.16 + 0.064
  w = detail::adams_weights(3, 0.4, 0.2, 0.3);
  auto f = [](double s) { return 1 + 2 * s + 3 * s * s; };
  CHECK(w[0] * f(0) + w[1] * f(-0.2) + w[2] * f(-0.5) == Approx(0.624));
  // Backwards (every step negative)
  w = detail::adams_weights(3, -0.4, -0.2, -0.3);
  CHECK(w[0] * f(0) + w[1] * f(0.2) + w[2] * f(0.5) == Approx(-0.4 + 0.16 - 0.064));
  w = detail::adams_weights(1, 0.25, 0, 0);
  CHECK(w[0] == 0.25);
}

namespace {
// The exact field of share/models/gmm8.json: 8 Gaussians (std 0.2) on a circle of radius 3.
std::unique_ptr<GmmField> gmm8() {
  nlohmann::json means = nlohmann::json::array(), vars = nlohmann::json::array();
  for (int k = 0; k < 8; ++k) {
    means.push_back({3 * std::cos(k * 3.14159265358979 / 4), 3 * std::sin(k * 3.14159265358979 / 4)});
    vars.push_back({0.04, 0.04});
  }
  const nlohmann::json doc = {{"format", "flowkit-model"}, {"version", 1}, {"type", "gmm"},
                              {"schedule", "linear"}, {"weights", std::vector<double>(8, 0.125)},
                              {"means", means}, {"variances", vars}};
  return GmmField::from_json(doc, "gmm8.json");
}

// 64 start points from N(0, I) carried to t = 1 through the oracle's field.
Mat gmm8_endpoints(Field& f, Solver s, int steps, GridKind grid = GridKind::uniform) {
  Rng rng(7);
  Mat x(2, 64);
  rng.fill_normal(x);
  FieldSystem sys(f);
  SolveOptions o;
  o.solver = s;
  o.steps = steps;
  o.grid = grid;
  integrate(sys, x, o);
  return x;
}
}  // namespace

TEST_CASE("solve: orders measured on the exact field of the 8-Gaussian mixture", "[solve]") {
  // No closed-form flow here: the reference is rk4 with 2,000 steps (its own error, below
  // 1e-5, is under float32 rounding). The field bends where the posterior picks a
  // component (t around 0.3-0.7), so the asymptotic orders show from a few dozen steps.
  auto f = gmm8();
  const Mat ref = gmm8_endpoints(*f, Solver::rk4, 2000);
  struct Case { Solver s; double p; std::vector<int> steps; };
  for (const Case& c : {Case{Solver::euler, 1, {40, 80, 160, 320}}, Case{Solver::midpoint, 2, {40, 80, 160, 320}},
                        Case{Solver::heun, 2, {40, 80, 160, 320}}, Case{Solver::rk4, 4, {20, 25, 30, 40}},
                        Case{Solver::ab2, 2, {40, 80, 160, 320}}, Case{Solver::ab3, 3, {60, 90, 120, 180}}}) {
    for (GridKind g : {GridKind::uniform, GridKind::quadratic}) {
      INFO(choice_name(solvers(), c.s) << " on the " << choice_name(grids(), g) << " grid");
      std::ostringstream line;
      const double p = order(c.steps, [&](int k) {
        const double e = (gmm8_endpoints(*f, c.s, k, g) - ref).cwiseAbs().maxCoeff();
        line << " " << k << ":" << e;
        return e;
      });
      INFO("errors" << line.str() << " order " << p);
      CHECK(p == Approx(c.p).margin(c.s == Solver::rk4 ? 0.4 : 0.3));
    }
  }
}

TEST_CASE("solve: NFE per step and observer calls", "[solve]") {
  LinearField f = damped_rotation();
  FieldSystem sys(f);
  // Adams-Bashforth: one evaluation per step, and one more for its midpoint start
  for (auto [s, per, start] : {std::tuple{Solver::euler, 1, 0}, {Solver::midpoint, 2, 0}, {Solver::heun, 2, 0},
                               {Solver::rk4, 4, 0}, {Solver::ab2, 1, 1}, {Solver::ab3, 1, 1}}) {
    Mat x = start_points();
    SolveOptions o;
    o.solver = s;
    o.steps = 7;
    std::vector<double> times;
    const SolveStats st = integrate(sys, x, o, [&](double t, const Mat&) { times.push_back(t); });
    CHECK(st.nfe == 7 * per + start);
    CHECK(st.steps == 7);
    REQUIRE(times.size() == 8);
    CHECK(times.front() == 0.0);
    CHECK(times.back() == 1.0);
  }
}

TEST_CASE("solve: which solvers evaluate the field at the last time of the grid", "[solve]") {
  // A noise- or data-predicting network is singular at an end of the path (a = 0 or b = 0):
  // euler, midpoint and Adams-Bashforth never ask for the field at t1, heun and rk4 do.
  struct Times : OdeSystem {
    std::vector<double> at;
    void eval(double t, const Mat& y, Mat& dy) override {
      at.push_back(t);
      dy = -y;
    }
  };
  for (auto [s, at_end] : {std::pair{Solver::euler, false}, {Solver::midpoint, false}, {Solver::ab2, false},
                           {Solver::ab3, false}, {Solver::heun, true}, {Solver::rk4, true}}) {
    INFO(choice_name(solvers(), s));
    for (const TimeGrid& g : {TimeGrid(GridKind::uniform), TimeGrid::power_law(3)}) {
      Times sys;
      Mat y = start_points();
      SolveOptions o;
      o.solver = s;
      o.steps = 6;
      o.grid = g;
      integrate(sys, y, o);
      CHECK(*std::max_element(sys.at.begin(), sys.at.end()) <= 1.0);
      CHECK((std::count(sys.at.begin(), sys.at.end(), 1.0) > 0) == at_end);
    }
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
  for (const TimeGrid& g : {TimeGrid(GridKind::uniform), TimeGrid(GridKind::quadratic), TimeGrid(GridKind::cosine),
                            TimeGrid::power_law(3), TimeGrid::power_law(2.5)}) {
    INFO(g.name());
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
    if (g.kind == GridKind::uniform) CHECK(first == Approx(last));
    else CHECK(last < first / 5);
  }
  CHECK(time_grid(GridKind::quadratic, 4, 0.5, 1).back() == 1.0);
  REQUIRE_THROWS_AS(time_grid(GridKind::uniform, 0, 0, 1), Error);
}

TEST_CASE("solve: power:P grids, and grids given time by time", "[solve]") {
  // power:2 is the quadratic grid; power:P's last step is 1/N^P of the interval
  CHECK(time_grid(TimeGrid::power_law(2), 8, 0, 1) == time_grid(GridKind::quadratic, 8, 0, 1));
  const auto p3 = time_grid(TimeGrid::power_law(3), 10, 0, 1);
  CHECK(p3[10] - p3[9] == Approx(1e-3));
  CHECK(p3[5] == Approx(1 - 0.125));
  CHECK(parse_grid("power:3").power == 3);
  CHECK(parse_grid("cosine").kind == GridKind::cosine);
  CHECK(parse_grid("power:1.5").name() == "power:1.5");
  CHECK(is_grid_name("power:x"));  // then a bad power, not a file
  CHECK(!is_grid_name("FILE"));
  CHECK(!is_grid_name("times.csv"));
  REQUIRE_THROWS_WITH(parse_grid("power:0"), "grid power:P needs a finite P > 0, got 0");
  REQUIRE_THROWS_WITH(parse_grid("power:2x"), "bad grid 'power:2x': power:P needs a number P > 0");
  REQUIRE_THROWS_WITH(parse_grid("cosin"),
                      "unknown grid 'cosin'; one of uniform, quadratic, cosine, power:P or a file of times");
  // Given times: used as they are, forwards and backwards; ends within 1e-6 snap to t0, t1
  const TimeGrid g = TimeGrid::given({0, 0.5, 0.9, 0.9999995}, 0, 1, "g.csv");
  CHECK(g.name() == "times (4)");
  CHECK(time_grid(g, 3, 0, 1) == std::vector<double>{0, 0.5, 0.9, 1});
  CHECK(TimeGrid::given({1, 0.2, 0}, 1, 0, "b.csv").times == std::vector<double>{1, 0.2, 0});
  REQUIRE_THROWS_WITH(time_grid(g, 5, 0, 1), Catch::Contains("used for 5 steps"));
  // Every fault: one line naming it and the file
  REQUIRE_THROWS_WITH(TimeGrid::given({0, 0.5, 0.4, 1}, 0, 1, "g.csv"),
                      "time grid: times must be strictly increasing, but time 2 is 0.4 after 0.5 (g.csv)");
  REQUIRE_THROWS_WITH(TimeGrid::given({0, 0.5, 0.5, 1}, 0, 1, "g.csv"), Catch::Contains("strictly increasing"));
  REQUIRE_THROWS_WITH(TimeGrid::given({1, 0.5, 0.7, 0}, 1, 0, "g.csv"), Catch::Contains("strictly decreasing"));
  REQUIRE_THROWS_WITH(TimeGrid::given({0.1, 0.5, 1}, 0, 1, "g.csv"),
                      "time grid: the first time is 0.1, not t0 = 0 (g.csv)");
  REQUIRE_THROWS_WITH(TimeGrid::given({0, 0.5, 0.9}, 0, 1, "g.csv"),
                      "time grid: the last time is 0.9, not t1 = 1 (g.csv)");
  REQUIRE_THROWS_WITH(TimeGrid::given({0, NAN, 1}, 0, 1, "g.csv"), "time grid: time 1 is not finite (g.csv)");
  REQUIRE_THROWS_WITH(TimeGrid::given({0}, 0, 0, "g.csv"), "time grid: needs at least 2 times, got 1 (g.csv)");
  // A solver walks the given grid: ab3 on the times of the cosine grid gives its bits
  LinearField f = damped_rotation();
  FieldSystem sys(f);
  Mat a = start_points(), b = start_points();
  SolveOptions o;
  o.solver = Solver::ab3;
  o.steps = 9;
  o.grid = GridKind::cosine;
  integrate(sys, a, o);
  o.grid = TimeGrid::given(time_grid(GridKind::cosine, 9, 0, 1), 0, 1, "cosine");
  integrate(sys, b, o);
  CHECK(a == b);
}

TEST_CASE("solve: choice tables name every solver, grid and noise", "[solve]") {
  CHECK(choice_names(solvers()) == "euler, midpoint, heun, rk4, ab2, ab3, dopri5, em, meanflow");
  CHECK(choice_names(noises()) == "none, constant, linear, schedule");
  CHECK(choice_names(grids()) == "uniform, quadratic, cosine, power:P, FILE");
  REQUIRE_THROWS_WITH(parse_choice(solvers(), "rk5", "solver"),
                      "unknown solver 'rk5'; one of euler, midpoint, heun, rk4, ab2, ab3, dopri5, em, meanflow");
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

// MeanFlow's steps x_t = x_r + (t - r) u(x_r, r, t) are exact for the exact average velocity,
// whatever the grid: on Growth, u = y (exp(sin 3t - sin 3r) - 1) / (t - r), and 1, 2 and 7
// steps (uniform and quadratic) land on the exact solution to float rounding, one evaluation
// each; a system without an average velocity refuses the solver.
TEST_CASE("meanflow steps are exact for the exact average velocity, one evaluation each", "[solve]") {
  struct Averaged : Growth {
    void average(double r, double t, const Mat& y, Mat& u) override {
      u = float((std::exp(std::sin(3 * t) - std::sin(3 * r)) - 1) / (t - r)) * y;
    }
  };
  for (const GridKind g : {GridKind::uniform, GridKind::quadratic})
    for (int steps : {1, 2, 7}) {
      Averaged sys;
      Mat y = Mat::Constant(1, 3, 0.7f);
      SolveOptions o;
      o.solver = Solver::meanflow;
      o.steps = steps;
      o.grid = g;
      const SolveStats st = integrate(sys, y, o);
      INFO("steps " << steps);
      CHECK(st.nfe == steps);
      CHECK(std::abs(double(y(0, 2)) - Growth::exact(0.7, 0, 1)) < 1e-5);
    }
  Growth plain;
  Mat y = Mat::Ones(1, 2);
  SolveOptions o;
  o.solver = Solver::meanflow;
  CHECK_THROWS_WITH(integrate(plain, y, o), Catch::Contains("no average velocity"));
}
