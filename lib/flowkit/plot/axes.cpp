// plot: nice ticks, ranges, the layout of the plot area, axes, titles and colour bars.
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

int font_scale(const Options& o) {
  return std::clamp((std::min(o.width, o.height) + 319) / 320, 1, 4);
}

// Widest tick label of a range
namespace {
int widest_label(Range r, int font) {
  const auto t = nice_ticks(r.lo, r.hi);
  const double step = t.size() > 1 ? t[1] - t[0] : r.hi - r.lo;
  int w = 0;
  for (double v : t) w = std::max(w, text_width(tick_label(v, step), font));
  return w;
}
int colour_bar_width(Range values, int font) {
  return 22 * font + widest_label(values, font);
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
}  // namespace

// Margins from the labels; then equal units by widening ranges or shrinking the area
Frame layout(const Options& o, Range x, Range y, const Range* values, Aspect aspect) {
  Frame f;
  f.font = font_scale(o);
  const int s = f.font, pad = 8 * s;
  if (o.xrange || o.yrange) {
    if (aspect == Aspect::widen) aspect = Aspect::shrink;
    if (o.xrange) x = *o.xrange;
    if (o.yrange) y = *o.yrange;
  }
  for (int pass = 0; pass < 2; ++pass) {
    f.x0 = pad + widest_label(y, s) + 7 * s;
    f.y0 = o.title.empty() ? pad : 2 * pad + text_height(s + 1);
    f.x1 = o.width - (values ? pad + colour_bar_width(*values, s) : pad + widest_label(x, s) / 2);
    f.y1 = o.height - (pad + text_height(s) + 7 * s);
    if (f.x1 - f.x0 < 20 || f.y1 - f.y0 < 20)
      throw usage_error("picture size " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                        " is too small for the axes and labels");
    f.x = x;
    f.y = y;
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

void draw_grid(Canvas& c, const Frame& f) {
  for (double v : nice_ticks(f.x.lo, f.x.hi)) {
    const int px = int(std::floor(f.px(v)));
    c.fill_rect(px, f.y0, px + 1, f.y1, colour::grid);
  }
  for (double v : nice_ticks(f.y.lo, f.y.hi)) {
    const int py = int(std::floor(f.py(v)));
    c.fill_rect(f.x0, py, f.x1, py + 1, colour::grid);
  }
}

// Box, outward ticks, labels (x centred below, y right-aligned at the left), title
void draw_axes(Canvas& c, const Frame& f, const std::string& title) {
  const int s = f.font, tick = 4 * s, gap = 3 * s;
  c.unclip();
  c.fill_rect(f.x0 - 1, f.y0 - 1, f.x1 + 1, f.y0, colour::axis);
  c.fill_rect(f.x0 - 1, f.y1, f.x1 + 1, f.y1 + 1, colour::axis);
  c.fill_rect(f.x0 - 1, f.y0 - 1, f.x0, f.y1 + 1, colour::axis);
  c.fill_rect(f.x1, f.y0 - 1, f.x1 + 1, f.y1 + 1, colour::axis);
  const auto xt = nice_ticks(f.x.lo, f.x.hi), yt = nice_ticks(f.y.lo, f.y.hi);
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1, ys = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : xt) {
    const int px = int(std::floor(f.px(v)));
    c.fill_rect(px, f.y1 + 1, px + std::max(1, s / 2), f.y1 + 1 + tick, colour::axis);
    const std::string l = tick_label(v, xs);
    c.text(px - text_width(l, s) / 2, f.y1 + 1 + tick + gap, l, colour::ink, s);
  }
  for (double v : yt) {
    const int py = int(std::floor(f.py(v)));
    c.fill_rect(f.x0 - 1 - tick, py, f.x0 - 1, py + std::max(1, s / 2), colour::axis);
    const std::string l = tick_label(v, ys);
    c.text(f.x0 - 1 - tick - gap - text_width(l, s), py - text_height(s) / 2, l, colour::ink, s);
  }
  if (!title.empty()) {
    const int ts = s + 1, room = c.width() - 2 * gap;
    const std::string t = fit_text(title, room, ts);
    const int w = text_width(t, ts);
    const int x = std::clamp((f.x0 + f.x1 - w) / 2, gap, std::max(gap, c.width() - gap - w));
    c.text(x, f.y0 - 8 * s - text_height(ts), t, colour::ink, ts);
  }
}

// The text, cut short with "..." where it is wider than `room` pixels at this scale
std::string fit_text(const std::string& text, int room, int scale) {
  if (text_width(text, scale) <= room) return text;
  std::string t = text;
  while (!t.empty() && text_width(t + "...", scale) > room) t.pop_back();
  return t + "...";
}

// Gradient bar from vmin (bottom) to vmax (top), with ticks and labels at its right
void draw_colour_bar(Canvas& c, const Frame& f, Range values) {
  const int s = f.font, bx0 = f.x1 + 8 * s, bx1 = bx0 + 7 * s;
  c.unclip();
  for (int y = f.y0; y < f.y1; ++y)
    c.fill_rect(bx0, y, bx1, y + 1, viridis((f.y1 - 0.5 - y) / double(f.y1 - f.y0)));
  const auto t = nice_ticks(values.lo, values.hi);
  const double step = t.size() > 1 ? t[1] - t[0] : values.hi - values.lo;
  for (double v : t) {
    const int py =
        int(std::floor(f.y1 - (v - values.lo) / (values.hi - values.lo) * (f.y1 - f.y0)));
    c.fill_rect(bx1, py, bx1 + 3 * s, py + std::max(1, s / 2), colour::axis);
    c.text(bx1 + 5 * s, py - text_height(s) / 2, tick_label(v, step), colour::ink, s);
  }
}

void draw_overlay(Canvas& c, const Frame& f, const Mat* overlay) {
  if (!overlay) return;
  c.clip(f.x0, f.y0, f.x1, f.y1);
  const float r = dot_radius(overlay->cols(), f.font), a = dot_alpha(overlay->cols());
  for (Eigen::Index i = 0; i < overlay->cols(); ++i)
    c.disc(f.px((*overlay)(0, i)), f.py((*overlay)(1, i)), r, colour::overlay, a);
  c.unclip();
}

// Entries stacked on a white panel with a thin border
void draw_legend(Canvas& c, const Frame& f,
                 const std::vector<std::pair<Rgb, std::string>>& entries) {
  const int s = f.font, line = text_height(s) + 5 * s, pad = 5 * s;
  int w = 0;
  for (const auto& e : entries) w = std::max(w, text_width(e.second, s));
  const int x1 = f.x1 - 6 * s, x0 = x1 - (w + 3 * pad + 4 * s), y0 = f.y0 + 6 * s;
  const int y1 = y0 + int(entries.size()) * line + pad;
  c.unclip();
  c.fill_rect(x0, y0, x1, y1, colour::white, 0.85f);
  c.fill_rect(x0, y0, x1, y0 + 1, colour::grid);
  c.fill_rect(x0, y1 - 1, x1, y1, colour::grid);
  c.fill_rect(x0, y0, x0 + 1, y1, colour::grid);
  c.fill_rect(x1 - 1, y0, x1, y1, colour::grid);
  for (size_t i = 0; i < entries.size(); ++i) {
    const int ty = y0 + pad + int(i) * line + 2 * s;
    c.disc(float(x0 + pad + 2 * s), float(ty) + 0.5f * text_height(s), 2.5f * float(s),
           entries[i].first);
    c.text(x0 + 2 * pad + 4 * s, ty, entries[i].second, colour::ink, s);
  }
}

void draw_overlay_legend(Canvas& c, const Frame& f, const Options& o, Rgb main,
                         const Mat* overlay) {
  if (!overlay || (o.name.empty() && o.overlay_name.empty())) return;
  draw_legend(c, f, {{main, o.name}, {colour::overlay, o.overlay_name}});
}

float dot_radius(int64_t n, int font) {
  return (n > 2000 ? 0.9f : n > 200 ? 1.2f : 1.8f) * float(font);
}

float dot_alpha(int64_t n) {
  return std::clamp(2.5f / std::pow(float(std::max<int64_t>(n, 1)), 0.25f), 0.12f, 0.9f);
}

}  // namespace flowkit::plot
