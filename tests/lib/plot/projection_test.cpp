#include "flowkit/plot/projection.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace flowkit;
using namespace flowkit::plot;

namespace {
void unit(double lat, double lon, double v[3]) {
  v[0] = std::cos(lat) * std::cos(lon), v[1] = std::cos(lat) * std::sin(lon), v[2] = std::sin(lat);
}
}  // namespace

TEST_CASE("sphere maps: inverse(forward(v)) = v on every map, the globe's far side hidden", "[plot]") {
  for (Projection p : {Projection::mollweide, Projection::equirect, Projection::ortho}) {
    const MapView m(p, 25, -40);
    int shown = 0;
    for (int i = -89; i <= 89; i += 7)
      for (int j = -179; j <= 179; j += 11) {
        double v[3], back[3], x, y;
        unit(i * M_PI / 180, j * M_PI / 180, v);
        const bool seen = m.forward(v, x, y);
        const double facing = std::cos(25 * M_PI / 180) * std::cos(i * M_PI / 180) * std::cos((j + 40) * M_PI / 180) +
                              std::sin(25 * M_PI / 180) * std::sin(i * M_PI / 180);
        CHECK(seen == (p != Projection::ortho || facing >= 0));
        if (!seen) continue;
        ++shown;
        REQUIRE(m.inverse(x, y, back));
        for (int k = 0; k < 3; ++k) CHECK(back[k] == Approx(v[k]).margin(1e-9));
      }
    CHECK(shown > 100);
  }
}

// Mollweide's map is equal-area: the map's area element |det d(x, y)/d(lat, lon)| is cos lat,
// the sphere's (central differences); the whole ellipse, pi 2 sqrt 2 sqrt 2 = 4 pi, is the
// sphere's area. The band |y| < sqrt 2 / 2 holds sin(lat*) of the sphere, 2 t + sin 2t = pi
// sin(lat*) at t = pi / 6: 0.6090.
TEST_CASE("Mollweide's map is equal-area", "[plot]") {
  const MapView m(Projection::mollweide, 0, 0);
  const double h = 1e-6;
  for (double lat : {-1.4, -0.9, -0.3, 0.0, 0.2, 0.7, 1.2, 1.5})
    for (double rel : {-3.0, -1.1, 0.0, 0.4, 2.5}) {
      double x1, y1, x2, y2, x3, y3, x4, y4;
      m.at(lat + h, rel, x1, y1), m.at(lat - h, rel, x2, y2);
      m.at(lat, rel + h, x3, y3), m.at(lat, rel - h, x4, y4);
      const double det = ((x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)) / (4 * h * h);
      CHECK(std::abs(det) == Approx(std::cos(lat)).margin(1e-5));
    }
  const Range x = m.x(), y = m.y();
  CHECK((x.hi - x.lo) * (y.hi - y.lo) * M_PI / 4 == Approx(4 * M_PI));
  // the share of the sphere in the band: points of a fine latitude-longitude grid weighted by
  // cos lat, each counted where its map point falls
  double in = 0, all = 0;
  for (int i = 0; i < 2000; ++i) {
    const double lat = (i + 0.5) / 2000 * M_PI - M_PI / 2;
    double px, py;
    m.at(lat, 0, px, py);
    all += std::cos(lat);
    if (std::abs(py) < y.hi / 2) in += std::cos(lat);
  }
  CHECK(in / all == Approx((M_PI / 3 + std::sqrt(3) / 2) / M_PI).margin(1e-3));
}

TEST_CASE("sphere maps: the centre in the middle, north up, east right, the globe's limb", "[plot]") {
  for (Projection p : {Projection::mollweide, Projection::equirect, Projection::ortho}) {
    const MapView m(p, 0, 30);
    double v[3], x, y;
    unit(0, 30 * M_PI / 180, v);
    REQUIRE(m.forward(v, x, y));
    CHECK(x == Approx(0).margin(1e-12));
    CHECK(y == Approx(0).margin(1e-12));
    unit(M_PI / 2, 0, v);  // the north pole: the top of every map
    REQUIRE(m.forward(v, x, y));
    CHECK(y == Approx(m.y().hi));
    unit(0, 120 * M_PI / 180, v);  // 90 degrees east of the centre: 3/4 of the maps' width, the globe's rim
    REQUIRE(m.forward(v, x, y));
    CHECK((x - m.x().lo) / (m.x().hi - m.x().lo) == Approx(p == Projection::ortho ? 1.0 : 0.75));
  }
  double v[3];
  CHECK_FALSE(MapView(Projection::mollweide, 0, 0).inverse(2.9, 0, v));  // outside the ellipse
  CHECK(MapView(Projection::mollweide, 0, 0).inverse(2.8, 0, v));
  CHECK_FALSE(MapView(Projection::ortho, 0, 0).inverse(0.8, 0.7, v));  // outside the circle
}
