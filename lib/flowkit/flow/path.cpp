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
      {"poly:k", ScheduleKind::poly, "a = t^k, b = 1 - t^k, k > 0 (e.g. poly:2)"},
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
    if (!(s.k > 0) || !std::isfinite(s.k))
      throw usage_error("bad schedule '" + spec + "': poly:k needs k > 0");
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
  const double tc = clamp_t(t), a = s.a(tc), b = s.b(tc), da = s.da(tc), db = s.db(tc);
  if (p == Predict::noise) {  // x1hat = (x - b eps) / a; v = a' x1hat + b' eps
    v = float(da / a) * x + float(db - da * b / a) * pred;
  } else {  // eps = (x - a x1hat) / b; v = a' x1hat + b' eps
    v = float(db / b) * x + float(da - db * a / b) * pred;
  }
}

void prediction_to_score(Predict p, const Schedule& s, double t, const Mat& x, const Mat& pred,
                         Mat& score) {
  const double tc = clamp_t(t), a = s.a(tc), b = s.b(tc);
  switch (p) {
    case Predict::noise: score = float(-1.0 / b) * pred; return;  // s = -eps / b
    case Predict::data:  // eps = (x - a x1hat) / b; s = -eps / b
      score = float(-1.0 / (b * b)) * x + float(a / (b * b)) * pred;
      return;
    case Predict::velocity: velocity_to_score(s, t, x, pred, score); return;
  }
}

void velocity_to_score(const Schedule& s, double t, const Mat& x, const Mat& v, Mat& score) {
  const double tc = clamp_t(t), a = s.a(tc), b = s.b(tc), da = s.da(tc), db = s.db(tc);
  const double den = da * b * b - a * b * db;
  score = float(a / den) * v - float(da / den) * x;
}

}  // namespace flowkit
