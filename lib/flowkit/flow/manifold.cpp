// flow: the manifold table and its geometry, column by column in double (the float batch is
// read and written once per point).
#include "flowkit/flow/manifold.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <vector>

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2 * kPi;
// The wrapped-normal source's widths: below, its density's terms underflow; above, the sum runs
// over too many windings (at 100 the torus's is uniform to double precision)
constexpr double kMinSourceSigma = 1e-4, kMaxSourceSigma = 100;

// sin(r) / r, by its series where the quotient loses digits.
double sinc(double r) { return std::abs(r) < 1e-4 ? 1 - r * r / 6 : std::sin(r) / r; }

// Into [0, 2 pi); a float that rounds up to 2 pi becomes 0.
float wrap_angle(double a) {
  double r = a - kTwoPi * std::floor(a / kTwoPi);
  float f = float(r);
  return f >= float(kTwoPi) ? 0.0f : f;
}

// The shortest signed difference y - x on the circle, in (-pi, pi].
double angle_diff(double x, double y) { return std::atan2(std::sin(y - x), std::cos(y - x)); }

// Sphere: log_x(y) and its length for one column, in double.
double sphere_log(const VecD& x, const VecD& y, VecD& u) {
  const double c = x.dot(y);
  u = y - c * x;
  const double s = u.norm();
  if (s == 0) {  // y = x (log 0) or the antipode (no best direction: 0 by convention)
    u.setZero();
    return c > 0 ? 0.0 : kPi;
  }
  const double theta = std::atan2(s, c);  // accurate for small and large angles alike
  u *= theta / s;
  return theta;
}

// log sum_k exp(a_k), one term at a time (no buffer: called once per point and angle)
struct LogSumExp {
  double m = -std::numeric_limits<double>::infinity(), s = 0;
  void add(double a) {
    if (a <= m) {
      s += std::exp(a - m);
    } else {
      s = s * std::exp(m - a) + 1;
      m = a;
    }
  }
  double value() const { return m + std::log(s); }
};

// Windings summed by the wrapped normals: the terms beyond 10 sigma are below 1e-21 of the
// first (sigma <= kMaxSourceSigma bounds their number)
int windings(double sigma) { return 1 + int(std::ceil(10 * sigma / kTwoPi)); }

// Wrapped normal on the circle around mu: log sum_k N(a - mu + 2 pi k; 0, sigma^2).
double wrapped_normal_1d(double a, double mu, double sigma) {
  const int K = windings(sigma);
  const double d = angle_diff(mu, a), norm = -0.5 * std::log(kTwoPi * sigma * sigma);
  LogSumExp acc;
  for (int k = -K; k <= K; ++k) {
    const double e = d + kTwoPi * k;
    acc.add(norm - 0.5 * e * e / (sigma * sigma));
  }
  return acc.value();
}

// Wrapped normal on S^{d-1} around the pole e_d at geodesic distance r: the push-forward of
// N(0, sigma^2 I_m) on the tangent plane (m = d - 1) by exp, summed over every tangent vector
// that lands there: lengths r + 2 pi k (k >= 0) and 2 pi k - r (k >= 1), each divided by the
// volume change of exp, |sin rho / rho|^(m - 1).
double wrapped_normal_sphere(double r, int m, double sigma) {
  const int K = windings(sigma);
  const double norm = -0.5 * m * std::log(kTwoPi * sigma * sigma);
  LogSumExp acc;
  auto add = [&](double rho) {
    const double jac = std::abs(sinc(rho));
    acc.add(norm - 0.5 * rho * rho / (sigma * sigma) - (m - 1) * std::log(jac));
  };
  for (int k = 0; k <= K; ++k) {
    add(r + kTwoPi * k);
    if (k >= 1) add(kTwoPi * k - r);
  }
  return acc.value();
}
}  // namespace

const ChoiceTable<ManifoldKind>& manifolds() {
  static const ChoiceTable<ManifoldKind> t = {
      {"euclidean", ManifoldKind::euclidean, "flat R^d (the default)"},
      {"sphere", ManifoldKind::sphere, "the sphere S^{d-1}: points are unit vectors in R^d"},
      {"torus", ManifoldKind::torus, "the flat torus [0, 2 pi)^d: points are d angles in radians"},
  };
  return t;
}

const ChoiceTable<ManifoldSourceKind>& manifold_sources() {
  static const ChoiceTable<ManifoldSourceKind> t = {
      {"uniform", ManifoldSourceKind::uniform, "uniform on the sphere or torus (the default there)"},
      {"wrapped-normal:S", ManifoldSourceKind::wrapped_normal,
       "N(0, S^2) on the tangent space pushed by exp: around the pole e_d of the sphere, around (pi, .., pi) "
       "on the torus"},
  };
  return t;
}

Manifold Manifold::parse(const std::string& name) {
  Manifold m;
  m.kind = parse_choice(manifolds(), name, "manifold");
  return m;
}

void Manifold::parse_source(const std::string& spec) {
  const std::string wn = "wrapped-normal:";
  if (spec.rfind(wn, 0) == 0) {
    const std::string num = spec.substr(wn.size());
    char* end = nullptr;
    const double s = std::strtod(num.c_str(), &end);
    if (num.empty() || *end != '\0' || !(s >= kMinSourceSigma && s <= kMaxSourceSigma))
      throw usage_error("bad source '" + spec + "': wrapped-normal:S needs a number S in [1e-4, 100]");
    source = ManifoldSourceKind::wrapped_normal;
    sigma = s;
    return;
  }
  if (spec == "wrapped-normal") throw usage_error("source 'wrapped-normal' needs a width, e.g. wrapped-normal:0.5");
  source = parse_choice(manifold_sources(), spec, "source on the " + name());
}

std::string Manifold::source_name() const {
  if (source == ManifoldSourceKind::uniform) return "uniform";
  char buf[64];
  std::snprintf(buf, sizeof buf, "wrapped-normal:%.17g", sigma);
  return buf;
}

void Manifold::to_tangent(const Mat& x, MatRef u) const {
  if (kind != ManifoldKind::sphere) return;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const double c = x.col(j).cast<double>().dot(u.col(j).cast<double>());
    u.col(j) -= float(c) * x.col(j);
  }
}

void Manifold::exp(const Mat& x, const Mat& u, Mat& y) const {
  y.resize(x.rows(), x.cols());
  if (kind == ManifoldKind::euclidean) {
    y = x + u;
    return;
  }
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    if (kind == ManifoldKind::torus) {
      for (Eigen::Index i = 0; i < x.rows(); ++i) y(i, j) = wrap_angle(double(x(i, j)) + double(u(i, j)));
      continue;
    }
    const VecD xj = x.col(j).cast<double>(), uj = u.col(j).cast<double>();
    const double r = uj.norm();
    y.col(j) = (xj * std::cos(r) + uj * sinc(r)).cast<float>();
  }
}

void Manifold::log(const Mat& x, const Mat& y, Mat& u) const {
  u.resize(x.rows(), x.cols());
  if (kind == ManifoldKind::euclidean) {
    u = y - x;
    return;
  }
  VecD uj;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    if (kind == ManifoldKind::torus) {
      for (Eigen::Index i = 0; i < x.rows(); ++i) u(i, j) = float(angle_diff(x(i, j), y(i, j)));
      continue;
    }
    sphere_log(x.col(j).cast<double>(), y.col(j).cast<double>(), uj);
    u.col(j) = uj.cast<float>();
  }
}

Vec Manifold::distance(const Mat& x, const Mat& y) const {
  Vec d(x.cols());
  VecD uj;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const VecD xj = x.col(j).cast<double>(), yj = y.col(j).cast<double>();
    double r = 0;
    switch (kind) {
      case ManifoldKind::euclidean: r = (xj - yj).norm(); break;
      case ManifoldKind::sphere: r = sphere_log(xj, yj, uj); break;
      case ManifoldKind::torus:
        for (Eigen::Index i = 0; i < xj.size(); ++i) r += std::pow(angle_diff(xj[i], yj[i]), 2);
        r = std::sqrt(r);
        break;
    }
    d[j] = float(r);
  }
  return d;
}

MatD Manifold::squared_distances(const Mat& x, const Mat& y) const {
  MatD c(x.cols(), y.cols());
  const MatD xd = x.cast<double>(), yd = y.cast<double>();
  for (Eigen::Index j = 0; j < y.cols(); ++j)
    for (Eigen::Index i = 0; i < x.cols(); ++i) {
      double r2 = 0;
      if (kind == ManifoldKind::sphere) {
        const double c0 = xd.col(i).dot(yd.col(j));
        const double s = (yd.col(j) - c0 * xd.col(i)).norm();
        r2 = std::pow(std::atan2(s, c0), 2);
      } else if (kind == ManifoldKind::torus) {
        for (Eigen::Index k = 0; k < xd.rows(); ++k) r2 += std::pow(angle_diff(xd(k, i), yd(k, j)), 2);
      } else {
        r2 = (xd.col(i) - yd.col(j)).squaredNorm();
      }
      c(i, j) = r2;
    }
  return c;
}

void Manifold::project(MatRef x) const {
  if (kind == ManifoldKind::euclidean) return;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    if (kind == ManifoldKind::torus) {
      for (Eigen::Index i = 0; i < x.rows(); ++i)
        if (std::isfinite(x(i, j))) x(i, j) = wrap_angle(x(i, j));
      continue;
    }
    const double n = x.col(j).cast<double>().norm();
    if (n > 0 && std::isfinite(n)) x.col(j) = (x.col(j).cast<double>() / n).cast<float>();
  }
}

double Manifold::uniform_log_density(int d) const {
  switch (kind) {
    case ManifoldKind::sphere:  // area(S^{d-1}) = 2 pi^{d/2} / Gamma(d/2)
      return -(std::log(2.0) + 0.5 * d * std::log(kPi) - std::lgamma(0.5 * d));
    case ManifoldKind::torus: return -d * std::log(kTwoPi);
    case ManifoldKind::euclidean: break;
  }
  throw Error("euclidean space has no uniform density");
}

void Manifold::geodesic(const Schedule& s, const Mat& x0, const Mat& x1, const Vec& t, Mat& xt, Mat& ut) const {
  xt.resize(x0.rows(), x0.cols());
  ut.resize(x0.rows(), x0.cols());
  VecD L;
  for (Eigen::Index j = 0; j < x0.cols(); ++j) {
    const double k = s.a(t[j]), dk = s.da(t[j]);
    const VecD a = x0.col(j).cast<double>(), b = x1.col(j).cast<double>();
    switch (kind) {
      case ManifoldKind::euclidean:
        xt.col(j) = (a + k * (b - a)).cast<float>();
        ut.col(j) = (dk * (b - a)).cast<float>();
        break;
      case ManifoldKind::torus:
        for (Eigen::Index i = 0; i < a.size(); ++i) {
          const double l = angle_diff(a[i], b[i]);
          xt(i, j) = wrap_angle(a[i] + k * l);
          ut(i, j) = float(dk * l);
        }
        break;
      case ManifoldKind::sphere: {
        // x_t = x0 cos(k theta) + L k sinc(k theta); d/dt = k' (L cos(k theta) - x0 theta sin(k theta))
        const double theta = sphere_log(a, b, L), kt = k * theta;
        xt.col(j) = (a * std::cos(kt) + L * (k * sinc(kt))).cast<float>();
        ut.col(j) = (dk * (L * std::cos(kt) - a * (theta * std::sin(kt)))).cast<float>();
        break;
      }
    }
  }
}

void Manifold::sample_source(Rng& rng, Mat& x) const {
  const Eigen::Index d = x.rows();
  if (kind == ManifoldKind::euclidean) return rng.fill_normal(x);
  if (kind == ManifoldKind::torus) {
    if (source == ManifoldSourceKind::uniform) {
      rng.fill_uniform(x.data(), size_t(x.size()));
      x *= float(kTwoPi);
    } else {
      rng.fill_normal(x);
      x = (x * float(sigma)).array() + float(kPi);
    }
    return project(x);
  }
  rng.fill_normal(x);
  if (source == ManifoldSourceKind::uniform) return project(x);
  // Wrapped normal on the sphere: a tangent vector at the pole e_d (its last coordinate 0),
  // carried onto the sphere by exp
  Mat pole = Mat::Zero(d, x.cols()), u = x * float(sigma), y;
  pole.row(d - 1).setOnes();
  u.row(d - 1).setZero();
  exp(pole, u, y);
  x = y;
  project(x);
}

Vec Manifold::source_log_density(const Mat& x) const {
  const int d = int(x.rows());
  Vec out(x.cols());
  if (source == ManifoldSourceKind::uniform) {
    out.setConstant(float(uniform_log_density(d)));
    return out;
  }
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    double lp = 0;
    if (kind == ManifoldKind::torus) {
      for (int i = 0; i < d; ++i) lp += wrapped_normal_1d(x(i, j), kPi, sigma);
    } else {
      const double c = std::clamp(double(x(d - 1, j)) / x.col(j).cast<double>().norm(), -1.0, 1.0);
      const double s = x.col(j).head(d - 1).cast<double>().norm() / x.col(j).cast<double>().norm();
      lp = wrapped_normal_sphere(std::atan2(s, c), d - 1, sigma);
    }
    out[j] = float(lp);
  }
  return out;
}

void Manifold::require_points(const Mat& x, const std::string& where) const {
  if (kind == ManifoldKind::sphere && x.rows() < 2)
    throw Error("points of dimension " + std::to_string(x.rows()) + " cannot lie on a sphere: S^{d-1} needs d >= 2 (" +
                where + ")");
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    if (!x.col(j).allFinite())
      throw Error("row " + std::to_string(j) + " is not finite (" + where + ")");
    if (kind != ManifoldKind::sphere) continue;
    const double n = x.col(j).cast<double>().norm();
    if (std::abs(n - 1) > kSphereTolerance) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "row %lld has norm %.6g: points on the sphere are unit vectors (within %g) (%s)",
                    (long long)j, n, kSphereTolerance, where.c_str());
      throw Error(buf);
    }
  }
}

}  // namespace flowkit
