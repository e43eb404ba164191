// solve: Euler-Maruyama for dX = [v + g^2/2 s] dt + g dW (or the plain drift v), with an
// optional Langevin corrector; the diffusion schedules g(t).
#include <algorithm>
#include <cmath>

#include "flowkit/flow/solve.hpp"

namespace flowkit {

const ChoiceTable<NoiseKind>& noises() {
  static const ChoiceTable<NoiseKind> t = {
      {"none", NoiseKind::none, "g = 0: exactly the Euler ODE sampler"},
      {"constant", NoiseKind::constant, "g = sigma, switched off from t = 1 - 1e-4 on"},
      {"linear", NoiseKind::linear, "g = sigma (1 - t): vanishes at the data"},
      {"schedule", NoiseKind::schedule, "g = sigma b(t), with the model's schedule b"},
  };
  return t;
}

double diffusion(const SdeOptions& o, double t) {
  switch (o.noise) {
    case NoiseKind::none: return 0;
    case NoiseKind::constant: return t < kTMax ? o.sigma : 0;
    case NoiseKind::linear: return o.sigma * std::max(0.0, 1 - t);
    case NoiseKind::schedule: return o.sigma * std::max(0.0, o.schedule.b(std::clamp(t, 0.0, 1.0)));
  }
  return 0;
}

int64_t langevin_correct(Field& f, Mat& x, double t, int steps, double eps, Rng& rng, Mat& s, Mat& xi) {
  if (t < kTMin || t > kTMax)
    throw Error("the Langevin corrector runs at t in [1e-4, 1 - 1e-4], where the score is defined");
  xi.resize(x.rows(), x.cols());
  for (int i = 0; i < steps; ++i) {
    f.score(x, t, s);
    rng.fill_normal(xi);
    x.noalias() += float(eps) * s;
    x.noalias() += float(std::sqrt(2 * eps)) * xi;
  }
  return steps;
}

namespace {

// Workspaces and counters of one Euler-Maruyama run.
class EulerMaruyama {
 public:
  EulerMaruyama(Field& f, const SdeOptions& o, Rng& rng, Eigen::Index rows, Eigen::Index cols)
      : f_(f), o_(o), rng_(rng), v_(rows, cols), s_(rows, cols), xi_(rows, cols) {}

  // x <- x + h [v + sign(h) g^2/2 s] + g sqrt(|h|) xi, from time t.
  void step(Mat& x, double t, double h) {
    const double g = diffusion(o_, t);
    if (g > 0 && o_.score_drift) {
      st.nfe += f_.velocity_score(x, t, std::clamp(t, kTMin, kTMax), v_, s_);
    } else {
      f_.velocity(x, t, v_);
      ++st.nfe;
    }
    if (g > 0) {
      if (o_.score_drift) v_.noalias() += float((h > 0 ? 0.5 : -0.5) * g * g) * s_;
      rng_.fill_normal(xi_);
      x.noalias() += float(h) * v_;
      x.noalias() += float(g * std::sqrt(std::abs(h))) * xi_;
    } else {
      x.noalias() += float(h) * v_;  // the Euler step, bit for bit
    }
  }

  // Langevin steps at fixed t, only where every score is defined (never at t = 0 or 1).
  void correct(Mat& x, double t) {
    if (o_.corrector_steps == 0 || t < kTMin || t > kTMax) return;
    st.nfe += langevin_correct(f_, x, t, o_.corrector_steps, o_.corrector_eps, rng_, s_, xi_);
  }

  SolveStats st;

 private:
  Field& f_;
  const SdeOptions& o_;
  Rng& rng_;
  Mat v_, s_, xi_;
};

// Usage errors for options the field or the values cannot support.
void check_sde(const Field& f, const SdeOptions& o) {
  if (!(o.sigma >= 0) || !std::isfinite(o.sigma))
    throw usage_error("--sigma must be a finite number >= 0, got " + std::to_string(o.sigma));
  const bool noisy = o.noise != NoiseKind::none && o.sigma > 0;
  if (noisy && o.score_drift && !f.has_score())
    throw usage_error("the score drift v + g^2/2 s needs a score, and this field (" + f.describe() +
                      ") has none; use --drift plain");
  if (o.corrector_steps < 0 || o.corrector_steps > 1000) throw usage_error("--corrector-steps must be 0..1000");
  if (o.corrector_steps > 0) {
    if (!f.has_score())
      throw usage_error("the Langevin corrector needs a score, and this field (" + f.describe() +
                        ") has none");
    if (!(o.corrector_eps > 0)) throw usage_error("--corrector-eps must be positive");
  }
}

}  // namespace

SolveStats sample_sde(Field& f, Mat& x, const SolveOptions& opt, const SdeOptions& sde, Rng& rng,
                      const Observer& obs) {
  check_sde(f, sde);
  const std::vector<double> ts = time_grid(opt.grid, opt.steps, opt.t0, opt.t1);
  EulerMaruyama em(f, sde, rng, x.rows(), x.cols());
  if (obs) obs(ts[0], x);
  for (size_t i = 0; i + 1 < ts.size(); ++i) {
    em.step(x, ts[i], ts[i + 1] - ts[i]);
    em.correct(x, ts[i + 1]);
    ++em.st.steps;
    if (obs) obs(ts[i + 1], x);
  }
  return em.st;
}

}  // namespace flowkit
