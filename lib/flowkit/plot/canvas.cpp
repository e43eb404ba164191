// plot: the RGB canvas, its drawing primitives, the built-in font and the colour map.
#include <algorithm>
#include <cmath>

#include "flowkit/plot/plot.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

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

Canvas::Canvas(int width, int height, Rgb bg)
    : w_(width), h_(height), cx0_(0), cy0_(0), cx1_(width), cy1_(height) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    throw Error("picture size " + std::to_string(width) + "x" + std::to_string(height) +
                " is out of range (1 to 16384 pixels a side)");
  px_.resize(size_t(width) * size_t(height) * 3);
  for (size_t i = 0; i < px_.size(); i += 3) {
    px_[i] = bg.r;
    px_[i + 1] = bg.g;
    px_[i + 2] = bg.b;
  }
}

Rgb Canvas::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) throw Error("pixel outside the canvas");
  const size_t i = (size_t(y) * size_t(w_) + size_t(x)) * 3;
  return {px_[i], px_[i + 1], px_[i + 2]};
}

void Canvas::clip(int x0, int y0, int x1, int y1) {
  cx0_ = std::max(0, x0);
  cy0_ = std::max(0, y0);
  cx1_ = std::min(w_, x1);
  cy1_ = std::min(h_, y1);
}

void Canvas::unclip() {
  clip(0, 0, w_, h_);
}

void Canvas::blend(int x, int y, Rgb c, float alpha) {
  if (x < cx0_ || y < cy0_ || x >= cx1_ || y >= cy1_ || !(alpha > 0)) return;
  const float a = std::min(alpha, 1.0f);
  uint8_t* p = &px_[(size_t(y) * size_t(w_) + size_t(x)) * 3];
  p[0] = uint8_t(std::lround(p[0] + a * (c.r - p[0])));
  p[1] = uint8_t(std::lround(p[1] + a * (c.g - p[1])));
  p[2] = uint8_t(std::lround(p[2] + a * (c.b - p[2])));
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Rgb c, float alpha) {
  for (int y = std::max(y0, cy0_); y < std::min(y1, cy1_); ++y)
    for (int x = std::max(x0, cx0_); x < std::min(x1, cx1_); ++x) blend(x, y, c, alpha);
}

// Antialiased segment: coverage from each pixel centre's distance to the segment
void Canvas::line(float x0, float y0, float x1, float y1, Rgb c, float alpha, float width) {
  const float r = 0.5f * width;
  const int xa = int(std::floor(std::min(x0, x1) - r - 1)),
            xb = int(std::ceil(std::max(x0, x1) + r + 1));
  const int ya = int(std::floor(std::min(y0, y1) - r - 1)),
            yb = int(std::ceil(std::max(y0, y1) + r + 1));
  const float dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
  for (int y = std::max(ya, cy0_); y < std::min(yb, cy1_); ++y)
    for (int x = std::max(xa, cx0_); x < std::min(xb, cx1_); ++x) {
      const float px = x + 0.5f - x0, py = y + 0.5f - y0;
      const float t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0f, 1.0f) : 0.0f;
      const float ex = px - t * dx, ey = py - t * dy;
      const float cover = std::clamp(r + 0.5f - std::sqrt(ex * ex + ey * ey), 0.0f, 1.0f);
      if (cover > 0) blend(x, y, c, alpha * cover);
    }
}

// Antialiased filled disc
void Canvas::disc(float cx, float cy, float radius, Rgb c, float alpha) {
  const int xa = int(std::floor(cx - radius - 1)), xb = int(std::ceil(cx + radius + 1));
  const int ya = int(std::floor(cy - radius - 1)), yb = int(std::ceil(cy + radius + 1));
  for (int y = std::max(ya, cy0_); y < std::min(yb, cy1_); ++y)
    for (int x = std::max(xa, cx0_); x < std::min(xb, cx1_); ++x) {
      const float ex = x + 0.5f - cx, ey = y + 0.5f - cy;
      const float cover = std::clamp(radius + 0.5f - std::sqrt(ex * ex + ey * ey), 0.0f, 1.0f);
      if (cover > 0) blend(x, y, c, alpha * cover);
    }
}

// Text: stb_easy_font's axis-aligned quads, each scaled to whole pixels (a character has up to
// 11 quads of 64 bytes, 'X'; a smaller buffer silently drops the last strokes, e.g. 8 became 3)
void Canvas::text(int x, int y, const std::string& s, Rgb c, int scale) {
  std::vector<char> vbuf(s.size() * 11 * 64 + 64);
  std::string copy = s;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, vbuf.data(), int(vbuf.size()));
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(&vbuf[size_t(q) * 64]);
    const float* v2 = reinterpret_cast<const float*>(&vbuf[size_t(q) * 64 + 32]);
    fill_rect(x + int(std::lround(v0[0] * scale)), y + int(std::lround(v0[1] * scale)),
              x + int(std::lround(v2[0] * scale)), y + int(std::lround(v2[1] * scale)), c);
  }
}

int text_width(const std::string& s, int scale) {
  std::string copy = s;
  return s.empty() ? 0 : (stb_easy_font_width(copy.data()) - 1) * scale;
}

int text_height(int scale) {
  return 7 * scale;
}

}  // namespace flowkit::plot
