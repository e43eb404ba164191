// plot: pictures of points, densities, vector fields, trajectories and images, drawn into
// an RGB buffer. Never reads or writes files: flow-plot reads the stream and writes the PNG.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flowkit/io/array.hpp"
#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"

namespace flowkit::plot {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

// The palette every picture shares.
namespace colour {
constexpr Rgb white{255, 255, 255}, ink{40, 40, 40}, axis{90, 90, 90}, grid{228, 228, 228};
constexpr Rgb points{31, 102, 178}, overlay{230, 97, 0}, path{120, 130, 150};
constexpr Rgb start{31, 102, 178}, end{214, 39, 40}, arrow{25, 60, 120};
}  // namespace colour

// The viridis colour map (perceptually uniform, dark blue to yellow); t is clamped to [0, 1].
Rgb viridis(double t);

// An RGB picture, rows top to bottom, with alpha blending and an optional clip rectangle.
class Canvas {
 public:
  Canvas(int width, int height, Rgb background = colour::white);
  int width() const { return w_; }
  int height() const { return h_; }
  Rgb at(int x, int y) const;
  const std::vector<uint8_t>& pixels() const { return px_; }

  void blend(int x, int y, Rgb c, float alpha);  // outside the canvas or clip: no-op
  void fill_rect(int x0, int y0, int x1, int y1, Rgb c, float alpha = 1);  // [x0, x1) x [y0, y1)
  void line(float x0, float y0, float x1, float y1, Rgb c, float alpha = 1, float width = 1);
  void disc(float cx, float cy, float radius, Rgb c, float alpha = 1);
  // Text with its top-left corner at (x, y), each font pixel drawn as scale x scale.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1);
  void clip(int x0, int y0, int x1, int y1);  // drawing restricted to [x0, x1) x [y0, y1)
  void unclip();

 private:
  int w_, h_;
  int cx0_, cy0_, cx1_, cy1_;
  std::vector<uint8_t> px_;
};

// Size of a line of text in the built-in font (stb_easy_font) at a scale.
int text_width(const std::string& s, int scale = 1);
// The text, cut short with "..." where it is wider than `room` pixels at this scale.
std::string fit_text(const std::string& text, int room, int scale);
int text_height(int scale = 1);

// A closed interval of data values.
struct Range {
  double lo = 0, hi = 1;
};

// Round tick values ("nice numbers": 1, 2, 5 times a power of ten) inside [lo, hi], about
// `target` of them; and their labels, with as many decimals as the step needs.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
std::string tick_label(double v, double step);

// "xmin:xmax,ymin:ymax" (or "lo:hi" for both axes); a usage error when malformed.
std::pair<Range, Range> parse_ranges(const std::string& s);

// What flow-plot draws; the default comes from the array's shape (infer_kind).
enum class Kind { scatter, hist, heatmap, images, traj, quiver };
const ChoiceTable<Kind>& kinds();
Kind infer_kind(const Array& a);

struct Options {
  int width = 640, height = 640;  // not used by image grids: they follow from scale and layout
  std::string title;
  std::optional<Range> xrange, yrange;  // fixed data ranges (automatic when absent)
  std::optional<double> vmin, vmax;     // heat map colour limits (robust when absent)
  int bins = 80;                        // 2-D histogram bins per axis
  int scale = 0;                        // image pixel upscaling (0: automatic)
  int rows = 0, cols = 0;               // image grid layout (0: automatic)
  bool by_label = false;                // image grid: one row per label
  std::string name, overlay_name;       // legend entries when an overlay is drawn
};

// The plot area of a picture and its data ranges: maps data to pixel coordinates.
struct Frame {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // plot area [x0, x1) x [y0, y1) in pixels
  Range x, y;
  int font = 1;  // font scale
  float px(double v) const { return float(x0 + (v - x.lo) / (x.hi - x.lo) * (x1 - x0)); }
  float py(double v) const { return float(y1 - (v - y.lo) / (y.hi - y.lo) * (y1 - y0)); }
  double data_x(double px) const { return x.lo + (px - x0) / (x1 - x0) * (x.hi - x.lo); }
  double data_y(double py) const { return y.lo + (y1 - py) / (y1 - y0) * (y.hi - y.lo); }
};

// How a layout makes one unit as long on both axes: not at all, by widening the narrower
// range (automatic ranges only; fixed ones shrink instead), or by shrinking the plot area
// (unless that would leave a side under a third of its length).
enum class Aspect { free, widen, shrink };
// Lays out a picture with axes: margins for tick labels, the title, and a colour bar for
// `values` when given. Fixed ranges (o.xrange, o.yrange) replace x and y.
Frame layout(const Options& o, Range x, Range y, const Range* values, Aspect aspect);
int font_scale(const Options& o);  // 1 up to 320 pixels, 2 up to 640, ...
// The range of values with a margin of `margin` times their span on both sides.
Range padded_range(const float* v, int64_t n, int64_t stride, double margin = 0.05);

// 2-D kinds. Points are 2 x n batches; `overlay` adds a second point set in another colour.
Canvas scatter(const Mat& points, const Options& o, const Mat* overlay = nullptr);
Canvas histogram(const Mat& points, const Options& o, const Mat* overlay = nullptr);
Canvas quiver(const Mat& xyuv, const Options& o, const Mat* overlay = nullptr);  // 4 x n
// Trajectories (T, n, 2); `times` (T,) name the start and end in the legend.
Canvas trajectories(const Array& traj, const Options& o, const Mat* overlay = nullptr,
                    const Array* times = nullptr);

// Values on a regular grid: v[iy * nx + ix] at (xs[ix], ys[iy]), both increasing.
struct Grid {
  std::vector<double> xs, ys;
  std::vector<float> v;
};
// From rows (x, y, value) in any order, or from values alone (x fastest, then y) over the
// ranges of `o`.
Grid grid_from_rows(const Array& a, const Options& o);
// Colour limits: --vmin/--vmax, else the maximum and max(1st percentile, maximum - 10).
Range value_range(const std::vector<float>& v, const Options& o);
Canvas heatmap(const Grid& g, const Options& o, const Mat* overlay = nullptr);

// Images (n, H, W) or (n, H, W, C), C = 1 or 3, values in [0, 1], as a grid.
struct GridLayout {
  int rows = 0, cols = 0;
  int cell_w = 0, cell_h = 0, gap = 0, scale = 1;
  int x0 = 0, y0 = 0;  // top-left pixel of the first cell
  int width = 0, height = 0;
  int cell_x(int c) const { return x0 + c * (cell_w + gap); }
  int cell_y(int r) const { return y0 + r * (cell_h + gap); }
};
int auto_scale(int64_t h, int64_t w);  // at least 40 pixels for the larger side
Canvas image_grid(const Array& images, const Array* labels, const Options& o,
                  GridLayout* layout = nullptr);
// Image trajectories (T, n, H*W), (T, n, H, W) or (T, n, H, W, C): one row per sample, one
// column per time (about 10 evenly spaced), the times (companion) written above.
Canvas image_trajectories(const Array& traj, const Array* times, const Options& o,
                          GridLayout* layout = nullptr);

// Draws a stream as `kind`, checking shapes and finiteness (clear errors, exit 1).
Canvas render(const Stream& s, Kind kind, const Options& o, const Mat* overlay = nullptr);

}  // namespace flowkit::plot
