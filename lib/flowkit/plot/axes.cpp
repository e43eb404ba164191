// plot: nice ticks, ranges, the layout of the plot area, axes, titles, colour bars, legends.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {

// Steps of 1, 2 or 5 times a power of ten
std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double raw = (hi - lo) / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const double eps = 1e-9 * (hi - lo);
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1) {
    const double v = k * step;
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string tick_label(double v, double step) {
  char buf[64];
  const double big = std::max(std::abs(v), step);
  if (big >= 1e6 || step < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    const int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // "-0.0"
  return s;
}

// "lo:hi" parsed strictly as two finite numbers with lo < hi
namespace {
Range parse_one(const std::string& s, const std::string& whole) {
  const auto colon = s.find(':');
  auto bad = [&] {
    return usage_error("bad range '" + whole + "'; expected xmin:xmax,ymin:ymax or lo:hi");
  };
  if (colon == std::string::npos) throw bad();
  Range r;
  try {
    size_t used = 0;
    const std::string a = s.substr(0, colon), b = s.substr(colon + 1);
    r.lo = std::stod(a, &used);
    if (used != a.size()) throw bad();
    r.hi = std::stod(b, &used);
    if (used != b.size()) throw bad();
  } catch (const std::logic_error&) {
    throw bad();
  }
  if (!std::isfinite(r.lo) || !std::isfinite(r.hi) || !(r.lo < r.hi))
    throw usage_error("bad range '" + whole + "'; each lower end must be below the upper end");
  return r;
}
}  // namespace

std::pair<Range, Range> parse_ranges(const std::string& s) {
  const auto comma = s.find(',');
  if (comma == std::string::npos) {
    const Range r = parse_one(s, s);
    return {r, r};
  }
  return {parse_one(s.substr(0, comma), s), parse_one(s.substr(comma + 1), s)};
}

Range padded_range(const float* v, int64_t n, int64_t stride, double margin) {
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, double(v[i * stride]));
    hi = std::max(hi, double(v[i * stride]));
  }
  if (!(hi >= lo)) return {0, 1};
  const double span = hi > lo ? hi - lo : std::max(1.0, std::abs(lo));
  return {lo - margin * span, hi + margin * span};
}

// Widest tick label of a range
namespace {
double widest_label(Range r, double font) {
  const auto t = nice_ticks(r.lo, r.hi);
  const double step = t.size() > 1 ? t[1] - t[0] : r.hi - r.lo;
  double w = 0;
  for (double v : t) w = std::max(w, text_width(tick_label(v, step), font));
  return w;
}

// The colour bar's offset from the plot area, its width and its tick length, in pixels
struct BarSize {
  double gap, width, tick;
};
BarSize bar_size(double font) {
  return {1.2 * font, 1.1 * font, 0.35 * font};
}
double colour_bar_width(Range values, double font) {
  const BarSize b = bar_size(font);
  return b.gap + b.width + b.tick + 0.3 * font + widest_label(values, font);
}
}  // namespace

// Equal units on both axes unless that would squeeze one axis more than this: data on very
// different scales (x in thousands, y in units) gets one scale per axis instead of a line.
constexpr double kMaxAspect = 4;

// Shrinks the plot area around its centre so that one unit is as long on both axes
namespace {
void shrink_to_aspect(Frame& f) {
  const double w = f.x1 - f.x0, h = f.y1 - f.y0;
  const double u = std::max((f.x.hi - f.x.lo) / w, (f.y.hi - f.y.lo) / h);
  const int nw = int(std::lround((f.x.hi - f.x.lo) / u)),
            nh = int(std::lround((f.y.hi - f.y.lo) / u));
  if (nw < w / kMaxAspect || nh < h / kMaxAspect) return;  // scales too different: one each
  f.x0 += (int(w) - nw) / 2;
  f.x1 = f.x0 + nw;
  f.y0 += (int(h) - nh) / 2;
  f.y1 = f.y0 + nh;
}

// Margins (pixels) around the plot area for the labels of these ranges
void place_area(Frame& f, const Options& o, const Range* values) {
  const double s = f.font, pad = 0.8 * s, tick = 0.4 * s, gap = 0.3 * s;
  const double label = o.ylabel.empty() ? 0 : 1.3 * s;
  f.x0 = int(std::ceil(pad + label + widest_label(f.y, s) + tick + gap));
  f.y0 = int(std::ceil(o.title.empty() ? pad + 0.5 * s : 2 * pad + font_px(o, kTitlePt)));
  f.x1 = int(o.width - std::ceil(values ? pad + colour_bar_width(*values, s)
                                        : pad + widest_label(f.x, s) / 2));
  f.y1 = int(o.height - std::ceil(pad + s + tick + gap + (o.xlabel.empty() ? 0 : 1.3 * s)));
  if (f.x1 - f.x0 < 20 || f.y1 - f.y0 < 20)
    throw usage_error("picture size " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                      " is too small for the axes and labels");
}
}  // namespace

// Margins from the labels; then equal units by widening ranges or shrinking the area
Frame layout(const Options& o, Range x, Range y, const Range* values, Aspect aspect) {
  Frame f;
  f.font = font_px(o, kTickPt);
  if (o.xrange || o.yrange) {
    if (aspect == Aspect::widen) aspect = Aspect::shrink;
    if (o.xrange) x = *o.xrange;
    if (o.yrange) y = *o.yrange;
  }
  for (int pass = 0; pass < 2; ++pass) {
    f.x = x;
    f.y = y;
    place_area(f, o, values);
    if (aspect != Aspect::widen) break;
    const double ux = (x.hi - x.lo) / (f.x1 - f.x0), uy = (y.hi - y.lo) / (f.y1 - f.y0);
    if (std::max(ux, uy) > kMaxAspect * std::min(ux, uy)) break;  // scales too different: one each
    const double u = std::max(ux, uy), cx = 0.5 * (x.lo + x.hi), cy = 0.5 * (y.lo + y.hi);
    x = {cx - 0.5 * u * (f.x1 - f.x0), cx + 0.5 * u * (f.x1 - f.x0)};
    y = {cy - 0.5 * u * (f.y1 - f.y0), cy + 0.5 * u * (f.y1 - f.y0)};
    f.x = x;
    f.y = y;
  }
  if (aspect == Aspect::shrink) shrink_to_aspect(f);
  return f;
}

// Hairlines a pixel wide at 96 dpi, on pixel centres so that they stay sharp in a PNG
double hairline(const Frame& f) {
  return std::max(1.0, std::round(f.font / 13.3));
}
namespace {
double crisp(double v, const Frame& f) {
  return int(hairline(f)) % 2 ? std::floor(v) + 0.5 : std::round(v);
}
}  // namespace

void draw_grid(Pen& p, const Frame& f) {
  const double w = hairline(f);
  for (double v : nice_ticks(f.x.lo, f.x.hi))
    p.line(crisp(f.px(v), f), f.y0, crisp(f.px(v), f), f.y1, colour::grid, w);
  for (double v : nice_ticks(f.y.lo, f.y.hi))
    p.line(f.x0, crisp(f.py(v), f), f.x1, crisp(f.py(v), f), colour::grid, w);
}

// Box, outward ticks, labels (x centred below, y right-aligned at the left), axis labels,
// title centred over the plot area (kept inside the picture)
void draw_axes(Pen& p, const Frame& f, const Options& o) {
  const double s = f.font, tick = 0.4 * s, gap = 0.3 * s, w = hairline(f);
  p.unclip();
  const double e = int(w) % 2 ? 0.5 : 0;
  p.stroke_box(f.x0 - e, f.y0 - e, f.x1 + e, f.y1 + e, colour::axis, w);
  const auto xt = nice_ticks(f.x.lo, f.x.hi), yt = nice_ticks(f.y.lo, f.y.hi);
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1, ys = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : xt) {
    const double px = crisp(f.px(v), f);
    p.line(px, f.y1, px, f.y1 + tick, colour::axis, w);
    p.text(px, f.y1 + tick + gap + 0.5 * s, tick_label(v, xs), s, colour::ink, 0.5);
  }
  for (double v : yt) {
    const double py = crisp(f.py(v), f);
    p.line(f.x0 - tick, py, f.x0, py, colour::axis, w);
    p.text(f.x0 - tick - gap, py, tick_label(v, ys), s, colour::ink, 1);
  }
  const double room = o.width - 2 * gap;
  if (!o.xlabel.empty())
    p.text(0.5 * (f.x0 + f.x1), f.y1 + tick + gap + 1.9 * s, fit_text(o.xlabel, room, s), s,
           colour::ink, 0.5);
  if (!o.ylabel.empty())
    p.text(1.45 * s, 0.5 * (f.y0 + f.y1), fit_text(o.ylabel, o.height - 2 * gap, s), s,
           colour::ink, 0.5, true);
  draw_title(p, f, o);
}

void draw_title(Pen& p, const Frame& f, const Options& o) {
  if (o.title.empty()) return;
  const double s = f.font, gap = 0.3 * s, ts = font_px(o, kTitlePt);
  const std::string t = fit_text(o.title, o.width - 2 * gap, ts);
  const double tw = text_width(t, ts);
  const double x = std::clamp(0.5 * (f.x0 + f.x1 - tw), gap, std::max(gap, o.width - gap - tw));
  p.text(x, f.y0 - 0.8 * s - 0.5 * ts, t, ts, colour::ink);
}

// Gradient bar from vmin (bottom) to vmax (top), with ticks and labels at its right: viridis's
// 11 points as the stops of a linear gradient (the same colours as viridis(), and a real
// gradient in SVG and PDF)
void draw_colour_bar(Pen& p, const Frame& f, Range values) {
  const BarSize b = bar_size(f.font);
  const double bx0 = f.x1 + b.gap, bx1 = bx0 + b.width, w = hairline(f);
  p.unclip();
  cairo_t* cr = p.cr();
  cairo_pattern_t* g = cairo_pattern_create_linear(0, f.y1, 0, f.y0);
  for (int i = 0; i <= 10; ++i) {
    const Rgb c = viridis(i / 10.0);
    cairo_pattern_add_color_stop_rgb(g, i / 10.0, c.r / 255.0, c.g / 255.0, c.b / 255.0);
  }
  cairo_set_source(cr, g);
  cairo_rectangle(cr, bx0, f.y0, bx1 - bx0, f.y1 - f.y0);
  cairo_fill(cr);
  cairo_pattern_destroy(g);
  const auto t = nice_ticks(values.lo, values.hi);
  const double step = t.size() > 1 ? t[1] - t[0] : values.hi - values.lo;
  for (double v : t) {
    const double py = crisp(f.y1 - (v - values.lo) / (values.hi - values.lo) * (f.y1 - f.y0), f);
    p.line(bx1, py, bx1 + b.tick, py, colour::axis, w);
    p.text(bx1 + b.tick + 0.3 * f.font, py, tick_label(v, step), f.font, colour::ink);
  }
}

void draw_overlay(Pen& p, const Frame& f, const Mat* overlay) {
  if (!overlay) return;
  p.clip(f.x0, f.y0, f.x1, f.y1);
  const double r = dot_radius(overlay->cols(), f), a = dot_alpha(overlay->cols());
  for (Eigen::Index i = 0; i < overlay->cols(); ++i)
    p.disc(f.px((*overlay)(0, i)), f.py((*overlay)(1, i)), r, colour::overlay, a);
  p.unclip();
}

// Entries stacked on a white panel with a thin border
void draw_legend(Pen& p, const Frame& f, const std::vector<std::pair<Rgb, std::string>>& entries) {
  const double s = f.font * kLegendPt / kTickPt, line = 1.5 * s, pad = 0.6 * s, dot = 0.35 * s;
  double w = 0;
  for (const auto& e : entries) w = std::max(w, text_width(e.second, s));
  const double x1 = f.x1 - 0.6 * s, x0 = x1 - (w + 3 * pad + 2 * dot), y0 = f.y0 + 0.6 * s;
  const double y1 = y0 + double(entries.size()) * line + pad;
  p.unclip();
  p.rect(x0, y0, x1, y1, colour::white, 0.85);
  p.stroke_box(x0, y0, x1, y1, colour::grid, hairline(f));
  for (size_t i = 0; i < entries.size(); ++i) {
    const double ty = y0 + pad + (double(i) + 0.5) * line - 0.1 * s;
    p.disc(x0 + pad + dot, ty, dot, entries[i].first);
    p.text(x0 + 2 * pad + 2 * dot, ty, entries[i].second, s, colour::ink);
  }
}

void draw_overlay_legend(Pen& p, const Frame& f, const Options& o, Rgb main, const Mat* overlay) {
  if (!overlay || (o.name.empty() && o.overlay_name.empty())) return;
  draw_legend(p, f, {{main, o.name}, {colour::overlay, o.overlay_name}});
}

double dot_radius(int64_t n, const Frame& f) {
  return (n > 2000 ? 1.6 : n > 200 ? 2.2 : 3.2) * f.font / 13.33;
}

double dot_alpha(int64_t n) {
  return std::clamp(2.5 / std::pow(double(std::max<int64_t>(n, 1)), 0.25), 0.12, 0.9);
}

}  // namespace flowkit::plot
