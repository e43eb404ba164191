// plot: grids of images (optionally one row per label) and image trajectories.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {
namespace {
struct ImageShape {
  int64_t h = 0, w = 0, c = 1;
  int64_t size() const { return h * w * c; }
};

// (H, W) or (H, W, C) from the trailing dimensions of an array
ImageShape image_shape(const std::vector<int64_t>& dims, const std::string& shape_str) {
  ImageShape s;
  if (dims.size() == 1) {  // flattened square images
    s.h = s.w = std::lround(std::sqrt(double(dims[0])));
    if (s.h * s.w != dims[0])
      throw Error("flattened images must be square (H*W pixels), got an array of shape " +
                  shape_str);
  } else if (dims.size() == 2 || dims.size() == 3) {
    s.h = dims[0];
    s.w = dims[1];
    s.c = dims.size() == 3 ? dims[2] : 1;
  } else {
    throw Error("cannot draw an array of shape " + shape_str + " as images");
  }
  if (s.c != 1 && s.c != 3)
    throw Error("images must have 1 (grey) or 3 (RGB) channels, got an array of shape " +
                shape_str);
  if (s.h < 1 || s.w < 1)
    throw Error("images must not be empty, got an array of shape " + shape_str);
  return s;
}

// One image at (x, y), each pixel an exact scale x scale block (upscaled here, so that no
// viewer smooths it at 100%), values clamped to [0, 1]
void draw_image(Pen& p, int x, int y, const float* img, const ImageShape& s, int scale) {
  auto byte = [](float v) { return uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255)); };
  const int w = int(s.w) * scale, h = int(s.h) * scale;
  std::vector<uint8_t> rgb(size_t(w) * size_t(h) * 3);
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < w; ++j) {
      const float* v = img + ((i / scale) * s.w + j / scale) * s.c;
      for (int k = 0; k < 3; ++k)
        rgb[(size_t(i) * size_t(w) + size_t(j)) * 3 + size_t(k)] = byte(v[s.c == 1 ? 0 : k]);
    }
  p.bitmap(x, y, w, h, rgb);
}

// Text size of labels and times: 10 pt, smaller when the cells are small
double label_font(const GridLayout& g, const Options& o) {
  return std::min(font_px(o, kTickPt), std::max(7.0, 0.6 * g.cell_h));
}

// The largest picture of images drawn (a quarter of 16384 x 16384)
constexpr int64_t kMaxPixels = int64_t(16384) * 16384 / 4;
constexpr int64_t kMaxTitleWidth = 1600;  // pixels a title may widen a grid to

// Cell sizes, gap and the outer frame, leaving room for a label column and a header
GridLayout make_layout(const ImageShape& s, int rows, int cols, const Options& o, double label_w,
                       double header_h) {
  GridLayout g;
  g.rows = rows;
  g.cols = cols;
  g.scale = o.scale > 0 ? o.scale : auto_scale(s.h, s.w);
  if (g.scale > 64) throw usage_error("--scale must be at most 64");
  g.cell_w = int(s.w) * g.scale;
  g.cell_h = int(s.h) * g.scale;
  g.gap = std::max(2, std::min(g.cell_w, g.cell_h) / 10);
  const double title = font_px(o, kTitlePt);
  const int title_h = o.title.empty() ? 0 : int(std::ceil(title)) + 2 * g.gap;
  g.x0 = g.gap + (label_w > 0 ? int(std::ceil(label_w)) + 2 * g.gap : 0);
  g.y0 = g.gap + title_h + int(std::ceil(header_h));
  int64_t width = g.x0 + int64_t(cols) * (g.cell_w + g.gap), height = g.y0 + int64_t(rows) * (g.cell_h + g.gap);
  // A long title widens a narrow grid up to kMaxTitleWidth pixels, and is cut with "..." beyond
  if (!o.title.empty())
    width = std::max<int64_t>(width, std::min<int64_t>(kMaxTitleWidth, int64_t(std::ceil(text_width(o.title, title))) + 2 * g.gap));
  if (width * height > kMaxPixels)
    throw usage_error("the image grid would be " + std::to_string(width) + "x" + std::to_string(height) +
                      " pixels; use fewer --rows/--cols or a smaller --scale");
  g.width = int(width);
  g.height = int(height);
  return g;
}

void draw_title(Pen& p, const GridLayout& g, const Options& o) {
  const double size = font_px(o, kTitlePt);
  if (!o.title.empty()) p.text(g.gap, g.gap + 0.5 * size, fit_text(o.title, g.width - 2 * g.gap, size), size, colour::ink);
}

std::string label_text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::round(v) ? "%.0f" : "%.3g", double(v));
  return buf;
}

// Which image goes in which cell (-1: empty), row by row, and the rows' labels
struct CellOrder {
  int rows = 0, cols = 0;
  std::vector<int64_t> idx;
  std::vector<std::string> labels;
};

// A grid of more cells than the largest picture has room for (a 3 x 3 pixel cell at least) is
// refused before its table of cells is made
void check_cells(int64_t rows, int64_t cols) {
  if (rows * cols > kMaxPixels / 9)
    throw usage_error("the image grid would have " + std::to_string(rows) + "x" + std::to_string(cols) +
                      " cells; use fewer --rows/--cols");
}

// In stream order: the first 100 in a square grid, or as --rows/--cols say
CellOrder plain_order(int64_t n, const Options& o) {
  CellOrder c;
  const int64_t m = std::min<int64_t>(n, 100);
  c.cols = o.cols > 0   ? o.cols
           : o.rows > 0 ? int((n + o.rows - 1) / o.rows)
                        : int(std::ceil(std::sqrt(double(m))));
  c.rows = o.rows > 0 ? o.rows : int(((o.cols > 0 ? n : m) + c.cols - 1) / c.cols);
  check_cells(c.rows, c.cols);
  c.idx.assign(size_t(c.rows) * size_t(c.cols), -1);
  for (int64_t i = 0; i < std::min<int64_t>(n, int64_t(c.idx.size())); ++i) c.idx[size_t(i)] = i;
  return c;
}

// One row per label in increasing order, up to --cols (default 10) images each
CellOrder label_order(const Array& images, const Array* labels, const Options& o) {
  const int64_t n = images.shape[0];
  if (!labels) throw usage_error("--by-label needs labels (the stream's companion array)");
  if (labels->size() != n)
    throw Error("labels " + labels->shape_str() + " do not match the images " + images.shape_str());
  std::map<float, std::vector<int64_t>> by;
  for (int64_t i = 0; i < n; ++i) by[labels->data[size_t(i)]].push_back(i);
  size_t most = 0;
  for (const auto& [l, v] : by) most = std::max(most, v.size());
  CellOrder c;
  c.cols = o.cols > 0 ? o.cols : int(std::min<size_t>(most, 10));
  c.rows = o.rows > 0 ? std::min(o.rows, int(by.size())) : int(by.size());
  check_cells(c.rows, c.cols);
  for (const auto& [l, v] : by) {
    if (int(c.labels.size()) == c.rows) break;
    c.labels.push_back(label_text(l));
    for (int k = 0; k < c.cols; ++k) c.idx.push_back(k < int(v.size()) ? v[size_t(k)] : -1);
  }
  return c;
}
}  // namespace

int auto_scale(int64_t h, int64_t w) {
  return int(std::max<int64_t>(1, (40 + std::max(h, w) - 1) / std::max(h, w)));
}

Picture image_grid(const Array& images, const Array* labels, const Options& o, GridLayout* out) {
  if (images.shape.size() < 2)
    throw Error("images must have shape (n, H, W), (n, H, W, C) or (n, H*W), got " +
                images.shape_str());
  const std::vector<int64_t> dims(images.shape.begin() + 1, images.shape.end());
  const ImageShape s = image_shape(dims, images.shape_str());
  if (o.rows < 0 || o.cols < 0) throw usage_error("--rows and --cols must be positive");
  const CellOrder order =
      o.by_label ? label_order(images, labels, o) : plain_order(images.shape[0], o);
  const double font = label_font(make_layout(s, order.rows, order.cols, o, 0, 0), o);
  double label_w = 0;
  for (const auto& l : order.labels) label_w = std::max(label_w, text_width(l, font));
  const GridLayout g = make_layout(s, order.rows, order.cols, o, label_w, 0);
  Picture pic(g.width, g.height, o.dpi);
  Pen p(pic);
  draw_title(p, g, o);
  for (int r = 0; r < order.rows; ++r) {
    if (!order.labels.empty())
      p.text(g.x0 - g.gap, g.cell_y(r) + 0.5 * g.cell_h, order.labels[size_t(r)], font,
             colour::ink, 1);
    for (int c = 0; c < order.cols; ++c) {
      const int64_t i = order.idx[size_t(r) * size_t(order.cols) + size_t(c)];
      if (i >= 0)
        draw_image(p, g.cell_x(c), g.cell_y(r), images.data.data() + i * s.size(), s, g.scale);
    }
  }
  if (out) *out = g;
  return pic;
}

// Rows: samples; columns: evenly spaced times, labelled with the time above
Picture image_trajectories(const Array& traj, const Array* times, const Options& o,
                           GridLayout* out) {
  if (traj.shape.size() < 3)
    throw Error("image trajectories must have shape (T, n, H*W) or (T, n, H, W), got " +
                traj.shape_str());
  const std::vector<int64_t> dims(traj.shape.begin() + 2, traj.shape.end());
  const ImageShape s = image_shape(dims, traj.shape_str());
  const int64_t T = traj.shape[0], n = traj.shape[1];
  if (o.rows < 0 || o.cols < 0) throw usage_error("--rows and --cols must be positive");
  const int rows = int(std::min<int64_t>(n, o.rows > 0 ? o.rows : 8));
  const int cols = int(std::min<int64_t>(T, o.cols > 0 ? o.cols : 10));
  std::vector<int64_t> steps(static_cast<size_t>(cols));
  for (int k = 0; k < cols; ++k)
    steps[size_t(k)] = cols > 1 ? std::lround(double(k) * double(T - 1) / (cols - 1)) : T - 1;
  std::vector<std::string> heads;
  for (int64_t t : steps) {
    char buf[32];
    if (times && times->size() == T)
      std::snprintf(buf, sizeof buf, "%.2f", double(times->data[size_t(t)]));
    else
      std::snprintf(buf, sizeof buf, "%lld", (long long)t);
    heads.push_back(buf);
  }
  const GridLayout probe = make_layout(s, rows, cols, o, 0, 0);
  double font = label_font(probe, o);  // smaller until the widest time fits its column
  for (const auto& h : heads)
    font = std::min(font, font * (probe.cell_w + probe.gap) / std::max(1.0, text_width(h, font)));
  const GridLayout g = make_layout(s, rows, cols, o, 0, font + 2 * probe.gap);
  Picture pic(g.width, g.height, o.dpi);
  Pen p(pic);
  draw_title(p, g, o);
  for (int c = 0; c < cols; ++c) {
    const int64_t t = steps[size_t(c)];
    p.text(g.cell_x(c) + 0.5 * g.cell_w, g.y0 - g.gap - 0.5 * font, heads[size_t(c)], font,
           colour::ink, 0.5);
    for (int r = 0; r < rows; ++r)
      draw_image(p, g.cell_x(c), g.cell_y(r), traj.data.data() + (t * n + r) * s.size(), s,
                 g.scale);
  }
  if (out) *out = g;
  return pic;
}

}  // namespace flowkit::plot
