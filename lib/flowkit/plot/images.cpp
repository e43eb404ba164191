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

// One image at (x, y), each pixel an exact scale x scale block, values clamped to [0, 1]
void draw_image(Canvas& cv, int x, int y, const float* img, const ImageShape& s, int scale) {
  auto byte = [](float v) { return uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255)); };
  for (int64_t i = 0; i < s.h; ++i)
    for (int64_t j = 0; j < s.w; ++j) {
      const float* p = img + (i * s.w + j) * s.c;
      const Rgb col = s.c == 1 ? Rgb{byte(p[0]), byte(p[0]), byte(p[0])}
                               : Rgb{byte(p[0]), byte(p[1]), byte(p[2])};
      cv.fill_rect(x + int(j) * scale, y + int(i) * scale, x + int(j + 1) * scale,
                   y + int(i + 1) * scale, col);
    }
}

// Cell sizes, gap and the outer frame, leaving room for a label column and a header
GridLayout make_layout(const ImageShape& s, int rows, int cols, const Options& o, int label_w,
                       int header_h) {
  GridLayout g;
  g.rows = rows;
  g.cols = cols;
  g.scale = o.scale > 0 ? o.scale : auto_scale(s.h, s.w);
  if (g.scale > 64) throw usage_error("--scale must be at most 64");
  g.cell_w = int(s.w) * g.scale;
  g.cell_h = int(s.h) * g.scale;
  g.gap = std::max(2, std::min(g.cell_w, g.cell_h) / 10);
  const int font = g.cell_h >= 32 ? 2 : 1;
  const int title_h = o.title.empty() ? 0 : text_height(font) + 2 * g.gap;
  g.x0 = g.gap + (label_w > 0 ? label_w + 2 * g.gap : 0);
  g.y0 = g.gap + title_h + header_h;
  g.width = g.x0 + cols * (g.cell_w + g.gap);
  g.height = g.y0 + rows * (g.cell_h + g.gap);
  if (!o.title.empty()) g.width = std::max(g.width, text_width(o.title, font) + 2 * g.gap);
  if (int64_t(g.width) * g.height > int64_t(16384) * 16384 / 4)
    throw usage_error("the image grid would be " + std::to_string(g.width) + "x" +
                      std::to_string(g.height) +
                      " pixels; use fewer --rows/--cols or a smaller --scale");
  return g;
}

int label_font(const GridLayout& g) {
  return g.cell_h >= 32 ? 2 : 1;
}

void draw_title(Canvas& cv, const GridLayout& g, const std::string& title) {
  if (!title.empty()) cv.text(g.gap, g.gap, title, colour::ink, label_font(g));
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

// In stream order: the first 100 in a square grid, or as --rows/--cols say
CellOrder plain_order(int64_t n, const Options& o) {
  CellOrder c;
  const int64_t m = std::min<int64_t>(n, 100);
  c.cols = o.cols > 0   ? o.cols
           : o.rows > 0 ? int((n + o.rows - 1) / o.rows)
                        : int(std::ceil(std::sqrt(double(m))));
  c.rows = o.rows > 0 ? o.rows : int(((o.cols > 0 ? n : m) + c.cols - 1) / c.cols);
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

Canvas image_grid(const Array& images, const Array* labels, const Options& o, GridLayout* out) {
  if (images.shape.size() < 2)
    throw Error("images must have shape (n, H, W), (n, H, W, C) or (n, H*W), got " +
                images.shape_str());
  const std::vector<int64_t> dims(images.shape.begin() + 1, images.shape.end());
  const ImageShape s = image_shape(dims, images.shape_str());
  if (o.rows < 0 || o.cols < 0) throw usage_error("--rows and --cols must be positive");
  const CellOrder order =
      o.by_label ? label_order(images, labels, o) : plain_order(images.shape[0], o);
  const int font = label_font(make_layout(s, order.rows, order.cols, o, 0, 0));
  int label_w = 0;
  for (const auto& l : order.labels) label_w = std::max(label_w, text_width(l, font));
  const GridLayout g = make_layout(s, order.rows, order.cols, o, label_w, 0);
  Canvas cv(g.width, g.height);
  draw_title(cv, g, o.title);
  for (int r = 0; r < order.rows; ++r) {
    if (!order.labels.empty())
      cv.text(g.x0 - g.gap - label_w, g.cell_y(r) + (g.cell_h - text_height(font)) / 2,
              order.labels[size_t(r)], colour::ink, font);
    for (int c = 0; c < order.cols; ++c) {
      const int64_t i = order.idx[size_t(r) * size_t(order.cols) + size_t(c)];
      if (i >= 0)
        draw_image(cv, g.cell_x(c), g.cell_y(r), images.data.data() + i * s.size(), s, g.scale);
    }
  }
  if (out) *out = g;
  return cv;
}

// Rows: samples; columns: evenly spaced times, labelled with the time above
Canvas image_trajectories(const Array& traj, const Array* times, const Options& o,
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
  int font = label_font(probe);
  for (const auto& h : heads)
    if (text_width(h, font) > probe.cell_w - probe.gap) font = 1;
  const GridLayout g = make_layout(s, rows, cols, o, 0, text_height(font) + 2 * probe.gap);
  Canvas cv(g.width, g.height);
  draw_title(cv, g, o.title);
  for (int c = 0; c < cols; ++c) {
    const int64_t t = steps[size_t(c)];
    const std::string& h = heads[size_t(c)];
    cv.text(g.cell_x(c) + (g.cell_w - text_width(h, font)) / 2, g.y0 - g.gap - text_height(font), h,
            colour::ink, font);
    for (int r = 0; r < rows; ++r)
      draw_image(cv, g.cell_x(c), g.cell_y(r), traj.data.data() + (t * n + r) * s.size(), s,
                 g.scale);
  }
  if (out) *out = g;
  return cv;
}

}  // namespace flowkit::plot
