#include "flowkit/flow/path.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;
double clamp_t(double t) { return std::clamp(t, kTMin, kTMax); }
}  // namespace

const ChoiceTable<ScheduleKind>& schedules() {
  static const ChoiceTable<ScheduleKind> t = {
      {"linear", ScheduleKind::linear, "a = t, b = 1 - t (conditional OT, rectified flow)"},
      {"cosine", ScheduleKind::cosine, "a = sin(pi t / 2), b = cos(pi t / 2) (variance preserving)"},
      {"poly:k", ScheduleKind::poly, "a = t^k, b = 1 - t^k, 0.1 <= k <= 100 (e.g. poly:2)"},
  };
  return t;
}

const ChoiceTable<Predict>& predictions() {
  static const ChoiceTable<Predict> t = {
      {"velocity", Predict::velocity, "the velocity a' x1 + b' x0 (flow matching)"},
      {"noise", Predict::noise, "the noise x0 (epsilon prediction, as in DDPM)"},
      {"data", Predict::data, "the data x1 (x1 prediction)"},
  };
  return t;
}

Schedule Schedule::parse(const std::string& spec) {
  Schedule s;
  if (spec.rfind("poly:", 0) == 0) {
    s.kind = ScheduleKind::poly;
    const std::string num = spec.substr(5);
    try {
      size_t used = 0;
      s.k = std::stod(num, &used);
      if (used != num.size()) throw std::invalid_argument(num);
    } catch (const std::exception&) {
      throw usage_error("bad schedule '" + spec + "': poly:k needs a number k > 0");
    }
    // Beyond these the schedule is a step at one end (t^1e300 is 0 until t = 1, t^1e-300 is 1
    // from t = 1e-308 on): its scores and the ELBO's rates are then nan or 0/0
    if (!(s.k >= kMinPolyK && s.k <= kMaxPolyK))
      throw usage_error("bad schedule '" + spec + "': poly:k needs 0.1 <= k <= 100");
    return s;
  }
  if (spec == "poly") throw usage_error("schedule 'poly' needs an exponent, e.g. poly:2");
  s.kind = parse_choice(schedules(), spec, "schedule");
  return s;
}

std::string Schedule::name() const {
  if (kind != ScheduleKind::poly) return choice_name(schedules(), kind);
  char buf[64];
  std::snprintf(buf, sizeof buf, "poly:%g", k);
  return buf;
}

double Schedule::a(double t) const {
  switch (kind) {
    case ScheduleKind::linear: return t;
    case ScheduleKind::cosine: return std::sin(kPi * t / 2);
    case ScheduleKind::poly: return std::pow(t, k);
  }
  return 0;
}

double Schedule::b(double t) const {
  switch (kind) {
    case ScheduleKind::linear: return 1 - t;
    case ScheduleKind::cosine: return std::cos(kPi * t / 2);
    case ScheduleKind::poly: return 1 - std::pow(t, k);
  }
  return 0;
}

double Schedule::da(double t) const {
  switch (kind) {
    case ScheduleKind::linear: return 1;
    case ScheduleKind::cosine: return kPi / 2 * std::cos(kPi * t / 2);
    case ScheduleKind::poly: return t == 0 ? (k == 1 ? 1 : (k < 1 ? INFINITY : 0)) : k * std::pow(t, k - 1);
  }
  return 0;
}

double Schedule::db(double t) const {
  if (kind == ScheduleKind::cosine) return -kPi / 2 * std::sin(kPi * t / 2);
  return -da(t);
}

double Schedule::time_of_a(double av) const {
  av = std::clamp(av, 0.0, 1.0);
  switch (kind) {
    case ScheduleKind::linear: return av;
    case ScheduleKind::cosine: return 2 / kPi * std::asin(av);
    case ScheduleKind::poly: return std::pow(av, 1 / k);
  }
  return av;
}

double Schedule::time_of_b(double bv) const {
  bv = std::clamp(bv, 0.0, 1.0);
  switch (kind) {
    case ScheduleKind::linear: return 1 - bv;
    case ScheduleKind::cosine: return 2 / kPi * std::acos(bv);
    case ScheduleKind::poly: return std::pow(1 - bv, 1 / k);
  }
  return 1 - bv;
}

double conversion_time(Predict p, const Schedule& s, double t) {
  switch (p) {
    case Predict::velocity: return t;
    case Predict::noise: return std::clamp(std::max(t, s.time_of_a(kConvertMin)), kTMin, kTMax);
    case Predict::data: return std::clamp(std::min(t, s.time_of_b(kConvertMin)), kTMin, kTMax);
  }
  return t;
}

void conditional_target(Predict p, const Schedule& s, const Mat& x0, const Mat& x1,
                        const Eigen::VectorXf& t, Mat& target) {
  switch (p) {
    case Predict::noise: target = x0; return;
    case Predict::data: target = x1; return;
    case Predict::velocity:
      target.resize(x0.rows(), x0.cols());
      for (Eigen::Index j = 0; j < x0.cols(); ++j) {
        const double tj = t[j];
        target.col(j) = float(s.da(tj)) * x1.col(j) + float(s.db(tj)) * x0.col(j);
      }
      return;
  }
}

void prediction_to_velocity(Predict p, const Schedule& s, double t, const Mat& x, const Mat& pred,
                            Mat& v) {
  if (p == Predict::velocity) {
    if (&v != &pred) v = pred;
    return;
  }
  const double tc = clamp_t(t), a = s.a(tc), b = s.b(tc), da = s.da(tc), db = s.db(tc), B2 = s.noise_var(tc);
  if (p == Predict::noise) {  // v = (a'/a) x + (b' - a' B^2 / (a b)) eps
    v = float(da / a) * x + float(db - da * B2 / (a * b)) * pred;
  } else {  // v = a' x1hat + (b b' / B^2) (x - a x1hat)
    v = float(b * db / B2) * x + float(da - a * b * db / B2) * pred;
  }
}

void prediction_to_score(Predict p, const Schedule& s, double t, const Mat& x, const Mat& pred,
                         Mat& score) {
  const double tc = clamp_t(t), a = s.a(tc), b = s.b(tc), B2 = s.noise_var(tc);
  switch (p) {
    case Predict::noise: score = float(-1.0 / b) * pred; return;  // s = -eps / b
    case Predict::data:  // s = (a x1hat - x) / B^2
      score = float(-1.0 / B2) * x + float(a / B2) * pred;
      return;
    case Predict::velocity: velocity_to_score(s, t, x, pred, score); return;
  }
}

void velocity_to_score(const Schedule& s, double t, const Mat& x, const Mat& v, Mat& score) {
  const double tc = clamp_t(t), a = s.a(tc), b = s.b(tc), da = s.da(tc), db = s.db(tc);
  const double den = da * s.noise_var(tc) - a * b * db;
  score = float(a / den) * v - float(da / den) * x;
}

}  // namespace flowkit
