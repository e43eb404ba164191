// plot: Mollweide, equirectangular and orthographic maps of the sphere (doc/MATH.md, "Maps").
#include "flowkit/plot/projection.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit::plot {
namespace {
constexpr double kPi = M_PI, kR2 = M_SQRT2;

// Mollweide's auxiliary angle: 2 t + sin 2t = pi sin lat, by Newton's method from t = lat
// (the derivative 2 + 2 cos 2t vanishes at the poles, where t = lat exactly)
double mollweide_theta(double lat) {
  if (std::abs(lat) > kPi / 2 - 1e-9) return std::copysign(kPi / 2, lat);
  const double target = kPi * std::sin(lat);
  double t = lat;
  for (int i = 0; i < 60; ++i) {
    const double step = (2 * t + std::sin(2 * t) - target) / (2 + 2 * std::cos(2 * t));
    t -= step;
    if (std::abs(step) < 1e-13) break;
  }
  return t;
}

void unit(double lat, double lon, double v[3]) {
  v[0] = std::cos(lat) * std::cos(lon);
  v[1] = std::cos(lat) * std::sin(lon);
  v[2] = std::sin(lat);
}

double dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
}  // namespace

MapView::MapView(Projection p, double lat0_deg, double lon0_deg)
    : p_(p), lat0_(lat0_deg * kPi / 180), lon0_(lon0_deg * kPi / 180) {
  unit(lat0_, lon0_, centre_);
  east_[0] = -std::sin(lon0_), east_[1] = std::cos(lon0_), east_[2] = 0;
  unit(lat0_ + kPi / 2, lon0_, north_);
}

Range MapView::x() const {
  switch (p_) {
    case Projection::mollweide: return {-2 * kR2, 2 * kR2};
    case Projection::equirect: return {-kPi, kPi};
    default: return {-1, 1};
  }
}

Range MapView::y() const {
  switch (p_) {
    case Projection::mollweide: return {-kR2, kR2};
    case Projection::equirect: return {-kPi / 2, kPi / 2};
    default: return {-1, 1};
  }
}

bool MapView::at(double lat, double rel, double& x, double& y) const {
  switch (p_) {
    case Projection::mollweide: {
      const double t = mollweide_theta(lat);
      x = 2 * kR2 / kPi * rel * std::cos(t);
      y = kR2 * std::sin(t);
      return true;
    }
    case Projection::equirect:
      x = rel, y = lat;
      return true;
    default: {
      double v[3];
      unit(lat, lon0_ + rel, v);
      x = dot(v, east_), y = dot(v, north_);
      return dot(v, centre_) >= 0;
    }
  }
}

void MapView::latlon(const double v[3], double& lat, double& rel) const {
  lat = std::asin(std::clamp(v[2], -1.0, 1.0));
  // the longitude relative to lon0: rotate about z by -lon0
  const double c = std::cos(lon0_), s = std::sin(lon0_);
  rel = std::atan2(-v[0] * s + v[1] * c, v[0] * c + v[1] * s);
}

bool MapView::forward(const double v[3], double& x, double& y) const {
  if (globe()) {
    x = dot(v, east_), y = dot(v, north_);
    return dot(v, centre_) >= 0;
  }
  double lat, rel;
  latlon(v, lat, rel);
  return at(lat, rel, x, y);
}

bool MapView::inverse(double x, double y, double v[3]) const {
  double lat, rel;
  switch (p_) {
    case Projection::mollweide: {
      if (std::abs(y) > kR2) return false;
      const double t = std::asin(y / kR2), c = std::cos(t);
      lat = std::asin(std::clamp((2 * t + std::sin(2 * t)) / kPi, -1.0, 1.0));
      rel = c > 1e-12 ? kPi * x / (2 * kR2 * c) : 0;
      break;
    }
    case Projection::equirect:
      lat = y, rel = x;
      if (std::abs(lat) > kPi / 2) return false;
      break;
    default: {
      const double r2 = x * x + y * y;
      if (r2 > 1) return false;
      const double z = std::sqrt(1 - r2);
      for (int k = 0; k < 3; ++k) v[k] = x * east_[k] + y * north_[k] + z * centre_[k];
      return true;
    }
  }
  if (std::abs(rel) > kPi * (1 + 1e-12)) return false;  // the edge meridian itself is on the map
  unit(lat, lon0_ + rel, v);
  return true;
}

}  // namespace flowkit::plot
