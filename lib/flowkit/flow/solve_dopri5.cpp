// solve: adaptive Dormand-Prince 5(4) with FSAL and PI step-size control (Hairer, Norsett and
// Wanner, Solving ODEs I, II.4 and IV.2), on a float batch with double-precision error norms.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "flowkit/flow/solve_detail.hpp"

namespace flowkit::detail {
namespace {

// Butcher tableau; the last stage is the 5th-order solution (FSAL).
constexpr double c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9;
constexpr double a21 = 1.0 / 5;
constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                 a54 = -212.0 / 729;
constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                 a65 = -5103.0 / 18656;
constexpr double a71 = 35.0 / 384, a73 = 500.0 / 1113, a74 = 125.0 / 192, a75 = -2187.0 / 6784,
                 a76 = 11.0 / 84;
// Error weights: 5th-order minus embedded 4th-order solution
constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                 e6 = 22.0 / 525, e7 = -1.0 / 40;

// Step-size controller constants (Hairer's DOPRI5 defaults)
constexpr double kSafe = 0.9, kFacMin = 0.2, kFacMax = 10.0, kBeta = 0.04;
constexpr double kExpo = 0.2 - 0.75 * kBeta;
// A live point whose stages are still not finite at a step this small (times the interval)
// has diverged: it is frozen, and the others go on at the same step.
constexpr double kFreezeStep = 1e-6;

// Root mean square of e / (atol + rtol max(|y|, |z|)) over the entries of the live columns
// (those where y is finite); a live column whose error or new state is not finite is left out
// and, when `bad` is given, listed there. A finite error far beyond the tolerance (an rtol of
// 1e-300) may make the norm +inf: that step is rejected, not the point frozen as diverged.
double error_norm(const Mat& e, const Mat& y, const Mat& z, double rtol, double atol,
                  std::vector<Eigen::Index>* bad = nullptr) {
  double sum = 0;
  Eigen::Index live = 0;
  for (Eigen::Index j = 0; j < e.cols(); ++j) {
    if (diverged_column(y, j)) continue;
    if (!e.col(j).allFinite() || !z.col(j).allFinite()) {
      if (bad) bad->push_back(j);
      continue;
    }
    for (Eigen::Index i = 0; i < e.rows(); ++i) {
      const double sk = atol + rtol * std::max(std::abs(double(y(i, j))), std::abs(double(z(i, j))));
      const double r = e(i, j) / sk;
      sum += r * r;
    }
    ++live;
  }
  return std::sqrt(sum / double(std::max<Eigen::Index>(1, live * e.rows())));
}

std::string at(double t, double h) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "at t = %.6g, step %.3g", t, h);
  return buf;
}

class Dopri5 {
 public:
  Dopri5(OdeSystem& sys, const SolveOptions& o, Eigen::Index rows, Eigen::Index cols)
      : sys_(sys), o_(o) {
    for (Mat* m : {&k1_, &k2_, &k3_, &k4_, &k5_, &k6_, &k7_, &tmp_, &y5_}) m->resize(rows, cols);
  }
  SolveStats run(Mat& y, const Observer& obs);

 private:
  void eval(double t, const Mat& y, Mat& dy) {
    sys_.eval(t, y, dy);
    ++st_.nfe;
  }
  double initial_step(const Mat& y, double dir);
  double attempt(double t, double h, const Mat& y);  // fills y5_, k7_ and bad_; returns the error norm

  OdeSystem& sys_;
  const SolveOptions& o_;
  SolveStats st_;
  Mat k1_, k2_, k3_, k4_, k5_, k6_, k7_, tmp_, y5_;
  std::vector<Eigen::Index> bad_;  // live columns whose last attempt was not finite
};

// Hairer's starting step: from the sizes of y, f and an estimate of the second derivative.
double Dopri5::initial_step(const Mat& y, double dir) {
  const double hmax = std::abs(o_.t1 - o_.t0);
  const Mat zero = Mat::Zero(y.rows(), y.cols());
  const double dnf = error_norm(k1_, zero, y, o_.rtol, o_.atol);
  const double dny = error_norm(y, zero, y, o_.rtol, o_.atol);
  double h = (dnf <= 1e-5 || dny <= 1e-5) ? 1e-6 : 0.01 * dny / dnf;
  if (!std::isfinite(h)) h = 1e-6;  // both norms +inf: tolerances far below float's resolution
  h = std::min(h, hmax);
  tmp_ = y + float(dir * h) * k1_;
  eval(o_.t0 + dir * h, tmp_, k2_);
  k3_ = k2_ - k1_;
  const double der2 = error_norm(k3_, zero, y, o_.rtol, o_.atol) / h;
  const double der12 = std::max(der2, dnf);
  const double h1 = der12 <= 1e-15 ? std::max(1e-6, h * 1e-3) : std::pow(0.01 / der12, 0.2);
  return std::min({100 * h, h1, hmax});
}

double Dopri5::attempt(double t, double h, const Mat& y) {
  const auto f = [h](double a) { return float(h * a); };
  tmp_ = y + f(a21) * k1_;
  eval(t + c2 * h, tmp_, k2_);
  tmp_ = y + f(a31) * k1_ + f(a32) * k2_;
  eval(t + c3 * h, tmp_, k3_);
  tmp_ = y + f(a41) * k1_ + f(a42) * k2_ + f(a43) * k3_;
  eval(t + c4 * h, tmp_, k4_);
  tmp_ = y + f(a51) * k1_ + f(a52) * k2_ + f(a53) * k3_ + f(a54) * k4_;
  eval(t + c5 * h, tmp_, k5_);
  tmp_ = y + f(a61) * k1_ + f(a62) * k2_ + f(a63) * k3_ + f(a64) * k4_ + f(a65) * k5_;
  eval(t + h, tmp_, k6_);
  y5_ = y + f(a71) * k1_ + f(a73) * k3_ + f(a74) * k4_ + f(a75) * k5_ + f(a76) * k6_;
  eval(t + h, y5_, k7_);
  tmp_ = f(e1) * k1_ + f(e3) * k3_ + f(e4) * k4_ + f(e5) * k5_ + f(e6) * k6_ + f(e7) * k7_;
  bad_.clear();
  return error_norm(tmp_, y, y5_, o_.rtol, o_.atol, &bad_);
}

SolveStats Dopri5::run(Mat& y, const Observer& obs) {
  double t = o_.t0;
  st_.diverged = freeze_diverged(y);
  if (obs) obs(t, y);
  if (o_.t1 == o_.t0) return st_;
  const double dir = o_.t1 > o_.t0 ? 1 : -1, span = std::abs(o_.t1 - o_.t0);
  eval(t, y, k1_);
  double h = initial_step(y, dir), err_old = 1e-4;
  bool last_rejected = false;
  for (;;) {
    // Clip the step to the end of the interval
    const bool last = dir * (t + dir * h - o_.t1) >= -1e-12 * span;
    if (last) h = std::abs(o_.t1 - t);
    if (st_.steps + st_.rejected >= o_.max_steps)
      throw Error("dopri5 reached its cap of " + std::to_string(o_.max_steps) + " steps " +
                  at(t, h) + "; loosen --rtol/--atol or raise --max-steps");
    if (h < 1e-14 * std::max(1.0, std::abs(t)))
      throw Error("dopri5 step size underflow " + at(t, h) + " (is the field finite? can --rtol " +
                  number(o_.rtol) + " and --atol " + number(o_.atol) + " be met in float?)");
    const double err = attempt(t, dir * h, y);
    if (!bad_.empty()) {  // a live point's stages are not finite: retry much smaller, then freeze it
      if (h > kFreezeStep * span) {
        h *= kFacMin;
        ++st_.rejected;
        last_rejected = true;
        continue;
      }
      for (const Eigen::Index j : bad_) y.col(j).setConstant(INFINITY);
      st_.diverged += int64_t(bad_.size());
      continue;
    }
    const double fac11 = std::pow(err, kExpo);
    if (err <= 1) {
      // Accept: PI controller, FSAL
      double fac = std::clamp(fac11 / std::pow(err_old, kBeta) / kSafe, 1 / kFacMax, 1 / kFacMin);
      double hnew = h / fac;
      if (last_rejected) hnew = std::min(hnew, h);
      err_old = std::max(err, 1e-4);
      t = last ? o_.t1 : t + dir * h;
      y.swap(y5_);
      k1_.swap(k7_);
      st_.diverged = freeze_diverged(y);
      ++st_.steps;
      last_rejected = false;
      if (obs) obs(t, y);
      if (last) return st_;
      h = hnew;
    } else {
      h /= std::min(1 / kFacMin, fac11 / kSafe);
      ++st_.rejected;
      last_rejected = true;
    }
  }
}

}  // namespace

SolveStats integrate_dopri5(OdeSystem& sys, Mat& y, const SolveOptions& opt, const Observer& obs) {
  if (!(opt.rtol > 0) || !(opt.atol > 0))
    throw usage_error("--rtol and --atol must be positive");
  Dopri5 d(sys, opt, y.rows(), y.cols());
  return d.run(y, obs);
}

}  // namespace flowkit::detail
