// flow-plot: draws a stream (points, densities, vector fields, trajectories, images) into a
// PNG, SVG or PDF file.
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <iostream>

#include "flowkit/cli/cli.hpp"
#include "flowkit/plot/plot.hpp"

using namespace flowkit;

namespace {
struct Flags {
  std::string input = "-", output, kind, range, size, overlay, format, projection, centre;
  bool heatmap = false, quiet = false;
  std::string vmin, vmax;  // numbers, read by draw() (a finite one each)
  plot::Options o;
};

// The overlay: a second point set (n, d), finite (d = 3 on a sphere map, else 2)
Mat read_overlay(const std::string& path, int64_t d) {
  const Array a = read_input(path).main;
  if (a.shape.size() != 2 || a.shape[1] != d)
    throw Error("the overlay " + path + " must hold points of shape (n, " + std::to_string(d) + "), got " +
                a.shape_str());
  const Mat m = a.points();
  require_finite(m, "the overlay " + path);
  return m;
}

// --centre LAT,LON in degrees: latitude in [-90, 90], any finite longitude
std::pair<double, double> parse_centre(const std::string& s) {
  const auto bad = [&] { return usage_error("bad --centre '" + s + "'; expected LAT,LON in degrees, e.g. 30,-20"); };
  const auto comma = s.find(',');
  if (comma == std::string::npos) throw bad();
  double v[2];
  const std::string parts[2] = {s.substr(0, comma), s.substr(comma + 1)};
  for (int k = 0; k < 2; ++k) try {
      size_t used = 0;
      v[k] = std::stod(parts[k], &used);
      if (used != parts[k].size() || !std::isfinite(v[k])) throw bad();
    } catch (const std::logic_error&) {
      throw bad();
    }
  if (std::abs(v[0]) > 90) throw usage_error("bad --centre '" + s + "'; the latitude must be between -90 and 90");
  return {v[0], v[1]};
}

// A flag's value as a finite number (--vmin -inf drew a blank heat map, --vmin nan was ignored).
double finite_number(const std::string& text, const std::string& flag) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::logic_error&) {
  }
  throw usage_error(flag + " must be a finite number, got '" + text + "'");
}

void draw(Flags& f) {
  const plot::Format format = plot::picture_format(f.output, f.format);
  std::string upper = choice_name(plot::formats(), format);
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (f.output == "-" && ::isatty(STDOUT_FILENO))
    throw usage_error("refusing to write a " + upper +
                      " to a terminal; give -o FILE or redirect standard output");
  if (!(f.o.dpi >= 10 && f.o.dpi <= 2400)) throw usage_error("--dpi must be between 10 and 2400");
  if (!f.size.empty()) plot::parse_size(f.size, f.o);
  if (!f.range.empty()) std::tie(f.o.xrange, f.o.yrange) = plot::parse_ranges(f.range);
  if (!f.vmin.empty()) f.o.vmin = finite_number(f.vmin, "--vmin");
  if (!f.vmax.empty()) f.o.vmax = finite_number(f.vmax, "--vmax");
  if (f.heatmap && !f.kind.empty() && f.kind != "heatmap")
    throw usage_error("--heatmap contradicts --kind " + f.kind);
  if (f.heatmap) f.kind = "heatmap";
  if (f.o.scale < 0 || f.o.rows < 0 || f.o.cols < 0)
    throw usage_error("--scale, --rows and --cols must be positive");
  if (!f.projection.empty()) f.o.projection = parse_choice(plot::projections(), f.projection, "projection");
  const bool sphere = plot::sphere_map(f.o.projection);
  if (sphere && !f.range.empty()) throw usage_error("--range does not apply to a sphere map (it shows the whole sphere)");
  if (!f.centre.empty()) {
    if (!sphere) throw usage_error("--centre needs a sphere map: --projection mollweide, equirect or ortho");
    std::tie(f.o.centre_lat, f.o.centre_lon) = parse_centre(f.centre);
  }
  if (f.size.empty() && (f.o.projection == plot::Projection::mollweide ||
                         f.o.projection == plot::Projection::equirect))
    f.o.height = f.o.width * 9 / 16;  // the maps are twice as wide as high
  std::optional<plot::Kind> chosen;
  if (!f.kind.empty()) chosen = parse_choice(plot::kinds(), f.kind, "kind");
  const Stream s = read_input(f.input);
  const plot::Kind kind = chosen ? *chosen : plot::infer_kind(s.main, f.o.projection);
  const Mat overlay = f.overlay.empty() ? Mat() : read_overlay(f.overlay, sphere ? 3 : 2);
  f.o.name = f.input == "-" ? "standard input" : f.input;
  f.o.overlay_name = f.overlay == "-" ? "standard input" : f.overlay;
  const plot::Picture c = plot::render(s, kind, f.o, f.overlay.empty() ? nullptr : &overlay);
  const std::string bytes = plot::encode(c, format);
  cli::write_output(f.output,
                    [&](std::ostream& os) { os.write(bytes.data(), std::streamsize(bytes.size())); });
  cli::Common common;
  common.quiet = f.quiet;
  cli::status(common, "wrote " + f.output + " (" + std::to_string(c.width()) + "x" +
                          std::to_string(c.height()) + " " + upper + ", " + choice_name(plot::kinds(), kind) +
                          " of " + s.main.shape_str() + ")");
}
}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cli::run(
      "flow-plot",
      "Draws a stream into a PNG, SVG or PDF: points, densities, vector fields, trajectories,\n"
      "images. The kind of picture follows from the array's shape unless --kind says:\n" +
          choice_help(plot::kinds()) + "and on which space --projection says:\n" +
          choice_help(plot::projections()),
      argc, argv, [&](CLI::App& app) {
        app.add_option("input", f.input,
                       "input stream: NPY, CSV or JSON ('-' or none: standard input)");
        app.add_option("-o,--output", f.output,
                       "picture to write, its format from its name: .png, .svg or .pdf ('-': "
                       "standard output, never a terminal)")
            ->required();
        app.add_option("-f,--format", f.format,
                       "picture format: " + choice_names(plot::formats()) +
                           " (default: from the name of -o; png for standard output)");
        app.add_option(
            "--kind", f.kind,
            "what to draw: " + choice_names(plot::kinds()) + " (default: from the shape)");
        app.add_flag("--heatmap", f.heatmap, "shorthand for --kind heatmap");
        app.add_option("--title", f.o.title, "title above the picture");
        app.add_option("--xlabel", f.o.xlabel, "label below the x axis");
        app.add_option("--ylabel", f.o.ylabel, "label left of the y axis");
        app.add_option(
            "--range", f.range,
            "fixed data ranges xmin:xmax,ymin:ymax (or lo:hi for both; default: automatic)");
        app.add_option("--size", f.size,
                       "picture size WxH in pixels, or WxHpt, WxHin (default 640x640, 640x360 for "
                       "the mollweide and equirect maps; not for image grids)");
        app.add_option("--dpi", f.o.dpi,
                       "pixels per inch (default 96): text is set in points, and an SVG or PDF "
                       "page is the picture's pixels at this resolution");
        app.add_option("--overlay", f.overlay,
                       "a second point set (n, 2), or (n, 3) on a sphere map, drawn over the picture "
                       "in orange");
        app.add_option("--projection", f.projection,
                       "the space the points live in: " + choice_names(plot::projections()) +
                           " (default flat); sphere maps draw a graticule every 30 degrees");
        app.add_option("--centre", f.centre,
                       "sphere maps: LAT,LON in degrees, the globe's centre and the maps' central "
                       "meridian (default 0,0)");
        app.add_option("--vmin", f.vmin,
                       "heat map: value at the bottom of the colour scale (default: robust)");
        app.add_option("--vmax", f.vmax,
                       "heat map: value at the top of the colour scale (default: the maximum)");
        app.add_option("--bins", f.o.bins, "2-D histogram: bins along x (default 80)");
        app.add_option("--scale", f.o.scale,
                       "images: pixels per image pixel (default: 8x8 images become 40x40)");
        app.add_option("--rows", f.o.rows,
                       "images: rows of the grid (image trajectories: samples shown)");
        app.add_option("--cols", f.o.cols,
                       "images: columns of the grid (image trajectories: times shown)");
        app.add_flag("--by-label", f.o.by_label,
                     "images: one row per label (labels: the stream's companion array)");
        app.add_option("--legend", f.o.legend,
                       "line plot: the lines' names, comma-separated, in the order of their labels");
        app.add_flag("-q,--quiet", f.quiet, "no status line on stderr");
        app.callback([&] { draw(f); });
      });
}
