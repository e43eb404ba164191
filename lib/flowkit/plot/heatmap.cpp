// plot: heat maps of values over a regular grid, with a colour bar.
#include <algorithm>
#include <cmath>

#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {
namespace {
// The distinct values of one coordinate, which must be evenly spaced
std::vector<double> grid_axis(std::vector<double> v, const char* name) {
  std::sort(v.begin(), v.end());
  const double span = v.back() - v.front(), tol = 1e-5 * std::max(span, 1e-30);
  std::vector<double> u;
  for (double x : v)
    if (u.empty() || x - u.back() > tol) u.push_back(x);
  const double step = u.size() > 1 ? span / double(u.size() - 1) : 0;
  for (size_t i = 0; i < u.size(); ++i)
    if (std::abs(u[i] - (u.front() + double(i) * step)) > 1e-3 * std::max(step, 1e-30))
      throw Error(std::string("heat map rows (x, y, value) are not on a regular grid: the ") +
                  name + " values are not evenly spaced");
  return u;
}

size_t nearest(const std::vector<double>& axis, double v) {
  if (axis.size() == 1) return 0;
  const double step = (axis.back() - axis.front()) / double(axis.size() - 1);
  return size_t(std::clamp(std::lround((v - axis.front()) / step), 0L, long(axis.size() - 1)));
}

// Centres of n cells covering a range
std::vector<double> cell_centres(Range r, int64_t n) {
  std::vector<double> c(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    c[size_t(i)] = r.lo + (double(i) + 0.5) * (r.hi - r.lo) / double(n);
  return c;
}

// Values alone, x fastest, over the ranges of --range (cell centres)
Grid grid_from_values(const Array& a, const Options& o) {
  const int64_t n = a.shape[0], side = std::lround(std::sqrt(double(n)));
  if (side * side != n)
    throw Error("a heat map of values alone needs N*N rows (a square grid), got " + a.shape_str());
  if (!o.xrange || !o.yrange)
    throw usage_error("a heat map of values without coordinates needs --range xmin:xmax,ymin:ymax");
  Grid g{cell_centres(*o.xrange, side), cell_centres(*o.yrange, side), a.data};
  return g;
}
}  // namespace

Grid grid_from_rows(const Array& a, const Options& o) {
  if (a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[1] == 1))
    return grid_from_values(a, o);
  if (a.shape.size() != 2 || a.shape[1] != 3)
    throw Error("a heat map needs rows (x, y, value) or values alone, got an array of shape " +
                a.shape_str());
  const int64_t n = a.shape[0];
  std::vector<double> xs(static_cast<size_t>(n)), ys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    xs[size_t(i)] = a.data[size_t(3 * i)];
    ys[size_t(i)] = a.data[size_t(3 * i + 1)];
  }
  Grid g{grid_axis(xs, "x"), grid_axis(ys, "y"), {}};
  const size_t nx = g.xs.size(), ny = g.ys.size();
  if (int64_t(nx * ny) != n)
    throw Error("heat map rows (x, y, value) do not fill a grid: " + std::to_string(nx) +
                " x values times " + std::to_string(ny) + " y values is not " + std::to_string(n) +
                " rows");
  g.v.assign(nx * ny, NAN);
  for (int64_t i = 0; i < n; ++i) {
    float& cell = g.v[nearest(g.ys, ys[size_t(i)]) * nx + nearest(g.xs, xs[size_t(i)])];
    if (!std::isnan(cell))
      throw Error("heat map rows (x, y, value): row " + std::to_string(i) +
                  " repeats a grid point");
    cell = a.data[size_t(3 * i + 2)];
  }
  return g;
}

// Robust limits over the finite values: the maximum, and the 1st percentile but no more than
// 10 below the maximum (-inf and +inf then take the lowest and highest colour)
Range value_range(const std::vector<float>& v, const Options& o) {
  std::vector<float> s;
  for (float x : v)
    if (std::isfinite(x)) s.push_back(x);
  if (s.empty()) s.push_back(0);
  std::sort(s.begin(), s.end());
  double hi = o.vmax ? *o.vmax : s.back();
  double lo = o.vmin ? *o.vmin : std::max(double(s[size_t(0.01 * double(s.size() - 1))]), hi - 10);
  if (o.vmin && o.vmax && !(lo < hi)) throw usage_error("--vmin must be below --vmax");
  if (!std::isfinite(hi - lo))  // -1e308..1e308: every cell got the bottom colour
    throw usage_error("the colour scale's span " + std::to_string(lo) + ".." + std::to_string(hi) +
                      " overflows a double; give a narrower --vmin/--vmax");
  if (!(lo < hi)) {
    if (o.vmin)
      hi = lo + 1;
    else
      lo = hi - 1;
  }
  return {lo, hi};
}

// A bitmap over the part of the plot area that the grid covers, each pixel the colour of the
// grid cell its centre falls in (sharp cells at the picture's resolution, in every format)
Picture heatmap(const Grid& g, const Options& o, const Mat* overlay) {
  const size_t nx = g.xs.size();
  auto half_step = [](const std::vector<double>& a) {
    return a.size() > 1 ? 0.5 * (a.back() - a.front()) / double(a.size() - 1) : 0.5;
  };
  const double hx = half_step(g.xs), hy = half_step(g.ys);
  const Range values = value_range(g.v, o);
  const Frame f = layout(o, {g.xs.front() - hx, g.xs.back() + hx},
                         {g.ys.front() - hy, g.ys.back() + hy}, &values, Aspect::shrink);
  const int x0 = std::max(f.x0, int(std::floor(f.px(g.xs.front() - hx) + 0.5))),
            x1 = std::min(f.x1, int(std::floor(f.px(g.xs.back() + hx) + 0.5))),
            y0 = std::max(f.y0, int(std::floor(f.py(g.ys.back() + hy) + 0.5))),
            y1 = std::min(f.y1, int(std::floor(f.py(g.ys.front() - hy) + 0.5)));
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_grid(p, f);
  if (x1 > x0 && y1 > y0) {
    std::vector<float> v(size_t(x1 - x0) * size_t(y1 - y0));
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        v[size_t(y - y0) * size_t(x1 - x0) + size_t(x - x0)] =
            g.v[nearest(g.ys, f.data_y(y + 0.5)) * nx + nearest(g.xs, f.data_x(x + 0.5))];
    std::vector<uint8_t> rgb;
    viridis_pixels(v, values, rgb);
    p.bitmap(x0, y0, x1 - x0, y1 - y0, rgb);
  }
  draw_overlay(p, f, overlay);
  draw_axes(p, f, o);
  draw_colour_bar(p, f, values);
  return pic;
}

}  // namespace flowkit::plot
