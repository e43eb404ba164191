// plot: pictures (cairo recording surfaces) and their output: pixels, PNG, SVG and PDF bytes;
// the format a file name asks for; picture sizes in pixels, points or inches.
#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <algorithm>
#include <cmath>

#include "flowkit/io/png.hpp"
#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {

const ChoiceTable<Format>& formats() {
  static const ChoiceTable<Format> t = {
      {"png", Format::png, "pixels (the default for standard output)"},
      {"svg", Format::svg, "vector graphics for the web and slides"},
      {"pdf", Format::pdf, "vector graphics for papers (one page)"}};
  return t;
}

std::optional<Format> format_of_name(const std::string& path) {
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || path.find('/', dot) != std::string::npos) return std::nullopt;
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& c : formats())
    if (ext == c.name) return c.value;
  return std::nullopt;
}

Format picture_format(const std::string& path, const std::string& flag,
                      std::optional<Format> fallback) {
  const std::optional<Format> named = path == "-" ? std::nullopt : format_of_name(path);
  if (!flag.empty()) {
    const Format f = parse_choice(formats(), flag, "picture format");
    if (named && *named != f)
      throw usage_error("-f " + flag + " contradicts the name of the output " + path);
    return f;
  }
  if (named) return *named;
  if (path == "-") return Format::png;
  if (fallback) return *fallback;
  throw usage_error("cannot tell the picture format from the name " + path +
                    "; end it in .png, .svg or .pdf, or give -f png|svg|pdf");
}

// "640x480", "640", "360x270pt", "5x4in"
void parse_size(const std::string& s, Options& o) {
  std::string num = s;
  double unit = 1;  // pixels per unit
  for (const auto& [suffix, per] : {std::pair<const char*, double>{"px", 1}, {"pt", o.dpi / 72}, {"in", o.dpi}}) {
    const std::string u = suffix;
    if (num.size() > u.size() && num.compare(num.size() - u.size(), u.size(), u) == 0) {
      num.resize(num.size() - u.size());
      unit = per;
      break;
    }
  }
  const auto x = num.find('x');
  double w = 0, h = 0;
  try {
    size_t used = 0;
    const std::string a = num.substr(0, x), b = x == std::string::npos ? a : num.substr(x + 1);
    w = std::stod(a, &used);
    if (used != a.size()) throw std::invalid_argument(s);
    h = std::stod(b, &used);
    if (used != b.size()) throw std::invalid_argument(s);
  } catch (const std::logic_error&) {
    throw usage_error("bad --size '" + s + "'; expected WxH in pixels, e.g. 640x480, or 360x270pt, 5x4in");
  }
  const double pw = std::round(w * unit), ph = std::round(h * unit);
  if (!(pw >= 64 && ph >= 64 && pw <= 8192 && ph <= 8192))
    throw usage_error("--size " + s + " is out of range (64 to 8192 pixels a side at " +
                      std::to_string(int(o.dpi)) + " dpi)");
  o.width = int(pw);
  o.height = int(ph);
}

Picture::Picture(int width, int height, double dpi) : w_(width), h_(height), dpi_(dpi) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    throw Error("picture size " + std::to_string(width) + "x" + std::to_string(height) +
                " is out of range (1 to 16384 pixels a side)");
  const cairo_rectangle_t extents{0, 0, double(width), double(height)};
  rec_.reset(cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents),
             cairo_surface_destroy);
  Pen(*this).rect(0, 0, width, height, colour::white);
}

Rgb Raster::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= width || y >= height) throw Error("pixel outside the picture");
  const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
  return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

namespace {
void check(cairo_status_t s, const char* what) {
  if (s != CAIRO_STATUS_SUCCESS)
    throw Error(std::string("cairo could not draw the ") + what + ": " + cairo_status_to_string(s));
}

// Replays the picture onto a surface, scaled by `k`, and flushes it (finishing a vector
// surface writes its last bytes; an image surface keeps its pixels until destroyed)
void replay(const Picture& p, cairo_surface_t* target, double k, const char* what) {
  cairo_t* cr = cairo_create(target);
  cairo_scale(cr, k, k);
  cairo_set_source_surface(cr, p.surface(), 0, 0);
  cairo_paint(cr);
  const cairo_status_t s = cairo_status(cr);
  cairo_destroy(cr);
  if (cairo_surface_get_type(target) == CAIRO_SURFACE_TYPE_IMAGE)
    cairo_surface_flush(target);
  else
    cairo_surface_finish(target);
  check(s, what);
  check(cairo_surface_status(target), what);
}

cairo_status_t append(void* out, const unsigned char* data, unsigned int n) {
  static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), n);
  return CAIRO_STATUS_SUCCESS;
}
}  // namespace

Raster rasterize(const Picture& p) {
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p.width(), p.height());
  Raster r{p.width(), p.height(), std::vector<uint8_t>(size_t(p.width()) * size_t(p.height()) * 3)};
  try {
    replay(p, img, 1, "picture");
  } catch (...) {
    cairo_surface_destroy(img);
    throw;
  }
  const int stride = cairo_image_surface_get_stride(img);
  const uint8_t* data = cairo_image_surface_get_data(img);
  for (int y = 0; y < p.height(); ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + size_t(y) * size_t(stride));
    for (int x = 0; x < p.width(); ++x) {
      uint8_t* o = &r.rgb[(size_t(y) * size_t(p.width()) + size_t(x)) * 3];
      o[0] = uint8_t(row[x] >> 16);
      o[1] = uint8_t(row[x] >> 8);
      o[2] = uint8_t(row[x]);
    }
  }
  cairo_surface_destroy(img);
  return r;
}

std::string encode(const Picture& p, Format f) {
  if (f == Format::png) {
    const Raster r = rasterize(p);
    return encode_png(r.rgb.data(), r.width, r.height, 3);
  }
  std::string out;
  const double k = 72 / p.dpi(), w = p.width() * k, h = p.height() * k;
  cairo_surface_t* s = f == Format::svg ? cairo_svg_surface_create_for_stream(append, &out, w, h)
                                        : cairo_pdf_surface_create_for_stream(append, &out, w, h);
  if (f == Format::pdf) cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "flowkit");
  try {
    replay(p, s, k, choice_name(formats(), f));
  } catch (...) {
    cairo_surface_destroy(s);
    throw;
  }
  cairo_surface_destroy(s);
  return out;
}

}  // namespace flowkit::plot
