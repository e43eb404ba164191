// plot: the sphere on a map (Mollweide, equirectangular, orthographic globe) under a graticule:
// points, densities over a latitude-longitude grid, and trajectories cut at the map's edge.
#include <algorithm>
#include <cmath>

#include "flowkit/plot/draw.hpp"
#include "flowkit/plot/projection.hpp"

namespace flowkit::plot {
namespace {
constexpr double kPi = M_PI, kDeg = M_PI / 180;

MapView view_of(const Options& o) { return MapView(o.projection, o.centre_lat, o.centre_lon); }

// The plot area: the whole map at one unit on both axes (a fixed --range does not apply)
Frame map_frame(const Options& o, const MapView& m, const Range* values) {
  Options whole = o;
  whole.xrange.reset();
  whole.yrange.reset();
  return layout(whole, m.x(), m.y(), values, Aspect::shrink);
}

// Row `row` of 3 floats as a unit vector in double; an error when its norm is not 1
void unit_row(const float* p, int64_t row, double v[3]) {
  const double n = std::sqrt(double(p[0]) * p[0] + double(p[1]) * p[1] + double(p[2]) * p[2]);
  if (!(std::abs(n - 1) <= 1e-3))
    throw Error("a sphere map needs unit vectors (x, y, z): row " + std::to_string(row) +
                " has norm " + std::to_string(n) + " (flow-data latlon makes them from degrees)");
  for (int k = 0; k < 3; ++k) v[k] = p[k] / n;
}

// Parallels and meridians every 30 degrees, polylines through points a degree apart broken
// where the globe hides them (the maps' edge meridian is their outline)
void draw_graticule(Pen& p, const Frame& f, const MapView& m, Rgb c, double alpha) {
  cairo_t* cr = p.cr();
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
  cairo_set_line_width(cr, hairline(f));
  auto polyline = [&](auto latlon, int steps) {
    bool down = false;
    for (int k = 0; k <= steps; ++k) {
      const auto [lat, rel] = latlon(k);
      double x, y;
      if (!m.at(lat, rel, x, y)) {
        down = false;
        continue;
      }
      if (down) cairo_line_to(cr, f.px(x), f.py(y));
      else cairo_move_to(cr, f.px(x), f.py(y));
      down = true;
    }
  };
  for (int lat = -60; lat <= 60; lat += 30)
    polyline([&](int k) { return std::pair{lat * kDeg, (k - 180) * kDeg}; }, 360);
  for (int lon = -150; lon <= (m.globe() ? 180 : 150); lon += 30)
    polyline([&](int k) { return std::pair{(k - 90) * kDeg, lon * kDeg}; }, 180);
  cairo_stroke(cr);
}

// The map's outline: the globe's circle, or the edge meridians and the poles' lines
void draw_outline(Pen& p, const Frame& f, const MapView& m) {
  cairo_t* cr = p.cr();
  cairo_set_source_rgb(cr, colour::axis.r / 255.0, colour::axis.g / 255.0, colour::axis.b / 255.0);
  cairo_set_line_width(cr, hairline(f));
  if (m.globe()) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, f.px(0), f.py(0), f.px(1) - f.px(0), 0, 2 * kPi);
  } else {
    for (int k = 0; k < 4 * 360; ++k) {  // round the edge: up the east, west along the north...
      const int side = k / 360, s = k % 360;
      const double u = (s - 180) * 0.5 * kDeg;  // -pi/2 .. pi/2
      const double lat = side == 0 ? u : side == 1 ? kPi / 2 : side == 2 ? -u : -kPi / 2;
      const double rel = side == 0 ? kPi : side == 1 ? -2 * u : side == 2 ? -kPi : 2 * u;
      double x, y;
      m.at(lat, rel, x, y);
      if (k == 0) cairo_move_to(cr, f.px(x), f.py(y));
      else cairo_line_to(cr, f.px(x), f.py(y));
    }
    cairo_close_path(cr);
  }
  cairo_stroke(cr);
}

// Points (3 x n) where the map shows them
void draw_dots(Pen& p, const Frame& f, const MapView& m, const Mat& pts, Rgb c) {
  const double r = dot_radius(pts.cols(), f), a = dot_alpha(pts.cols());
  for (Eigen::Index i = 0; i < pts.cols(); ++i) {
    double v[3], x, y;
    unit_row(pts.col(i).data(), i, v);
    if (m.forward(v, x, y)) p.disc(f.px(x), f.py(y), r, c, a);
  }
}

// Values over a latitude-longitude grid: rows (lon, lat, value) for grid_from_rows, each
// longitude measured from the first row's (within [-1e-3, 2 pi - 1e-3), so that a column's
// rounding never splits it across the seam); the longitudes must go round the sphere
struct SphereGrid {
  Grid g;
  double lon_start = 0, lon_step = 0;
  double value(double lat, double lon) const {  // the value of the cell nearest (lat, lon)
    const int64_t nx = int64_t(g.xs.size()), ny = int64_t(g.ys.size());
    const double l = std::fmod(lon - lon_start + 1e-3 + 4 * kPi, 2 * kPi) - 1e-3;
    const int64_t ix = (std::lround(l / lon_step) % nx + nx) % nx;
    const double ys = ny > 1 ? (g.ys.back() - g.ys.front()) / double(ny - 1) : 1;
    const int64_t iy = std::clamp<int64_t>(std::lround((lat - g.ys.front()) / ys), 0, ny - 1);
    return g.v[size_t(iy * nx + ix)];
  }
};

SphereGrid sphere_grid(const Array& a, const Options& o) {
  const int64_t n = a.shape[0];
  Array rows;
  rows.shape = {n, 3};
  rows.data.resize(size_t(3 * n));
  SphereGrid s;
  for (int64_t i = 0; i < n; ++i) {
    double v[3];
    unit_row(&a.data[size_t(4 * i)], i, v);
    const double lon = std::atan2(v[1], v[0]);
    if (i == 0) s.lon_start = lon;
    rows.data[size_t(3 * i)] = float(std::fmod(lon - s.lon_start + 1e-3 + 4 * kPi, 2 * kPi) - 1e-3);
    rows.data[size_t(3 * i + 1)] = float(std::asin(std::clamp(v[2], -1.0, 1.0)));
    rows.data[size_t(3 * i + 2)] = a.data[size_t(4 * i + 3)];
  }
  const std::string what = "sphere heat map rows (x, y, z, value) must be the cell centres of a "
                           "latitude-longitude grid (flow-data grid --sphere): ";
  try {
    s.g = grid_from_rows(rows, o);
  } catch (const Error& e) {
    throw Error(what + e.what());
  }
  const size_t nx = s.g.xs.size();
  s.lon_step = 2 * kPi / double(nx);
  if (nx < 2 || std::abs(s.g.xs.back() - s.g.xs.front() - double(nx - 1) * s.lon_step) > 1e-3 * s.lon_step)
    throw Error(what + "the longitudes do not go round the sphere");
  return s;
}
}  // namespace

Picture sphere_scatter(const Mat& points, const Options& o, const Mat* overlay) {
  const MapView m = view_of(o);
  const Frame f = map_frame(o, m, nullptr);
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_graticule(p, f, m, colour::grid, 1);
  draw_dots(p, f, m, points, colour::points);
  if (overlay) draw_dots(p, f, m, *overlay, colour::overlay);
  draw_outline(p, f, m);
  draw_title(p, f, o);
  draw_overlay_legend(p, f, o, colour::points, overlay);
  return pic;
}

// Each pixel of the map the colour of the grid cell nearest the point it shows; white outside
Picture sphere_heatmap(const Array& rows, const Options& o, const Mat* overlay) {
  if (rows.shape.size() != 2 || rows.shape[1] != 4)
    throw Error("a heat map on a sphere map needs rows (x, y, z, value), got " + rows.shape_str());
  const SphereGrid s = sphere_grid(rows, o);
  const Range values = value_range(s.g.v, o);
  const MapView m = view_of(o);
  const Frame f = map_frame(o, m, &values);
  const int w = f.x1 - f.x0, h = f.y1 - f.y0;
  std::vector<float> v(size_t(w) * size_t(h));
  std::vector<char> inside(v.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double u[3];
      const size_t i = size_t(y) * size_t(w) + size_t(x);
      inside[i] = m.inverse(f.data_x(f.x0 + x + 0.5), f.data_y(f.y0 + y + 0.5), u);
      if (inside[i]) v[i] = float(s.value(std::asin(std::clamp(u[2], -1.0, 1.0)), std::atan2(u[1], u[0])));
    }
  std::vector<uint8_t> rgb;
  viridis_pixels(v, values, rgb);
  for (size_t i = 0; i < v.size(); ++i)
    if (!inside[i]) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = 255;
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  p.bitmap(f.x0, f.y0, w, h, rgb);
  draw_graticule(p, f, m, colour::white, 0.35);
  if (overlay) draw_dots(p, f, m, *overlay, colour::overlay);
  draw_outline(p, f, m);
  draw_title(p, f, o);
  draw_colour_bar(p, f, values);
  return pic;
}

// Paths through the states, lifted where the globe hides them; a step across the maps' edge
// meridian (longitudes more than pi apart) is cut where it meets the edge, not drawn across
Picture sphere_trajectories(const Array& traj, const Options& o, const Mat* overlay, const Array* times) {
  if (traj.shape.size() != 3 || traj.shape[2] != 3 || traj.shape[0] < 1)
    throw Error("trajectories on a sphere map must have shape (T, n, 3), got " + traj.shape_str());
  const int64_t T = traj.shape[0], n = traj.shape[1];
  const MapView m = view_of(o);
  const Frame f = map_frame(o, m, nullptr);
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_graticule(p, f, m, colour::grid, 1);
  p.clip(f.x0, f.y0, f.x1, f.y1);
  cairo_t* cr = p.cr();
  const double a = std::clamp(6.0 / std::sqrt(double(std::max<int64_t>(n, 1))), 0.08, 0.8);
  cairo_set_source_rgba(cr, colour::path.r / 255.0, colour::path.g / 255.0, colour::path.b / 255.0, a);
  cairo_set_line_width(cr, 0.09 * f.font);
  auto state = [&](int64_t t, int64_t i, double v[3]) { unit_row(&traj.data[size_t((t * n + i) * 3)], t * n + i, v); };
  for (int64_t i = 0; i < n; ++i) {
    bool down = false;
    double plat = 0, prel = 0;
    for (int64_t t = 0; t < T; ++t) {
      double v[3], lat, rel, x, y;
      state(t, i, v);
      m.latlon(v, lat, rel);
      if (!m.forward(v, x, y)) {
        down = false;
        continue;
      }
      if (down && !m.globe() && std::abs(rel - prel) > kPi) {
        const double d = std::remainder(rel - prel, 2 * kPi), edge = prel + d > 0 ? kPi : -kPi;
        const double lc = plat + (edge - prel) / d * (lat - plat);
        double ex, ey;
        m.at(lc, edge, ex, ey);
        cairo_line_to(cr, f.px(ex), f.py(ey));
        m.at(lc, -edge, ex, ey);
        cairo_move_to(cr, f.px(ex), f.py(ey));
      }
      if (down) cairo_line_to(cr, f.px(x), f.py(y));
      else cairo_move_to(cr, f.px(x), f.py(y));
      down = true, plat = lat, prel = rel;
    }
    cairo_stroke(cr);
  }
  const double r = 1.2 * dot_radius(n, f), da = std::min(1.0, 2 * dot_alpha(n));
  for (const auto& [t, c] : {std::pair{int64_t(0), colour::start}, std::pair{T - 1, colour::end}})
    for (int64_t i = 0; i < n; ++i) {
      double v[3], x, y;
      state(t, i, v);
      if (m.forward(v, x, y)) p.disc(f.px(x), f.py(y), r, c, da);
    }
  p.unclip();
  if (overlay) draw_dots(p, f, m, *overlay, colour::overlay);
  draw_outline(p, f, m);
  draw_title(p, f, o);
  draw_legend(p, f, trajectory_legend(o, overlay, times, T));
  return pic;
}

}  // namespace flowkit::plot
