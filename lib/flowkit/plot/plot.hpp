// plot: pictures of points, densities, vector fields, trajectories and images, drawn through
// cairo and encoded as PNG, SVG or PDF bytes. Never reads or writes files: flow-plot reads
// the stream and writes the picture.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flowkit/io/array.hpp"
#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"

struct _cairo_surface;  // cairo's surface (cairo.h), held by a Picture

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
constexpr Rgb start{31, 102, 178}, end{214, 39, 40};
}  // namespace colour

// The viridis colour map (perceptually uniform, dark blue to yellow); t is clamped to [0, 1].
Rgb viridis(double t);

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
enum class Kind { scatter, hist, heatmap, images, traj, quiver, lines };
const ChoiceTable<Kind>& kinds();

// Curved spaces: maps of unit vectors (n, 3) on the sphere, and the torus's square [0, 2 pi)^2
// with wrap-around (flat: neither).
enum class Projection { flat, mollweide, equirect, ortho, torus };
const ChoiceTable<Projection>& projections();
bool sphere_map(Projection p);  // mollweide, equirect or ortho

// The kind for an array's shape; on a sphere map (n, 3) points, (n, 4) rows (x, y, z, value)
// and (T, n, 3) trajectories.
Kind infer_kind(const Array& a, Projection p = Projection::flat);

struct Options {
  // Pixels (PNG) at `dpi`; SVG and PDF pages are as large in points (72 a inch). Image grids
  // ignore the size: theirs follows from scale and layout.
  int width = 640, height = 640;
  double dpi = 96;  // pixels per inch: text is set in points, so its pixel size follows
  std::string title, xlabel, ylabel;
  std::optional<Range> xrange, yrange;  // fixed data ranges (automatic when absent)
  std::optional<double> vmin, vmax;     // heat map colour limits (robust when absent)
  int bins = 80;                        // 2-D histogram bins per axis
  int scale = 0;                        // image pixel upscaling (0: automatic)
  int rows = 0, cols = 0;               // image grid layout (0: automatic)
  bool by_label = false;                // image grid: one row per label
  std::string name, overlay_name;       // legend entries when an overlay is drawn
  std::string legend;                   // line plot: the lines' names, comma-separated
  Projection projection = Projection::flat;
  double centre_lat = 0, centre_lon = 0;  // sphere maps: the globe's centre, the maps' meridian
};

// "WxH" or "N" (a square) in pixels, or with a unit: "WxHpt", "WxHin" (at o.dpi); sets
// o.width and o.height (64 to 8192 pixels a side) or throws a usage error.
void parse_size(const std::string& s, Options& o);

// A drawn picture: cairo's record of the drawing, replayed into pixels or a vector page.
class Picture {
 public:
  Picture(int width, int height, double dpi);  // a white page of width x height pixels
  int width() const { return w_; }
  int height() const { return h_; }
  double dpi() const { return dpi_; }
  _cairo_surface* surface() const { return rec_.get(); }

 private:
  std::shared_ptr<_cairo_surface> rec_;
  int w_, h_;
  double dpi_;
};

// A picture's pixels, RGB rows top to bottom.
struct Raster {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(int x, int y) const;
};
Raster rasterize(const Picture& p);

// Output formats; the bytes of a picture in one of them (PNG through stb_image_write, SVG and
// PDF through cairo, pages of width x height pixels at the picture's dpi).
enum class Format { png, svg, pdf };
const ChoiceTable<Format>& formats();
std::string encode(const Picture& p, Format f);
// The format a file's name asks for (".png", ".svg", ".pdf", any case); nothing for a name
// without one of these endings.
std::optional<Format> format_of_name(const std::string& path);
// The format to write `path` in ("-": standard output): `flag` (-f) when given, which a name
// with another known ending contradicts; else the name's; else `fallback`, or a usage error
// naming the endings when there is none.
Format picture_format(const std::string& path, const std::string& flag,
                      std::optional<Format> fallback = std::nullopt);

// The plot area of a picture and its data ranges: maps data to pixel coordinates.
struct Frame {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // plot area [x0, x1] x [y0, y1] in pixels
  Range x, y;
  double font = 13;  // tick labels' size in pixels
  double px(double v) const { return x0 + (v - x.lo) / (x.hi - x.lo) * (x1 - x0); }
  double py(double v) const { return y1 - (v - y.lo) / (y.hi - y.lo) * (y1 - y0); }
  double data_x(double px) const { return x.lo + (px - x0) / (x1 - x0) * (x.hi - x.lo); }
  double data_y(double py) const { return y.lo + (y1 - py) / (y1 - y0) * (y.hi - y.lo); }
};

// How a layout makes one unit as long on both axes: not at all, by widening the narrower
// range (automatic ranges only; fixed ones shrink instead), or by shrinking the plot area
// (unless that would leave a side under a quarter of its length).
enum class Aspect { free, widen, shrink };
// Lays out a picture with axes: margins for tick labels, axis labels, the title, and a colour
// bar for `values` when given. Fixed ranges (o.xrange, o.yrange) replace x and y.
Frame layout(const Options& o, Range x, Range y, const Range* values, Aspect aspect);
// The range of values with a margin of `margin` times their span on both sides.
Range padded_range(const float* v, int64_t n, int64_t stride, double margin = 0.05);

// 2-D kinds. Points are 2 x n batches; `overlay` adds a second point set in another colour.
Picture scatter(const Mat& points, const Options& o, const Mat* overlay = nullptr);
Picture histogram(const Mat& points, const Options& o, const Mat* overlay = nullptr);
Picture quiver(const Mat& xyuv, const Options& o, const Mat* overlay = nullptr);  // 4 x n
// Trajectories (T, n, 2); `times` (T,) name the start and end in the legend.
Picture trajectories(const Array& traj, const Options& o, const Mat* overlay = nullptr,
                     const Array* times = nullptr);

// A line chart of rows (x, y) (2 x n): one line per label (`labels`: one whole number per
// row, or none: one line), each through its rows in order of x, its points marked, named in a
// legend by o.legend (or "label K").
Picture lines(const Mat& xy, const Array* labels, const Options& o);

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
Picture heatmap(const Grid& g, const Options& o, const Mat* overlay = nullptr);

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
Picture image_grid(const Array& images, const Array* labels, const Options& o,
                   GridLayout* layout = nullptr);
// Image trajectories (T, n, H*W), (T, n, H, W) or (T, n, H, W, C): one row per sample, one
// column per time (about 10 evenly spaced), the times (companion) written above.
Picture image_trajectories(const Array& traj, const Array* times, const Options& o,
                           GridLayout* layout = nullptr);

// The sphere on a map (o.projection): points 3 x n, values over a latitude-longitude grid
// (rows (x, y, z, value) of every cell centre, as `flow-data grid --sphere` makes them),
// trajectories (T, n, 3) cut where they leave the map (the globe's far side, the maps' edge).
Picture sphere_scatter(const Mat& points, const Options& o, const Mat* overlay = nullptr);
Picture sphere_heatmap(const Array& rows, const Options& o, const Mat* overlay = nullptr);
Picture sphere_trajectories(const Array& traj, const Options& o, const Mat* overlay = nullptr,
                            const Array* times = nullptr);

// Draws a stream as `kind`, checking shapes and finiteness (clear errors, exit 1).
Picture render(const Stream& s, Kind kind, const Options& o, const Mat* overlay = nullptr);

}  // namespace flowkit::plot
