// plot: scatter plots, 2-D histograms, vector fields (quiver) and trajectories.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {
namespace {
Range hull(Range a, Range b) {
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

// Automatic ranges of a 2 x n batch (with an overlay's points, when given)
std::pair<Range, Range> point_ranges(const Mat& p, const Mat* overlay) {
  Range x = padded_range(p.data(), p.cols(), 2), y = padded_range(p.data() + 1, p.cols(), 2);
  if (overlay && overlay->cols() > 0) {
    x = hull(x, padded_range(overlay->data(), overlay->cols(), 2));
    y = hull(y, padded_range(overlay->data() + 1, overlay->cols(), 2));
  }
  return {x, y};
}

void require_2d(const Mat& p, const char* what) {
  if (p.rows() != 2)
    throw Error(std::string(what) + " needs 2-D points, got dimension " + std::to_string(p.rows()));
}
}  // namespace

Picture scatter(const Mat& points, const Options& o, const Mat* overlay) {
  require_2d(points, "a scatter plot");
  const auto [xr, yr] = point_ranges(points, overlay);
  const Frame f = layout(o, xr, yr, nullptr, Aspect::widen);
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_grid(p, f);
  p.clip(f.x0, f.y0, f.x1, f.y1);
  const double r = dot_radius(points.cols(), f), a = dot_alpha(points.cols());
  for (Eigen::Index i = 0; i < points.cols(); ++i)
    p.disc(f.px(points(0, i)), f.py(points(1, i)), r, colour::points, a);
  draw_overlay(p, f, overlay);
  draw_axes(p, f, o);
  draw_overlay_legend(p, f, o, colour::points, overlay);
  return pic;
}

// Counts in square bins over the plot area, coloured from 0 to the largest count: a bitmap
// of the plot area's pixels, each the colour of the bin it falls in
Picture histogram(const Mat& points, const Options& o, const Mat* overlay) {
  require_2d(points, "a histogram");
  if (o.bins < 1 || o.bins > 4096) throw usage_error("--bins must be between 1 and 4096");
  const auto [xr, yr] = point_ranges(points, nullptr);
  Range counts{0, double(std::max<Eigen::Index>(points.cols(), 1))};  // the labels' widest case
  const Frame f = layout(o, xr, yr, &counts, Aspect::widen);
  const int nx = o.bins, w = f.x1 - f.x0, h = f.y1 - f.y0;
  const int ny = std::max(1, int(std::lround(o.bins * double(h) / w)));
  std::vector<float> n(size_t(nx) * size_t(ny), 0.0f);
  for (Eigen::Index i = 0; i < points.cols(); ++i) {
    const double bx = (points(0, i) - f.x.lo) / (f.x.hi - f.x.lo) * nx;
    const double by = (points(1, i) - f.y.lo) / (f.y.hi - f.y.lo) * ny;
    if (bx >= 0 && bx < nx && by >= 0 && by < ny)
      n[size_t(int(by)) * size_t(nx) + size_t(int(bx))] += 1;
  }
  counts.hi = std::max(1.0f, *std::max_element(n.begin(), n.end()));
  std::vector<float> v(size_t(w) * size_t(h));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      v[size_t(y) * size_t(w) + size_t(x)] =
          n[size_t(std::min(ny - 1, (h - 1 - y) * ny / h)) * size_t(nx) +
            size_t(std::min(nx - 1, x * nx / w))];
  std::vector<uint8_t> rgb;
  viridis_pixels(v, counts, rgb);
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  p.bitmap(f.x0, f.y0, w, h, rgb);
  draw_overlay(p, f, overlay);
  draw_axes(p, f, o);
  draw_colour_bar(p, f, counts);
  return pic;
}

// Arrows from (x, y) along (u, v), scaled so that a typical long arrow spans the spacing
// of the points; coloured by speed (up to 85% of the colour scale)
Picture quiver(const Mat& xyuv, const Options& o, const Mat* overlay) {
  if (xyuv.rows() != 4) throw Error("a vector field plot needs rows (x, y, u, v)");
  const Mat xy = xyuv.topRows(2);
  const auto [xr, yr] = point_ranges(xy, overlay);
  std::vector<float> speed(static_cast<size_t>(xyuv.cols()));
  for (Eigen::Index i = 0; i < xyuv.cols(); ++i)
    speed[size_t(i)] = std::hypot(xyuv(2, i), xyuv(3, i));
  std::vector<float> sorted = speed;
  std::sort(sorted.begin(), sorted.end());
  const Range speeds{
      0, std::max(1e-12f, sorted.back()) / 0.85};  // the brightest yellow is unused: faint on white
  const Frame f = layout(o, xr, yr, &speeds, Aspect::widen);
  const double area = double(f.x1 - f.x0) * (f.y1 - f.y0);
  const double spacing_px = std::sqrt(area / double(xyuv.cols())) * 0.9;
  const double typical = std::max(1e-12f, sorted[size_t(0.95 * double(sorted.size() - 1))]);
  const double k = std::min(spacing_px, 0.25 * (f.x1 - f.x0)) / typical;  // pixels per unit speed
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_grid(p, f);
  draw_overlay(p, f, overlay);
  p.clip(f.x0, f.y0, f.x1, f.y1);
  const double w = 0.1 * f.font;
  cairo_t* cr = p.cr();
  for (Eigen::Index i = 0; i < xyuv.cols(); ++i) {
    const double x0 = f.px(xyuv(0, i)), y0 = f.py(xyuv(1, i));
    const double dx = k * xyuv(2, i), dy = -k * xyuv(3, i), len = std::hypot(dx, dy);
    const Rgb col = viridis(speed[size_t(i)] / speeds.hi);
    if (len < 0.5) {
      p.disc(x0, y0, w, col);
      continue;
    }
    // The shaft stops where the head (a filled triangle) begins
    const double head = std::min(0.35 * len, 0.5 * f.font), ux = dx / len, uy = dy / len;
    const double x1 = x0 + dx, y1 = y0 + dy, bx = x1 - head * ux, by = y1 - head * uy;
    p.line(x0, y0, bx, by, col, w);
    cairo_move_to(cr, x1, y1);
    cairo_line_to(cr, bx + 0.4 * head * uy, by - 0.4 * head * ux);
    cairo_line_to(cr, bx - 0.4 * head * uy, by + 0.4 * head * ux);
    cairo_close_path(cr);
    cairo_fill(cr);
  }
  draw_axes(p, f, o);
  draw_colour_bar(p, f, speeds);
  return pic;
}

// Thin paths through the T states of each point, start and end points marked
Picture trajectories(const Array& traj, const Options& o, const Mat* overlay, const Array* times) {
  if (traj.shape.size() != 3 || traj.shape[2] != 2 || traj.shape[0] < 1)
    throw Error("trajectories must have shape (T, n, 2), got " + traj.shape_str());
  const int64_t T = traj.shape[0], n = traj.shape[1];
  const bool torus = o.projection == Projection::torus;  // states wrapped into [0, 2 pi) by render
  Range xr = padded_range(traj.data.data(), T * n, 2),
        yr = padded_range(traj.data.data() + 1, T * n, 2);
  if (overlay && overlay->cols() > 0) {
    const auto [ox, oy] = point_ranges(*overlay, nullptr);
    xr = hull(xr, ox);
    yr = hull(yr, oy);
  }
  const Frame f = layout(o, xr, yr, nullptr, Aspect::widen);
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_grid(p, f);
  p.clip(f.x0, f.y0, f.x1, f.y1);
  auto at = [&](int64_t t, int64_t i, int k) { return traj.data[size_t((t * n + i) * 2 + k)]; };
  const double a = std::clamp(6.0 / std::sqrt(double(std::max<int64_t>(n, 1))), 0.08, 0.8);
  cairo_t* cr = p.cr();
  cairo_set_source_rgba(cr, colour::path.r / 255.0, colour::path.g / 255.0, colour::path.b / 255.0, a);
  cairo_set_line_width(cr, 0.09 * f.font);
  for (int64_t i = 0; i < n; ++i) {  // one path each: overlapping paths darken, joints do not
    cairo_move_to(cr, f.px(at(0, i, 0)), f.py(at(0, i, 1)));
    for (int64_t t = 1; t < T; ++t) {
      const double ax = at(t - 1, i, 0), ay = at(t - 1, i, 1), bx = at(t, i, 0), by = at(t, i, 1);
      if (torus && (std::abs(bx - ax) > M_PI || std::abs(by - ay) > M_PI)) {
        // the step crosses the seam: out through one edge (the shorter way round), in through
        // the opposite one, the square's clip cutting both pieces there
        const double dx = std::remainder(bx - ax, 2 * M_PI), dy = std::remainder(by - ay, 2 * M_PI);
        cairo_line_to(cr, f.px(ax + dx), f.py(ay + dy));
        cairo_move_to(cr, f.px(bx - dx), f.py(by - dy));
      }
      cairo_line_to(cr, f.px(bx), f.py(by));
    }
    cairo_stroke(cr);
  }
  const double r = 1.2 * dot_radius(n, f), da = std::min(1.0, 2 * dot_alpha(n));
  for (int64_t i = 0; i < n; ++i) p.disc(f.px(at(0, i, 0)), f.py(at(0, i, 1)), r, colour::start, da);
  for (int64_t i = 0; i < n; ++i)
    p.disc(f.px(at(T - 1, i, 0)), f.py(at(T - 1, i, 1)), r, colour::end, da);
  draw_overlay(p, f, overlay);
  draw_axes(p, f, o);
  draw_legend(p, f, trajectory_legend(o, overlay, times, T));
  return pic;
}

std::vector<std::pair<Rgb, std::string>> trajectory_legend(const Options& o, const Mat* overlay,
                                                           const Array* times, int64_t T) {
  std::string first = "start", last = "end";
  if (times && times->size() == T) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " (t = %.3g)", double(times->data.front()));
    first += buf;
    std::snprintf(buf, sizeof buf, " (t = %.3g)", double(times->data.back()));
    last += buf;
  }
  std::vector<std::pair<Rgb, std::string>> legend = {{colour::start, first}, {colour::end, last}};
  if (overlay && !o.overlay_name.empty()) legend.emplace_back(colour::overlay, o.overlay_name);
  return legend;
}

}  // namespace flowkit::plot
