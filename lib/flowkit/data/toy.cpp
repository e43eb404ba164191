// data: the built-in distributions: tables, parameters and samplers.
#include <cmath>

#include "flowkit/data/data.hpp"

namespace flowkit {
namespace {

constexpr double pi = 3.14159265358979323846;
using P = ToyParam;

struct ToyInfo {
  Toy id;
  const char* name;
  const char* help;
  std::vector<ToyParam> params;
  const char* definition;
};

const std::vector<ToyInfo>& infos() {
  static const std::vector<ToyInfo> t = {
      {Toy::moons, "moons", "two interleaving half circles",
       {{"noise", 0.1, "standard deviation of the Gaussian noise"}},
       "moon k in {0, 1} with probability 1/2, theta ~ U[0, pi]; p = (cos theta, sin theta) for k = 0, "
       "(1 - cos theta, 1/2 - sin theta) for k = 1; x = 2 (p - (1/2, 1/4)) + noise * N(0, I)"},
      {Toy::circles, "circles", "two concentric circles",
       {{"radius", 2.0, "radius of the outer circle", P::positive},
        {"factor", 0.5, "inner radius as a fraction of the outer", P::positive},
        {"noise", 0.05, "standard deviation of the Gaussian noise"}},
       "circle k in {0, 1} with probability 1/2, theta ~ U[0, 2 pi); r = radius (k = 0) or factor * radius "
       "(k = 1); x = r (cos theta, sin theta) + noise * N(0, I)"},
      {Toy::eightgaussians, "8gaussians", "eight Gaussians on a circle (exact density)",
       {{"radius", 2.0, "radius of the circle of centres", P::positive},
        {"std", 0.2, "standard deviation of each Gaussian", P::positive}},
       "component k ~ U{0..7}; x = radius (cos(k pi/4), sin(k pi/4)) + std * N(0, I): a mixture of 8 equal "
       "Gaussians"},
      {Toy::checkerboard, "checkerboard", "uniform on 8 squares of a 4x4 board (exact density)", {},
       "the 4 x 4 board of 2 x 2 cells on [-4, 4]^2, cell (i, j) = [-4 + 2i, -2 + 2i) x [-4 + 2j, -2 + 2j); "
       "the 8 cells with i + j even are filled; x is uniform on them: density 1/32 on the support, 0 off it"},
      {Toy::spirals, "spirals", "two interleaved spirals",
       {{"turns", 1.5, "turns of each spiral", P::positive},
        {"radius", 3.0, "radius at the outer end", P::positive},
        {"noise", 0.1, "standard deviation of the Gaussian noise"}},
       "arm k in {0, 1} with probability 1/2, s = sqrt(u), u ~ U[0, 1], theta = 2 pi turns s; "
       "x = (-1)^k radius s (-cos theta, sin theta) + noise * N(0, I)"},
      {Toy::swissroll, "swissroll", "a 2-D swiss roll",
       {{"scale", 0.2, "scale of the roll", P::positive}, {"noise", 0.1, "standard deviation of the Gaussian noise"}},
       "t = 3 pi/2 (1 + 2u), u ~ U[0, 1]; x = scale (t cos t, t sin t) + noise * N(0, I)"},
      {Toy::scurve, "scurve", "an S-shaped curve",
       {{"scale", 1.5, "scale of the curve", P::positive}, {"noise", 0.05, "standard deviation of the Gaussian noise"}},
       "t = 3 pi (u - 1/2), u ~ U[0, 1]; x = scale (sin t, sign(t) (cos t - 1)) + noise * N(0, I)"},
      {Toy::pinwheel, "pinwheel", "arms of a pinwheel",
       {{"arms", 5, "number of arms", P::count},
        {"radial-std", 0.3, "radial standard deviation"},
        {"tangential-std", 0.1, "tangential standard deviation"},
        {"rate", 0.25, "how fast the arms turn outwards", P::any},
        {"scale", 2.0, "overall scale", P::positive}},
       "arm k ~ U{0..arms-1}; f = (1 + radial-std z1, tangential-std z2), z ~ N(0, I); "
       "phi = 2 pi k/arms + rate exp(f1); x = scale R(phi) f, R the rotation by phi"},
      {Toy::rings, "rings", "concentric rings",
       {{"rings", 4, "number of rings", P::count},
        {"radius", 3.0, "radius of the outer ring", P::positive},
        {"noise", 0.08, "standard deviation of the Gaussian noise"}},
       "ring k ~ U{1..rings}, theta ~ U[0, 2 pi); x = (k radius/rings) (cos theta, sin theta) + noise * N(0, I)"},
      {Toy::gaussian, "gaussian", "an isotropic Gaussian in any dimension (exact density)",
       {{"dim", 2, "dimension", P::count},
        {"mean", 0.0, "mean of every coordinate", P::any},
        {"std", 1.0, "standard deviation", P::positive}},
       "x ~ N(mean 1, std^2 I) in dim dimensions"},
      {Toy::mixture, "mixture", "a Gaussian mixture from a JSON spec (exact density)", {},
       "x ~ sum_k w_k N(m_k, diag(v_k)) from --spec {\"weights\": [w_k], \"means\": [[m_k]], \"vars\": [[v_k]]} "
       "(weights normalized to sum 1; a var may be one number for all coordinates)"},
      {Toy::vmf, "vmf", "a von Mises-Fisher mixture on the sphere S^2 (exact density)", {},
       "x ~ sum_k w_k vMF(mu_k, kappa_k) on the unit sphere in R^3, density kappa / (2 pi (1 - exp(-2 kappa))) "
       "exp(kappa (<mu, x> - 1)), from --spec {\"weights\": [w_k], \"means\": [[mu_k]], \"kappas\": [kappa_k]}"},
      {Toy::vonmises, "vonmises", "a von Mises mixture on the torus [0, 2 pi)^d (exact density)", {},
       "x ~ sum_k w_k prod_i VM(mu_ki, kappa_ki), angles in [0, 2 pi), density of each angle "
       "exp(kappa cos(x - mu)) / (2 pi I0(kappa)), from --spec {\"weights\": [w_k], \"means\": [[mu_k]], "
       "\"kappas\": [[kappa_k]]} (a kappa may be one number for all angles)"},
      {Toy::sphere_uniform, "sphere-uniform", "the uniform law on the sphere S^2 (exact density)", {},
       "x = g / |g|, g ~ N(0, I) in R^3: density 1 / (4 pi) w.r.t. the area"},
      {Toy::sphere_checkerboard, "sphere-checkerboard", "the checkerboard wrapped onto the sphere S^2 (exact density)", {},
       "flow_matching's sphere example: a checkerboard point b in [-4, 4)^2 (the 4 x 4 board, 8 cells filled) as the "
       "tangent vector u = b / 4 at the north pole, x = exp_n(u) = (u sin|u| / |u|, cos|u|); density "
       "(1/2) r / sin r at geodesic distance r = |u| from the pole on the wrapped cells, 0 off them"},
      {Toy::wrapped_normal, "wrapped-normal", "a Gaussian mixture wrapped onto the torus [0, 2 pi)^d (exact density)", {},
       "x = y mod 2 pi, y ~ sum_k w_k N(m_k, diag(v_k)) from --spec as mixture's; density sum_k w_k prod_i "
       "sum_m N(x_i + 2 pi m; m_ki, v_ki) over the windings m that matter (|m| <= 2 + 8 sqrt(v) / 2 pi)"},
      {Toy::torus_checkerboard, "torus-checkerboard", "the checkerboard on the torus [0, 2 pi)^2 (exact density)", {},
       "the checkerboard's 4 x 4 board scaled onto [0, 2 pi)^2: cells of side pi / 2, the 8 with i + j even filled; "
       "x is uniform on them: density 1 / (2 pi^2) on the support, 0 off it (train with --manifold torus: no seam)"},
  };
  return t;
}

const ToyInfo& info(Toy t) {
  for (const auto& i : infos())
    if (i.id == t) return i;
  throw Error("unknown distribution");
}

// The parameter values in table order, defaults filled in, each checked.
std::vector<double> resolve(const ToyInfo& ti, const std::map<std::string, double>& given) {
  std::vector<double> v;
  for (const auto& p : ti.params) v.push_back(p.value);
  for (const auto& [name, value] : given) {
    size_t k = 0;
    while (k < ti.params.size() && name != ti.params[k].name) ++k;
    if (k == ti.params.size()) {
      std::string names;
      for (const auto& p : ti.params) names += (names.empty() ? "" : ", ") + std::string(p.name);
      throw usage_error("unknown parameter '" + name + "' for " + ti.name + "; " +
                        (names.empty() ? "it takes none" : "one of " + names));
    }
    const auto kind = ti.params[k].kind;
    const bool ok = std::isfinite(value) && (kind == P::any || (kind == P::nonneg && value >= 0) ||
                                             (kind == P::positive && value > 0) ||
                                             (kind == P::count && value >= 1 && value == std::floor(value) && value < 1e6));
    if (!ok)
      throw usage_error("--" + name + " for " + ti.name + " must be " +
                        (kind == P::count      ? "a whole number in 1..999999"
                         : kind == P::positive ? "positive and finite"
                         : kind == P::nonneg   ? "finite and >= 0"
                                               : "finite") +
                        ", got " + std::to_string(value));
    v[k] = value;
  }
  return v;
}

// The checkerboard's log density at (a, b): 1/32 on the 8 filled cells of side 2 of [-4, 4)^2
double board_log_density(double a, double b) {
  const double i0 = std::floor((a + 4) / 2), i1 = std::floor((b + 4) / 2);
  const bool in = i0 >= 0 && i0 < 4 && i1 >= 0 && i1 < 4 && int(i0 + i1) % 2 == 0;
  return in ? -std::log(32.0) : -INFINITY;
}

double wrap_angle(double a) {
  const double w = a - 2 * pi * std::floor(a / (2 * pi));
  return w < 2 * pi ? w : 0;  // rounding up to 2 pi is the seam's 0
}

// A board point b as the tangent vector u = b / 4 at the north pole, carried by exp (as
// flow_matching's sphere example wraps its [-2, 2)^2 board with u = b / 2)
void board_to_sphere(const double b[2], double v[3]) {
  const double u0 = b[0] / 4, u1 = b[1] / 4, r = std::hypot(u0, u1);
  const double sinc = r < 1e-4 ? 1 - r * r / 6 : std::sin(r) / r;
  v[0] = u0 * sinc, v[1] = u1 * sinc, v[2] = std::cos(r);
}

// -log 4 pi; or the board's density carried by exp_n: the board's 1/32 times 16 (u = b / 4)
// times r / sin r, exp's area change at distance r from the pole
VecD sphere_toy_log_density(Toy t, const Mat& x) {
  if (x.rows() != 3) throw Error("points on the sphere S^2 are 3-D, got dimension " + std::to_string(x.rows()));
  VecD lp(x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    if (t == Toy::sphere_uniform) {
      lp[j] = -std::log(4 * pi);
      continue;
    }
    const double a = x(0, j), b = x(1, j), rho = std::hypot(a, b), r = std::atan2(rho, double(x(2, j)));
    if (r > std::sqrt(2.0)) {  // beyond the board's corners (and the south pole, where u has no direction)
      lp[j] = -INFINITY;
      continue;
    }
    const double sinc = r < 1e-4 ? 1 - r * r / 6 : std::sin(r) / r;
    const double scale = rho > 0 ? 4 * r / rho : 4;  // the board point 4 u, u = r (a, b) / rho
    lp[j] = board_log_density(scale * a, scale * b) + std::log(16.0) - std::log(sinc);
  }
  return lp;
}

// One point of a 2-D distribution from its resolved parameters; returns its class.
int sample_point(Toy t, const std::vector<double>& p, Rng& rng, double x[2]) {
  const auto noise = [&](double s) { x[0] += s * rng.normal(), x[1] += s * rng.normal(); };
  switch (t) {
    case Toy::moons: {
      const int k = int(rng.below(2));
      const double th = pi * rng.uniform();
      const double px = k == 0 ? std::cos(th) : 1 - std::cos(th), py = k == 0 ? std::sin(th) : 0.5 - std::sin(th);
      x[0] = 2 * (px - 0.5), x[1] = 2 * (py - 0.25);
      return noise(p[0]), k;
    }
    case Toy::circles: {
      const int k = int(rng.below(2));
      const double th = 2 * pi * rng.uniform(), r = k == 0 ? p[0] : p[0] * p[1];
      x[0] = r * std::cos(th), x[1] = r * std::sin(th);
      return noise(p[2]), k;
    }
    case Toy::checkerboard:
    case Toy::torus_checkerboard: {
      const int k = int(rng.below(8));  // filled cell k: row j = k / 2, column i with i + j even
      const int j = k / 2, i = 2 * (k % 2) + (j % 2);
      x[0] = -4 + 2 * i + 2 * rng.uniform(), x[1] = -4 + 2 * j + 2 * rng.uniform();
      if (t == Toy::torus_checkerboard)  // [-4, 4) onto [0, 2 pi)
        for (int c = 0; c < 2; ++c) x[c] = std::min((x[c] + 4) * pi / 4, std::nextafter(2 * pi, 0.0));
      return k;
    }
    case Toy::spirals: {
      const int k = int(rng.below(2));
      const double s = std::sqrt(rng.uniform()), th = 2 * pi * p[0] * s, sign = k == 0 ? 1 : -1;
      x[0] = -sign * p[1] * s * std::cos(th), x[1] = sign * p[1] * s * std::sin(th);
      return noise(p[2]), k;
    }
    case Toy::swissroll: {
      const double t = 1.5 * pi * (1 + 2 * rng.uniform());
      x[0] = p[0] * t * std::cos(t), x[1] = p[0] * t * std::sin(t);
      return noise(p[1]), 0;
    }
    case Toy::scurve: {
      const double t = 3 * pi * (rng.uniform() - 0.5);
      x[0] = p[0] * std::sin(t), x[1] = p[0] * (t < 0 ? -1 : 1) * (std::cos(t) - 1);
      return noise(p[1]), 0;
    }
    case Toy::pinwheel: {
      const int k = int(rng.below(uint64_t(p[0])));
      const double f1 = 1 + p[1] * rng.normal(), f2 = p[2] * rng.normal();
      const double phi = 2 * pi * k / p[0] + p[3] * std::exp(f1), c = std::cos(phi), s = std::sin(phi);
      x[0] = p[4] * (c * f1 - s * f2), x[1] = p[4] * (s * f1 + c * f2);
      return k;
    }
    case Toy::rings: {
      const int k = int(rng.below(uint64_t(p[0])));
      const double th = 2 * pi * rng.uniform(), r = (k + 1) * p[1] / p[0];
      x[0] = r * std::cos(th), x[1] = r * std::sin(th);
      return noise(p[2]), k;
    }
    default:
      throw Error("not a 2-D sampler");
  }
}

}  // namespace

const ChoiceTable<Toy>& toys() {
  static const ChoiceTable<Toy> t = [] {
    ChoiceTable<Toy> c;
    for (const auto& i : infos()) c.push_back({i.name, i.id, i.help});
    return c;
  }();
  return t;
}

const std::vector<ToyParam>& toy_params(Toy t) { return info(t).params; }
const char* toy_definition(Toy t) { return info(t).definition; }

std::optional<Mixture> toy_mixture(const ToySpec& spec) {
  const Toy t = parse_choice(toys(), spec.name, "distribution");
  const auto p = resolve(info(t), spec.params);
  Mixture m;
  if (t == Toy::mixture) return parse_mixture(spec.mixture, "mixture spec");
  if (t == Toy::wrapped_normal) return parse_mixture(spec.mixture, "wrapped-normal spec");
  if (t == Toy::gaussian) {
    const auto d = Eigen::Index(p[0]);
    m.weights = {1.0};
    m.means = {VecD::Constant(d, p[1])};
    m.vars = {VecD::Constant(d, p[2] * p[2])};
    return m;
  }
  if (t != Toy::eightgaussians) return std::nullopt;
  for (int k = 0; k < 8; ++k) {
    m.weights.push_back(1.0 / 8);
    m.means.push_back((VecD(2) << p[0] * std::cos(k * pi / 4), p[0] * std::sin(k * pi / 4)).finished());
    m.vars.push_back(VecD::Constant(2, p[1] * p[1]));
  }
  return m;
}

ToySampler::ToySampler(const ToySpec& spec)
    : toy_(parse_choice(toys(), spec.name, "distribution")),
      params_(resolve(info(toy_), spec.params)),
      mixture_(toy_mixture(spec)) {
  if (toy_ == Toy::vmf || toy_ == Toy::vonmises) angular_ = parse_angular_mixture(spec.mixture, toy_ == Toy::vmf, spec.name + " spec");
}

Eigen::Index ToySampler::dim() const {
  if (toy_ == Toy::sphere_uniform || toy_ == Toy::sphere_checkerboard) return 3;
  return mixture_ ? mixture_->dim() : angular_ ? angular_->dim() : 2;
}

// The sphere's toys: uniform (g / |g|), or a checkerboard point b wrapped round the north pole
void ToySampler::sample_sphere(Rng& rng, Mat& out, std::vector<float>* labels) const {
  const Eigen::Index n = out.cols();
  out.resize(3, n);
  if (labels) labels->resize(size_t(n));
  for (Eigen::Index j = 0; j < n; ++j) {
    double v[3] = {0, 0, 0}, b[2];
    int k = 0;
    if (toy_ == Toy::sphere_uniform) {
      double r = 0;
      while (!(r > 1e-12)) {
        for (double& c : v) c = rng.normal();
        r = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      }
      for (double& c : v) c /= r;
    } else {
      k = sample_point(Toy::checkerboard, params_, rng, b);
      board_to_sphere(b, v);
    }
    if (labels) (*labels)[size_t(j)] = float(k);
    for (int c = 0; c < 3; ++c) out(c, j) = float(v[c]);
  }
}

void ToySampler::sample(Rng& rng, Mat& out, std::vector<float>* labels) const {
  if (mixture_) {
    sample_mixture_into(*mixture_, rng, out, labels);
    if (toy_ == Toy::wrapped_normal)
      for (Eigen::Index j = 0; j < out.cols(); ++j)
        for (Eigen::Index i = 0; i < out.rows(); ++i) out(i, j) = float(wrap_angle(out(i, j)));
    return;
  }
  if (toy_ == Toy::sphere_uniform || toy_ == Toy::sphere_checkerboard) return sample_sphere(rng, out, labels);
  if (angular_) return sample_angular_into(*angular_, toy_ == Toy::vmf, rng, out, labels);
  const Eigen::Index n = out.cols();
  out.resize(2, n);
  if (labels) labels->resize(size_t(n));
  for (int64_t j = 0; j < n; ++j) {
    double x[2];
    const int k = sample_point(toy_, params_, rng, x);
    if (labels) (*labels)[size_t(j)] = float(k);
    out(0, j) = float(x[0]), out(1, j) = float(x[1]);
  }
}

Mat sample_toy(const ToySpec& spec, int64_t n, Rng& rng, std::vector<float>& labels) {
  if (n < 0) throw usage_error("the number of points must be >= 0, got " + std::to_string(n));
  const ToySampler s(spec);
  Mat out(s.dim(), n);
  s.sample(rng, out, &labels);
  return out;
}

Mat sample_toy(const ToySpec& spec, int64_t n, Rng& rng) {
  std::vector<float> labels;
  return sample_toy(spec, n, rng, labels);
}

bool toy_has_density(const ToySpec& spec) {
  const Toy t = parse_choice(toys(), spec.name, "distribution");
  return t == Toy::checkerboard || t == Toy::gaussian || t == Toy::mixture || t == Toy::eightgaussians ||
         t == Toy::vmf || t == Toy::vonmises || t == Toy::torus_checkerboard || t == Toy::sphere_uniform ||
         t == Toy::sphere_checkerboard || t == Toy::wrapped_normal;
}

VecD toy_log_density(const ToySpec& spec, const Mat& x) {
  const Toy t = parse_choice(toys(), spec.name, "distribution");
  if (t == Toy::wrapped_normal) return wrapped_normal_log_density(*toy_mixture(spec), x);
  if (auto m = toy_mixture(spec)) return mixture_log_density(*m, x);
  if (t == Toy::sphere_uniform || t == Toy::sphere_checkerboard) return sphere_toy_log_density(t, x);
  if (t == Toy::vmf || t == Toy::vonmises)
    return angular_log_density(parse_angular_mixture(spec.mixture, t == Toy::vmf, spec.name + " spec"), t == Toy::vmf, x);
  if (t != Toy::checkerboard && t != Toy::torus_checkerboard)
    throw Error("the distribution " + spec.name + " has no closed-form density");
  const bool torus = t == Toy::torus_checkerboard;  // the board scaled by pi / 4 onto [0, 2 pi)^2
  resolve(info(t), spec.params);
  if (x.rows() != 2) throw Error("checkerboard points are 2-D, got dimension " + std::to_string(x.rows()));
  VecD lp(x.cols());
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const double s = torus ? 4 / pi : 1;
    lp[j] = board_log_density(double(x(0, j)) * s - (torus ? 4 : 0), double(x(1, j)) * s - (torus ? 4 : 0)) +
            (torus ? 2 * std::log(4 / pi) : 0.0);
  }
  return lp;
}

}  // namespace flowkit
