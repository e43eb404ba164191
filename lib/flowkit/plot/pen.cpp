// plot: the cairo pen: shapes, text in DejaVu Sans (found through fontconfig), bitmaps drawn
// without smoothing; and the viridis colour map.
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <cmath>

#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {

// Viridis at 11 evenly spaced points (matplotlib's table), interpolated linearly
Rgb viridis(double t) {
  static const uint8_t table[11][3] = {{68, 1, 84},    {72, 36, 117},  {65, 68, 135},
                                       {53, 95, 141},  {42, 120, 142}, {33, 145, 140},
                                       {34, 168, 132}, {68, 191, 112}, {122, 209, 81},
                                       {189, 223, 38}, {253, 231, 37}};
  if (!(t > 0)) t = 0;  // NaN too
  if (t > 1) t = 1;
  const double s = t * 10;
  const int i = std::min(int(s), 9);
  const double f = s - i;
  auto mix = [&](int k) {
    return uint8_t(std::lround(table[i][k] + f * (table[i + 1][k] - table[i][k])));
  };
  return {mix(0), mix(1), mix(2)};
}

void viridis_pixels(const std::vector<float>& v, Range values, std::vector<uint8_t>& rgb) {
  rgb.resize(3 * v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const Rgb c = viridis((v[i] - values.lo) / (values.hi - values.lo));
    rgb[3 * i] = c.r;
    rgb[3 * i + 1] = c.g;
    rgb[3 * i + 2] = c.b;
  }
}

namespace {
constexpr const char* kFamily = "DejaVu Sans";

// cairo's toy font API asks fontconfig, which substitutes any installed font for a missing
// family but draws nothing (or boxes) when it knows no font at all: that is an error here.
void require_font() {
  static const bool found = [] {
    if (!FcInit()) return false;
    FcPattern* want = FcNameParse(reinterpret_cast<const FcChar8*>(kFamily));
    FcConfigSubstitute(nullptr, want, FcMatchPattern);
    FcDefaultSubstitute(want);
    FcResult r = FcResultNoMatch;
    FcPattern* got = FcFontMatch(nullptr, want, &r);
    FcChar8* file = nullptr;
    const bool ok = got && FcPatternGetString(got, FC_FILE, 0, &file) == FcResultMatch && file;
    FcPatternDestroy(want);
    if (got) FcPatternDestroy(got);
    return ok;
  }();
  if (!found)
    throw Error(std::string("no font found for the picture's text: fontconfig knows no font (") +
                kFamily + " is in Debian's fonts-dejavu-core)");
}

void set_colour(cairo_t* cr, Rgb c, double alpha) {
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}
}  // namespace

// One set of font options on every surface (no hinting: the widths measured on a scratch
// surface are the widths drawn on any other, at any resolution)
static void setup(cairo_t* cr) {
  require_font();
  cairo_select_font_face(cr, kFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_font_options_t* fo = cairo_font_options_create();
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr, fo);
  cairo_font_options_destroy(fo);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);  // a tick ends where it ends, not inside the area
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
}

Pen::Pen(const Picture& p) : cr_(cairo_create(p.surface())) { setup(cr_); }

Pen::Pen() : scratch_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)), cr_(cairo_create(scratch_)) {
  setup(cr_);
}

Pen::~Pen() {
  cairo_destroy(cr_);
  if (scratch_) cairo_surface_destroy(scratch_);
}

void Pen::rect(double x0, double y0, double x1, double y1, Rgb c, double alpha) {
  set_colour(cr_, c, alpha);
  cairo_rectangle(cr_, x0, y0, x1 - x0, y1 - y0);
  cairo_fill(cr_);
}

void Pen::line(double x0, double y0, double x1, double y1, Rgb c, double width, double alpha) {
  set_colour(cr_, c, alpha);
  cairo_set_line_width(cr_, width);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
}

void Pen::disc(double cx, double cy, double r, Rgb c, double alpha) {
  set_colour(cr_, c, alpha);
  cairo_new_sub_path(cr_);
  cairo_arc(cr_, cx, cy, r, 0, 2 * M_PI);
  cairo_fill(cr_);
}

void Pen::stroke_box(double x0, double y0, double x1, double y1, Rgb c, double width) {
  set_colour(cr_, c, 1);
  cairo_set_line_width(cr_, width);
  cairo_rectangle(cr_, x0, y0, x1 - x0, y1 - y0);
  cairo_stroke(cr_);
}

void Pen::clip(double x0, double y0, double x1, double y1) {
  cairo_reset_clip(cr_);
  cairo_rectangle(cr_, x0, y0, x1 - x0, y1 - y0);
  cairo_clip(cr_);
}

void Pen::unclip() { cairo_reset_clip(cr_); }

double Pen::text_width(const std::string& s, double size) {
  cairo_set_font_size(cr_, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr_, s.c_str(), &e);
  return e.x_advance;
}

// DejaVu Sans's digits are 0.729 em tall: half of that below y puts them centred on it
void Pen::text(double x, double y, const std::string& s, double size, Rgb c, double align,
               bool up) {
  if (s.empty()) return;
  const double w = text_width(s, size);
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  if (up) cairo_rotate(cr_, -M_PI / 2);
  set_colour(cr_, c, 1);
  cairo_move_to(cr_, -align * w, 0.3645 * size);
  cairo_show_text(cr_, s.c_str());
  cairo_restore(cr_);
}

void Pen::bitmap(int x, int y, int w, int h, const std::vector<uint8_t>& rgb) {
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  const int stride = cairo_image_surface_get_stride(img);
  uint8_t* data = cairo_image_surface_get_data(img);
  for (int i = 0; i < h; ++i) {
    auto* row = reinterpret_cast<uint32_t*>(data + size_t(i) * size_t(stride));
    for (int j = 0; j < w; ++j) {
      const uint8_t* p = &rgb[(size_t(i) * size_t(w) + size_t(j)) * 3];
      row[j] = uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
    }
  }
  cairo_surface_mark_dirty(img);
  cairo_set_source_surface(cr_, img, x, y);
  cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_NEAREST);  // PDF: /Interpolate false
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
  cairo_surface_destroy(img);
}

double text_width(const std::string& s, double size) {
  static Pen measure;
  return measure.text_width(s, size);
}

std::string fit_text(const std::string& text, double room, double size) {
  if (text_width(text, size) <= room) return text;
  // The longest prefix that fits with its "...", by bisection: a prefix's width grows with its
  // length (one character at a time from the end took 2 s for a title of 16,000 characters)
  size_t lo = 0, hi = text.size();  // prefix lo fits (or is empty), prefix hi does not
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    (text_width(text.substr(0, mid) + "...", size) <= room ? lo : hi) = mid;
  }
  return text.substr(0, lo) + "...";
}

}  // namespace flowkit::plot
