// data: mixtures on curved spaces: von Mises-Fisher components on the sphere S^2 and products
// of von Mises laws on the torus [0, 2 pi)^d (sampling, exact log density). Their specs are
// the Gaussian mixture's with "kappas" (concentrations) in place of "vars".
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "flowkit/data/data.hpp"
#include "flowkit/io/json_text.hpp"

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;

// log I0(k), the modified Bessel function: its large-k expansion where I0 overflows.
double log_bessel_i0(double k) {
  if (k < 500) return std::log(std::cyl_bessel_i(0.0, k));
  return k - 0.5 * std::log(2 * kPi * k) + std::log1p(1 / (8 * k));
}

// One von Mises draw around 0 with concentration k (Best and Fisher, 1979).
double von_mises(double k, Rng& rng) {
  if (k < 1e-8) return 2 * kPi * rng.uniform() - kPi;
  // rho = (tau - sqrt(2 tau)) / (2 k) without its cancellation (which gave rho = 0, r = inf and
  // an endless loop for k just above 1e-8): tau - sqrt(2 tau) = tau (s - 1) / (tau + sqrt(2 tau))
  // with s - 1 = 4 k^2 / (s + 1)
  const double s = std::sqrt(1 + 4 * k * k), tau = 1 + s;
  const double rho = 2 * k * tau / ((s + 1) * (tau + std::sqrt(2 * tau))), r = (1 + rho * rho) / (2 * rho);
  for (;;) {
    const double z = std::cos(kPi * rng.uniform()), f = (1 + r * z) / (r + z), c = k * (r - f);
    const double u2 = rng.uniform();
    if (c * (2 - c) - u2 > 0 || std::log(c / u2) + 1 - c >= 0) return rng.uniform() < 0.5 ? -std::acos(f) : std::acos(f);
  }
}

// One vMF draw on S^2 around the unit vector mu (Wood, 1994, closed form for d = 3).
VecD vmf_s2(const VecD& mu, double k, Rng& rng) {
  const double u = rng.uniform();
  // w = 1 + log(u + (1 - u) e^{-2k}) / k, by log1p and expm1: exp(-2k) rounds to 1 for k below
  // about 1e-16, and every draw was the mean itself; at most -1 (u = 0 at a large k)
  const double w = std::max(-1.0, 1 + std::log1p((1 - u) * std::expm1(-2 * k)) / k);
  // an orthonormal pair spanning the tangent plane at mu
  VecD a = std::abs(mu[0]) < 0.9 ? VecD::Unit(3, 0) : VecD::Unit(3, 1);
  a -= a.dot(mu) * mu;
  a.normalize();
  VecD b(3);  // mu x a
  b << mu[1] * a[2] - mu[2] * a[1], mu[2] * a[0] - mu[0] * a[2], mu[0] * a[1] - mu[1] * a[0];
  const double phi = 2 * kPi * rng.uniform(), s = std::sqrt(std::max(0.0, 1 - w * w));
  return w * mu + s * (std::cos(phi) * a + std::sin(phi) * b);
}

constexpr double kMaxKappa = 1e12;

double wrap(double a) { return a - 2 * kPi * std::floor(a / (2 * kPi)); }
}  // namespace

Mixture parse_angular_mixture(const std::string& text, bool sphere, const std::string& where) {
  nlohmann::json j = parse_json(text, where);
  const char* shape = sphere ? "{\"weights\": [...], \"means\": [[unit vectors in R^3]], \"kappas\": [k, ...]}"
                             : "{\"weights\": [...], \"means\": [[angles]], \"kappas\": [[k per angle], ...]}";
  if (!j.is_object() || !j.contains("means") || !j.contains("kappas") || j.contains("vars"))
    throw Error(std::string("a ") + (sphere ? "vmf" : "vonmises") + " spec is an object " + shape + " (" + where + ")");
  j["vars"] = j["kappas"];  // the same checks: one positive number (or one per coordinate) per mean
  j.erase("kappas");
  Mixture m;
  try {
    m = parse_mixture(j.dump(), where);
  } catch (const Error& e) {  // the mixture's words for a concentration's faults
    std::string msg = e.what();
    for (auto [from, to] : {std::pair<std::string, std::string>{"\"vars\"", "\"kappas\""},
                            {"variances", "concentrations"}, {"mixture ", sphere ? "vmf " : "vonmises "},
                            // a vMF component's concentration is one number, not one per coordinate
                            {sphere ? "3 positive concentrations" : "", "a positive concentration"}})
      for (size_t at = from.empty() ? std::string::npos : msg.find(from); at != std::string::npos;
           at = msg.find(from, at + to.size()))
        msg.replace(at, from.size(), to);
    throw Error(msg, e.code());
  }
  for (size_t k = 0; k < m.means.size(); ++k) {
    const std::string at = "[" + std::to_string(k) + "]";
    // Beyond 1e12 the spread (1e-6 radians) is below float's resolution of an angle, and the
    // samplers' acceptance tests lose every digit (an endless rejection loop)
    if (m.vars[k].maxCoeff() > kMaxKappa)
      throw Error(std::string(sphere ? "vmf" : "vonmises") + " \"kappas\"" + at + " must be at most 1e12 (" + where + ")");
    if (sphere && (m.means[k].size() != 3 || std::abs(m.means[k].norm() - 1) > 1e-6))
      throw Error("vmf \"means\"" + at + " must be a unit vector in R^3 (" + where + ")");
    if (sphere && (m.vars[k].array() != m.vars[k][0]).any())
      throw Error("vmf \"kappas\"" + at + " must be one number (" + where + ")");
  }
  return m;
}

void sample_angular_into(const Mixture& m, bool sphere, Rng& rng, Mat& out, std::vector<float>* labels) {
  const Eigen::Index d = m.dim(), n = out.cols();
  out.resize(d, n);
  if (labels) labels->resize(size_t(n));
  for (Eigen::Index j = 0; j < n; ++j) {
    double u = rng.uniform(), acc = 0;
    size_t k = 0;
    while (k + 1 < m.weights.size() && u >= (acc += m.weights[k])) ++k;
    if (labels) (*labels)[size_t(j)] = float(k);
    if (sphere) {
      out.col(j) = vmf_s2(m.means[k], m.vars[k][0], rng).normalized().cast<float>();
      continue;
    }
    for (Eigen::Index i = 0; i < d; ++i) {
      float a = float(wrap(m.means[k][i] + von_mises(m.vars[k][i], rng)));
      out(i, j) = a >= float(2 * kPi) ? 0.0f : a;
    }
  }
}

VecD angular_log_density(const Mixture& m, bool sphere, const Mat& x) {
  if (x.rows() != m.dim())
    throw Error("points of dimension " + std::to_string(x.rows()) + " for a mixture of dimension " + std::to_string(m.dim()));
  VecD out(x.cols());
  std::vector<double> terms(m.weights.size());
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const VecD xj = x.col(j).cast<double>();
    double top = -INFINITY;
    for (size_t k = 0; k < m.weights.size(); ++k) {
      double lp = std::log(m.weights[k]);
      if (sphere) {  // kappa / (2 pi (1 - e^{-2 kappa})) exp(kappa (<mu, x> - 1))
        const double kap = m.vars[k][0];
        lp += std::log(kap) - std::log(2 * kPi * -std::expm1(-2 * kap)) + kap * (m.means[k].dot(xj) - 1);
      } else {
        for (Eigen::Index i = 0; i < xj.size(); ++i)
          lp += m.vars[k][i] * std::cos(xj[i] - m.means[k][i]) - std::log(2 * kPi) - log_bessel_i0(m.vars[k][i]);
      }
      terms[k] = lp;
      top = std::max(top, lp);
    }
    double s = 0;
    for (double t : terms) s += std::exp(t - top);
    out[j] = top + std::log(s);
  }
  return out;
}

}  // namespace flowkit

namespace flowkit {

Mat latlon_to_unit(const Mat& ll, const std::string& where) {
  if (ll.rows() != 2)
    throw Error("latitude/longitude rows have 2 columns (degrees), got " + std::to_string(ll.rows()) + " (" + where + ")");
  Mat x(3, ll.cols());
  for (Eigen::Index j = 0; j < ll.cols(); ++j) {
    const double lat = ll(0, j), lon = ll(1, j);
    if (!std::isfinite(lat) || !std::isfinite(lon))
      throw Error("row " + std::to_string(j) + " is not finite (" + where + ")");
    if (std::abs(lat) > 90)
      throw Error("row " + std::to_string(j) + " has latitude " + std::to_string(lat) + ", outside [-90, 90] (" + where + ")");
    const double a = lat * kPi / 180, b = lon * kPi / 180;
    VecD u(3);
    u << std::cos(a) * std::cos(b), std::cos(a) * std::sin(b), std::sin(a);
    x.col(j) = u.normalized().cast<float>();
  }
  return x;
}

VecD wrapped_normal_log_density(const Mixture& m, const Mat& x) {
  if (x.rows() != m.dim())
    throw Error("points of dimension " + std::to_string(x.rows()) + " for a wrapped-normal mixture of dimension " +
                std::to_string(m.dim()));
  VecD lp(x.cols());
  std::vector<double> terms(m.weights.size());
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    for (size_t k = 0; k < m.weights.size(); ++k) {
      double t = std::log(m.weights[k]);
      for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double v = m.vars[k][i], d = wrap(double(x(i, j))) - wrap(m.means[k][i]);  // in (-2 pi, 2 pi)
        const int windings = 2 + int(std::ceil(8 * std::sqrt(v) / (2 * kPi)));
        double sum = 0, nearest = INFINITY;  // the sum scaled by the nearest winding's e^{-d^2 / 2v}
        for (int w = -windings; w <= windings; ++w) nearest = std::min(nearest, (d + 2 * kPi * w) * (d + 2 * kPi * w));
        for (int w = -windings; w <= windings; ++w) {
          const double e = d + 2 * kPi * w;
          sum += std::exp(-(e * e - nearest) / (2 * v));
        }
        t += std::log(sum) - nearest / (2 * v) - 0.5 * std::log(2 * kPi * v);
      }
      terms[k] = t;
    }
    const double top = *std::max_element(terms.begin(), terms.end());
    double s = 0;
    for (double t : terms) s += std::exp(t - top);
    lp[j] = top + std::log(s);
  }
  return lp;
}

Mat sphere_grid_points(int64_t size) {
  Mat ll(2, size * 2 * size);
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < 2 * size; ++j) {
      ll(0, i * 2 * size + j) = float((double(i) + 0.5) / double(size) * 180 - 90);
      ll(1, i * 2 * size + j) = float((double(j) + 0.5) / double(2 * size) * 360 - 180);
    }
  return latlon_to_unit(ll, "the sphere's grid");
}

Mat angles_to_torus(const Mat& a, bool degrees, const std::string& where) {
  Mat x(a.rows(), a.cols());
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      if (!std::isfinite(a(i, j))) throw Error("row " + std::to_string(j) + " is not finite (" + where + ")");
      const float w = float(wrap(degrees ? double(a(i, j)) * kPi / 180 : double(a(i, j))));
      x(i, j) = w >= float(2 * kPi) ? 0.0f : w;
    }
  return x;
}

}  // namespace flowkit
