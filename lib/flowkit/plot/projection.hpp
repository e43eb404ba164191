// plot: the maps of the sphere (Mollweide's equal-area ellipse, the equirectangular map and
// the orthographic globe): unit vectors to map coordinates and back, the maths only.
#pragma once
#include "flowkit/plot/plot.hpp"

namespace flowkit::plot {

// A map of the sphere S^2 centred on (lat0, lon0) (degrees): the maps put the meridian lon0 in
// their middle, the globe shows the hemisphere around the centre. Latitude asin z, longitude
// atan2(y, x) of a unit vector (x, y, z).
class MapView {
 public:
  MapView(Projection p, double lat0_deg, double lon0_deg);
  bool globe() const { return p_ == Projection::ortho; }
  Range x() const;  // the map's extent in its own units
  Range y() const;
  // The map point of latitude lat and longitude lon0 + rel (radians, rel in [-pi, pi]); false
  // when the globe hides it
  bool at(double lat, double rel, double& x, double& y) const;
  // A unit vector's latitude and longitude relative to lon0 (in [-pi, pi]), and its map point
  void latlon(const double v[3], double& lat, double& rel) const;
  bool forward(const double v[3], double& x, double& y) const;
  // The unit vector at map point (x, y); false outside the map
  bool inverse(double x, double y, double v[3]) const;

 private:
  Projection p_;
  double lat0_, lon0_;
  double centre_[3], east_[3], north_[3];
};

}  // namespace flowkit::plot
