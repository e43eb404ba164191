// plot: the kinds of picture, the default kind for an array's shape, and the checks before
// drawing a stream.
#include <cmath>

#include "flowkit/plot/plot.hpp"

namespace flowkit::plot {

const ChoiceTable<Kind>& kinds() {
  static const ChoiceTable<Kind> t = {
      {"scatter", Kind::scatter, "points (n, 2) as translucent dots"},
      {"hist", Kind::hist, "points (n, 2) as a 2-D histogram"},
      {"heatmap", Kind::heatmap, "rows (x, y, value) on a grid, or values (N*N,) with --range"},
      {"images", Kind::images, "images (n, H, W) or (n, H, W, C) in [0, 1] as a grid"},
      {"traj", Kind::traj, "trajectories (T, n, 2) as paths, or image trajectories (T, n, H*W)"},
      {"quiver", Kind::quiver, "rows (x, y, u, v) as arrows"},
      {"lines", Kind::lines, "rows (x, y) as lines, one per label (the companion array), in order of x"}};
  return t;
}

const ChoiceTable<Projection>& projections() {
  static const ChoiceTable<Projection> t = {
      {"flat", Projection::flat, "the plane (default)"},
      {"mollweide", Projection::mollweide, "unit vectors (n, 3) on Mollweide's equal-area ellipse"},
      {"equirect", Projection::equirect, "unit vectors (n, 3) on the longitude-latitude rectangle"},
      {"ortho", Projection::ortho, "unit vectors (n, 3) on a globe: the hemisphere facing --centre"},
      {"torus", Projection::torus, "angles (n, 2) on the square [0, 2 pi)^2, wrapped, paths cut at the seam"}};
  return t;
}

bool sphere_map(Projection p) {
  return p == Projection::mollweide || p == Projection::equirect || p == Projection::ortho;
}

namespace {
bool perfect_square(int64_t v) {
  const int64_t r = std::lround(std::sqrt(double(v)));
  return v >= 4 && r * r == v;
}

Error unknown_shape(const Array& a) {
  return Error(
      "cannot tell what to draw from an array of shape " + a.shape_str() +
      "; expected points (n, 2), rows (x, y, value) (n, 3), arrows (n, 4), images "
      "(n, H, W[, C]) or trajectories (T, n, 2) (flattened images (n, H*W): --kind images)");
}

// Every value finite; the error names the row
void require_finite_array(const Array& a, const char* what) {
  const int64_t per_row = std::max<int64_t>(1, a.row_size());
  for (size_t i = 0; i < a.data.size(); ++i)
    if (!std::isfinite(a.data[i]))
      throw Error(std::string(what) + " holds NaN or Inf (row " +
                  std::to_string(int64_t(i) / per_row) + " of an array of shape " + a.shape_str() +
                  ")");
}

// A heat map's values may be -inf or +inf (a density below or a cost beyond what float holds,
// drawn in the lowest or highest colour); NaN and non-finite coordinates are errors.
void require_heatmap_values(const Array& a) {
  const int64_t per_row = std::max<int64_t>(1, a.row_size());
  for (size_t i = 0; i < a.data.size(); ++i) {
    const bool value = per_row == 1 || int64_t(i) % per_row == per_row - 1;
    if (value ? !std::isnan(a.data[i]) : std::isfinite(a.data[i])) continue;
    throw Error(std::string("the stream holds ") + (value ? "NaN" : "NaN or Inf") + " (row " +
                std::to_string(int64_t(i) / per_row) + " of an array of shape " + a.shape_str() + ")");
  }
}

Mat points_of(const Array& a, int64_t d, const char* what) {
  if (a.shape.size() != 2 || a.shape[1] != d)
    throw Error(std::string(what) + " needs an array of shape (n, " + std::to_string(d) +
                "), got " + a.shape_str());
  return a.points();
}
}  // namespace

Kind infer_kind(const Array& a, Projection p) {
  const auto& s = a.shape;
  if (sphere_map(p)) {
    if (s.size() == 2 && s[1] == 3) return Kind::scatter;
    if (s.size() == 2 && s[1] == 4) return Kind::heatmap;
    if (s.size() == 3 && s[2] == 3) return Kind::traj;
    throw Error("cannot tell what to draw on a sphere map from an array of shape " + a.shape_str() +
                "; expected points (n, 3), rows (x, y, z, value) (n, 4) or trajectories (T, n, 3)");
  }
  switch (s.size()) {
    case 1:
      return Kind::heatmap;
    case 2:
      if (s[1] == 2) return Kind::scatter;
      if (s[1] == 1 || s[1] == 3) return Kind::heatmap;
      if (s[1] == 4) return Kind::quiver;
      throw unknown_shape(a);
    case 3:
      if (s[2] == 2) return Kind::traj;
      if (s[1] == s[2] || !perfect_square(s[2])) return Kind::images;
      return Kind::traj;
    case 4:
      return s[3] == 1 || s[3] == 3 ? Kind::images : Kind::traj;
    case 5:
      return Kind::traj;
    default:
      throw unknown_shape(a);
  }
}

namespace {
// Angles wrapped into [0, 2 pi), every column of an array whose rows hold `d` coordinates
// (a heat map's value, the last of d + 1, stays)
Array wrapped(Array a, int64_t per_row, int64_t d) {
  for (size_t i = 0; i < a.data.size(); ++i)
    if (int64_t(i) % per_row < d) {
      const double w = std::fmod(double(a.data[i]), 2 * M_PI);
      a.data[i] = float(w < 0 ? w + 2 * M_PI : w);
      if (a.data[i] >= float(2 * M_PI)) a.data[i] = 0;  // rounding up to 2 pi is the seam's 0
    }
  return a;
}

// The sphere on a map: points, a density over a latitude-longitude grid, trajectories
Picture render_sphere(const Array& a, Kind kind, const Options& o, const Mat* overlay,
                      const Array* times) {
  const char* name = choice_name(projections(), o.projection);
  if (overlay && overlay->rows() != 3)
    throw Error(std::string("the overlay on a ") + name + " map needs unit vectors (n, 3), got dimension " +
                std::to_string(overlay->rows()));
  switch (kind) {
    case Kind::scatter:
      return sphere_scatter(points_of(a, 3, "points on a sphere map"), o, overlay);
    case Kind::heatmap:
      return sphere_heatmap(a, o, overlay);
    case Kind::traj:
      return sphere_trajectories(a, o, overlay, times);
    default:
      throw usage_error(std::string("a ") + name + " map draws scatter, heatmap or traj, not " +
                        choice_name(kinds(), kind));
  }
}

// The torus's square: the flat pictures of wrapped angles over [0, 2 pi]^2 (unless --range)
Picture render_torus(const Array& a, Kind kind, Options o, const Mat* overlay, const Array* times) {
  const Range square{0, 2 * M_PI};
  if (!o.xrange) o.xrange = square;
  if (!o.yrange) o.yrange = square;
  Mat wrapped_overlay;
  if (overlay) {
    wrapped_overlay = wrapped(Array::from_points(*overlay), 2, 2).points();
    overlay = &wrapped_overlay;
  }
  switch (kind) {
    case Kind::scatter:
      return scatter(points_of(wrapped(a, 2, 2), 2, "a scatter plot"), o, overlay);
    case Kind::hist:
      return histogram(points_of(wrapped(a, 2, 2), 2, "a histogram"), o, overlay);
    case Kind::heatmap:
      if (a.shape.size() != 2 || a.shape[1] != 3)
        throw Error("a heat map on the torus needs rows (phi, psi, value), got " + a.shape_str());
      return heatmap(grid_from_rows(wrapped(a, 3, 2), o), o, overlay);
    case Kind::traj:
      if (a.shape.size() == 3 && a.shape[2] == 2) return trajectories(wrapped(a, 2, 2), o, overlay, times);
      return trajectories(a, o, overlay, times);  // the shape's error
    default:
      throw usage_error(std::string("the torus draws scatter, hist, heatmap or traj, not ") +
                        choice_name(kinds(), kind));
  }
}
}  // namespace

Picture render(const Stream& s, Kind kind, const Options& o, const Mat* overlay) {
  const Array& a = s.main;
  if (a.shape.empty() || a.size() == 0)
    throw Error("nothing to draw: the stream holds an empty array " + a.shape_str());
  if (kind == Kind::heatmap) require_heatmap_values(a);
  else require_finite_array(a, "the stream");
  const Array* companion = s.companion ? &*s.companion : nullptr;
  if (sphere_map(o.projection)) return render_sphere(a, kind, o, overlay, companion);
  if (o.projection == Projection::torus) return render_torus(a, kind, o, overlay, companion);
  if (overlay && overlay->rows() != 2)
    throw Error("the overlay needs points of shape (n, 2), got dimension " +
                std::to_string(overlay->rows()));
  switch (kind) {
    case Kind::scatter:
      return scatter(points_of(a, 2, "a scatter plot"), o, overlay);
    case Kind::hist:
      return histogram(points_of(a, 2, "a histogram"), o, overlay);
    case Kind::quiver:
      return quiver(points_of(a, 4, "a vector field plot (x, y, u, v)"), o, overlay);
    case Kind::lines:
      if (overlay) throw usage_error("a line plot takes no --overlay (give each line a label instead)");
      return lines(points_of(a, 2, "a line plot"), companion, o);
    case Kind::heatmap:
      return heatmap(grid_from_rows(a, o), o, overlay);
    case Kind::images:
      return image_grid(a, companion, o);
    case Kind::traj:
      if (a.shape.size() == 3 && a.shape[2] == 2) return trajectories(a, o, overlay, companion);
      return image_trajectories(a, companion, o);
  }
  throw unknown_shape(a);
}

}  // namespace flowkit::plot
