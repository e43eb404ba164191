// solve: ODE steppers (euler, midpoint, heun, rk4, ab2, ab3, dopri5) over any first-order system
// on a batch, MeanFlow's average-velocity steps, and Euler-Maruyama for the SDE of a field.
// Never touches files or flags.
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/flow/path.hpp"

namespace flowkit {

enum class Solver { euler, midpoint, heun, rk4, ab2, ab3, dopri5, em, meanflow };
const ChoiceTable<Solver>& solvers();
// dopri5 chooses its own steps; the others walk a time grid.
inline bool adaptive(Solver s) { return s == Solver::dopri5; }

// quadratic/cosine/power:P (P > 1): denser near t = 1; times: given one by one (a file).
enum class GridKind { uniform, quadratic, cosine, power, times };
const ChoiceTable<GridKind>& grids();

// A time grid: a kind from the table, with its exponent (power) or its times (times).
struct TimeGrid {
  GridKind kind = GridKind::uniform;
  double power = 2;           // power:P, t = 1 - (1 - s)^P for s = i / n in [0, 1]
  std::vector<double> times;  // times: every time, t0 first and t1 last
  TimeGrid(GridKind k = GridKind::uniform) : kind(k) {}  // NOLINT: a kind is a grid
  static TimeGrid power_law(double p);
  // Checks the times: finite, strictly monotone, from t0 to t1; `where` names them in errors.
  static TimeGrid given(std::vector<double> times, double t0, double t1, const std::string& where);
  std::string name() const;  // "cosine", "power:1.5", "times (12)"
};
// "power:P" or a name of the table (throws a usage error naming the choices otherwise); a
// file's times are read by the caller and checked by TimeGrid::given.
TimeGrid parse_grid(const std::string& spec);
bool is_grid_name(const std::string& spec);  // a table name or power:...

// The most fixed steps a sampler takes: a million (the grid alone is then 8 MB; a typo's 1e9
// would ask for gigabytes and hours)
constexpr int kMaxSteps = 1000000;
// A usage error unless 1 <= steps <= kMaxSteps
void check_steps(int64_t steps);
// n + 1 times from t0 to t1 (either direction); non-uniform grids put their small steps at the
// larger of t0 and t1 (near the data, where the field bends most). A `times` grid returns its
// own times (n must then be their count - 1).
std::vector<double> time_grid(const TimeGrid& g, int steps, double t0, double t1);

// dy/dt = f(t, y) on a state of any shape (rows x n). The density module integrates
// [x; running divergence integral] through the same steppers.
class OdeSystem {
 public:
  virtual ~OdeSystem() = default;
  virtual void eval(double t, const Mat& y, Mat& dy) = 0;
  // The average of dy/dt over [r, t] along the solution through y at r (a MeanFlow model's
  // u(y, r, t)); systems without one throw.
  virtual void average(double r, double t, const Mat& y, Mat& u);
  // Puts a state back onto the manifold the system lives on (flat: nothing to do). The
  // fixed-step solvers call it on every stage's state and after every step.
  virtual void retract(Mat&) {}
};

// The ODE dx/dt = u(x, t) of a field.
class FieldSystem : public OdeSystem {
 public:
  explicit FieldSystem(Field& f) : field_(f) {}
  void eval(double t, const Mat& y, Mat& dy) override { field_.velocity(y, t, dy); }
  void average(double r, double t, const Mat& y, Mat& u) override { field_.average_velocity(y, r, t, u); }
  void retract(Mat& y) override { field_.manifold().project(y); }

 private:
  Field& field_;
};

struct SolveOptions {
  Solver solver = Solver::euler;
  int steps = 100;
  double t0 = 0.0, t1 = 1.0;
  TimeGrid grid;
  double rtol = 1e-5, atol = 1e-5;  // dopri5
  int64_t max_steps = 100000;       // dopri5: a clear error when reached
};

struct SolveStats {
  int64_t nfe = 0;       // function evaluations
  int64_t steps = 0;     // accepted steps
  int64_t rejected = 0;  // dopri5
  int64_t diverged = 0;  // points frozen at +inf (below)
};

// A point whose state turns non-finite or leaves [-kDiverged, kDiverged] has diverged (its
// flow is leaving the float range: |x|^2 / 2 alone would be 5e29). Every ODE solver then sets
// its column to +inf and keeps it there; dopri5 leaves it out of step-size control, so one
// diverging point cannot stall a batch. The other columns are untouched.
constexpr float kDiverged = 1e15f;
inline bool diverged_column(const Mat& y, Eigen::Index j) { return !std::isfinite(y(0, j)); }

// Called at the start and after every accepted step with the current time and state.
using Observer = std::function<void(double t, const Mat& y)>;

// On a curved manifold a flow is solved by the fixed-step solvers, each stage x + h proj_x(v)
// projected back (sphere: normalized; torus: wrapped); a usage error for dopri5 and em.
void require_manifold_solver(const Manifold& m, Solver s);

// Integrates y from t0 to t1 in place with an ODE solver (not em).
SolveStats integrate(OdeSystem& sys, Mat& y, const SolveOptions& opt, const Observer& obs = {});

// Diffusion coefficient g(t) of the SDE.
enum class NoiseKind { none, constant, linear, schedule };
const ChoiceTable<NoiseKind>& noises();

struct SdeOptions {
  NoiseKind noise = NoiseKind::linear;
  double sigma = 1.0;
  bool score_drift = true;  // drift v + g^2/2 s (keeps the ODE's marginals); false: plain v
  Schedule schedule;        // for g = sigma b(t)
  int corrector_steps = 0;  // Langevin corrector steps after each step inside (0, 1)
  double corrector_eps = 0.01;
};
double diffusion(const SdeOptions& o, double t);

// `steps` Langevin steps at a fixed time t in [kTMin, kTMax]: x += eps s(x, t) + sqrt(2 eps) xi,
// xi ~ N(0, I) from rng; s and xi are workspaces. They leave p_t invariant (for small eps) and
// pull other laws towards it. Returns the score evaluations.
int64_t langevin_correct(Field& f, Mat& x, double t, int steps, double eps, Rng& rng, Mat& s, Mat& xi);

// Euler-Maruyama: x += h [v + g^2/2 s] + g sqrt(h) xi on the grid of opt. g = 0 gives
// exactly the Euler ODE sampler. The corrector runs after each step that ends inside
// [kTMin, kTMax], never after the last one (at t = 1 the score of a learned field is not
// defined). Backwards in time (t1 < t0) the score term changes sign,
// h [v - g^2/2 s] with h < 0, which keeps the same marginals. The score is evaluated at t
// clamped into [kTMin, kTMax]; nfe counts velocity and score evaluations.
SolveStats sample_sde(Field& f, Mat& x, const SolveOptions& opt, const SdeOptions& sde, Rng& rng,
                      const Observer& obs = {});

}  // namespace flowkit
