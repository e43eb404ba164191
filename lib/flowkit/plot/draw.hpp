// plot: the cairo pen and the drawing helpers shared by the kinds of picture (internal to the
// plot library). Coordinates are pixels of the picture, y downwards.
#pragma once
#include <cairo.h>

#include "flowkit/plot/plot.hpp"

namespace flowkit::plot {

// Text sizes in points (a pixel size follows from the dpi: pt * dpi / 72).
constexpr double kTickPt = 10, kTitlePt = 12, kLegendPt = 9;
inline double font_px(const Options& o, double pt) { return pt * o.dpi / 72; }

// A cairo context on a picture (or on a scratch surface, to measure text), DejaVu Sans
// selected, anti-aliased. Throws a runtime error when fontconfig finds no font at all.
class Pen {
 public:
  explicit Pen(const Picture& p);
  Pen();  // measures only
  ~Pen();
  Pen(const Pen&) = delete;
  Pen& operator=(const Pen&) = delete;
  cairo_t* cr() const { return cr_; }

  void rect(double x0, double y0, double x1, double y1, Rgb c, double alpha = 1);
  void line(double x0, double y0, double x1, double y1, Rgb c, double width, double alpha = 1);
  void disc(double cx, double cy, double r, Rgb c, double alpha = 1);
  void stroke_box(double x0, double y0, double x1, double y1, Rgb c, double width);
  void clip(double x0, double y0, double x1, double y1);
  void unclip();
  // Text of `size` pixels, anchored at x by `align` (0 left, 0.5 centre, 1 right), its digits
  // centred on y; `up`: rotated to read upwards, (x, y) then its centre.
  void text(double x, double y, const std::string& s, double size, Rgb c, double align = 0,
            bool up = false);
  double text_width(const std::string& s, double size);
  // RGB pixels w x h (rows top to bottom) at (x, y), one picture pixel each, never smoothed
  void bitmap(int x, int y, int w, int h, const std::vector<uint8_t>& rgb);

 private:
  cairo_surface_t* scratch_ = nullptr;
  cairo_t* cr_ = nullptr;
};

// Width of a line of text; the text cut short with "..." to fit `room` pixels.
double text_width(const std::string& s, double size);
std::string fit_text(const std::string& text, double room, double size);

// Light grid lines at the ticks, drawn under the data.
void draw_grid(Pen& p, const Frame& f);
// The box, ticks, tick labels, axis labels and the title, drawn over the data.
void draw_axes(Pen& p, const Frame& f, const Options& o);
// The title centred over the plot area (kept inside the picture); draw_axes draws it too.
void draw_title(Pen& p, const Frame& f, const Options& o);
// A vertical colour bar right of the plot area, with ticks for `values`.
void draw_colour_bar(Pen& p, const Frame& f, Range values);
// A second point set in the overlay colour, clipped to the plot area.
void draw_overlay(Pen& p, const Frame& f, const Mat* overlay);
// A legend in the top-right corner of the plot area: a dot of each colour and its text.
void draw_legend(Pen& p, const Frame& f, const std::vector<std::pair<Rgb, std::string>>& entries);
// The legend of an overlay: the main points' name and the overlay's.
void draw_overlay_legend(Pen& p, const Frame& f, const Options& o, Rgb main, const Mat* overlay);
// The legend of trajectories: start and end (with their times when `times` has T values) and
// the overlay's name.
std::vector<std::pair<Rgb, std::string>> trajectory_legend(const Options& o, const Mat* overlay,
                                                           const Array* times, int64_t T);
// Hairlines a pixel wide at 96 dpi
double hairline(const Frame& f);
// Dot size (pixels at 96 dpi, times dpi / 96) and opacity for n points: smaller and fainter
// as n grows, so that dense clouds show their density.
double dot_radius(int64_t n, const Frame& f);
double dot_alpha(int64_t n);
// Values mapped through viridis into RGB pixels: the colour of v[i] at pixel i.
void viridis_pixels(const std::vector<float>& v, Range values, std::vector<uint8_t>& rgb);

}  // namespace flowkit::plot
