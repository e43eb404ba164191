// path: Gaussian probability paths x_t = a(t) x1 + b(t) x0, their schedules, the
// conditional flow-matching targets, and the conversions between what a network may
// predict (velocity, noise, data) and velocity or score. Formulas: doc/MATH.md.
#pragma once
#include <string>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"

namespace flowkit {

enum class ScheduleKind { linear, cosine, poly };
constexpr double kMinPolyK = 0.1, kMaxPolyK = 100;  // the exponents poly:k takes (below 0.1, t^k
// moves where float times are subnormal: poly:0.01 reaches no kappa in (0, 0.36) at t > 0)
const ChoiceTable<ScheduleKind>& schedules();

struct Schedule {
  ScheduleKind kind = ScheduleKind::linear;
  double k = 1.0;          // exponent of poly:k
  double sigma_min = 0.0;  // blur of the path (--sigma-min): x_t = a x1 + b x0 + sigma_min eps

  // "linear", "cosine", "poly:2" (kMinPolyK <= k <= kMaxPolyK); a usage error otherwise.
  static Schedule parse(const std::string& spec);
  std::string name() const;

  double a(double t) const;
  double b(double t) const;
  double da(double t) const;  // a'(t)
  double db(double t) const;  // b'(t)
  // The variance of x_t around a x1: B^2 = b^2 + sigma_min^2 (doc/MATH.md).
  double noise_var(double t) const { return b(t) * b(t) + sigma_min * sigma_min; }
  // The times where a(t) = a (or b(t) = b), for a, b in [0, 1].
  double time_of_a(double a) const;
  double time_of_b(double b) const;
};

enum class Predict { velocity, noise, data };
const ChoiceTable<Predict>& predictions();

// Times where the conversions are safe: a(t) > 0 and b(t) > 0. Solvers clamp into here
// before any conversion that divides by a or b (t_min for data prediction, t_max for noise
// and for the score of a velocity field).
constexpr double kTMin = 1e-4;
constexpr double kTMax = 1.0 - 1e-4;

// A noise prediction becomes a velocity through x1hat = (x - b eps) / a, which multiplies the
// network's error by 1/a: it is evaluated where a(t) >= kConvertMin, and a data prediction
// (eps = (x - a x1hat) / b) where b(t) >= kConvertMin. The time both the network and the
// conversion to velocity see: t itself for a velocity, else t moved into that window.
constexpr double kConvertMin = 0.1;
double conversion_time(Predict p, const Schedule& s, double t);

// The conditional regression target for a pair (x0, x1) at time t (one column each):
// velocity a' x1 + b' x0, noise x0, or data x1.
void conditional_target(Predict p, const Schedule& s, const Mat& x0, const Mat& x1,
                        const Eigen::VectorXf& t, Mat& target);

// Converts a network prediction at (x, t) into the velocity (in place allowed: out may alias
// pred). Noise and data predictions clamp t into [kTMin, kTMax] for the division; a learned
// field asks its network and this conversion at conversion_time(p, s, t).
void prediction_to_velocity(Predict p, const Schedule& s, double t, const Mat& x, const Mat& pred,
                            Mat& v);
// Converts a prediction into the score grad log p_t(x) (t clamped into [kTMin, kTMax]).
void prediction_to_score(Predict p, const Schedule& s, double t, const Mat& x, const Mat& pred,
                         Mat& score);
// Score from velocity: s = (a v - a' x) / (a' B^2 - a b b') with B^2 = b^2 + sigma_min^2, t
// clamped into [kTMin, kTMax].
void velocity_to_score(const Schedule& s, double t, const Mat& x, const Mat& v, Mat& score);

}  // namespace flowkit
