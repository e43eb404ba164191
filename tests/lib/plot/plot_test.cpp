#include "flowkit/plot/plot.hpp"
#include "flowkit/plot/draw.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace flowkit;
using namespace flowkit::plot;

namespace {
bool bluish(Rgb c) {
  return c.b > c.r + 30;
}
bool orange(Rgb c) {
  return c.r > c.b + 60;
}
bool white(Rgb c) {
  return c == colour::white;
}
bool dark(Rgb c) {
  return c.r < 110 && c.g < 110 && c.b < 110;
}
// Within `tol` on each channel (gradients and anti-aliased edges round differently)
bool near(Rgb a, Rgb b, int tol = 2) {
  return std::abs(a.r - b.r) <= tol && std::abs(a.g - b.g) <= tol && std::abs(a.b - b.b) <= tol;
}

// Fixed ranges 0:10 on both axes, so tests know where data lands (layout of the same options)
Options fixed_options() {
  Options o;
  o.xrange = Range{0, 10};
  o.yrange = Range{0, 10};
  return o;
}

// Every pixel matching `pred` lies in the pixel box [x0, x1] x [y0, y1]; returns how many match
int count_only_inside(const Raster& c, bool (*pred)(Rgb), double x0, double y0, double x1,
                      double y1) {
  int n = 0;
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < c.width; ++x)
      if (pred(c.at(x, y))) {
        ++n;
        if (x < x0 || x > x1 || y < y0 || y > y1)
          FAIL("pixel (" << x << ", " << y << ") outside the box");
      }
  return n;
}
}  // namespace

TEST_CASE("plot: viridis runs from dark purple to yellow with rising brightness", "[plot]") {
  CHECK(viridis(0) == Rgb{68, 1, 84});
  CHECK(viridis(1) == Rgb{253, 231, 37});
  CHECK(viridis(-3) == viridis(0));
  CHECK(viridis(NAN) == viridis(0));
  double last = -1;
  for (int i = 0; i <= 100; ++i) {
    const Rgb c = viridis(i / 100.0);
    const double lum = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    CHECK(lum > last);
    last = lum;
  }
}

TEST_CASE("plot: nice ticks are round numbers inside the range", "[plot]") {
  CHECK(nice_ticks(0, 1) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  CHECK(nice_ticks(-3, 3) == std::vector<double>{-3, -2, -1, 0, 1, 2, 3});
  const auto t = nice_ticks(-0.37, 1234.5);
  REQUIRE(t.size() >= 3);
  CHECK(t.front() == 0);
  CHECK(t[1] - t[0] == 200);
  CHECK(nice_ticks(1, 1).empty());
  CHECK(tick_label(0.5, 0.5) == "0.5");
  CHECK(tick_label(-1e-17, 0.5) == "0.0");
  CHECK(tick_label(1000, 200) == "1000");
  CHECK(tick_label(0.25, 0.05) == "0.25");
}

TEST_CASE("plot: ranges parse strictly", "[plot]") {
  auto [x, y] = parse_ranges("-3:3,-2.5:2");
  CHECK(x.lo == -3);
  CHECK(x.hi == 3);
  CHECK(y.lo == -2.5);
  CHECK(y.hi == 2);
  auto [a, b] = parse_ranges("0:1");
  CHECK((a.lo == 0 && a.hi == 1 && b.lo == 0 && b.hi == 1));
  for (const char* bad : {"3:1", "a:b", "1:2,3", "1:2x", "", "nan:1"}) {
    try {
      parse_ranges(bad);
      FAIL("accepted " << bad);
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
    }
  }
}

TEST_CASE("plot: the kind follows the array's shape", "[plot]") {
  auto kind = [](std::vector<int64_t> s) { return infer_kind(Array(s)); };
  CHECK(kind({100, 2}) == Kind::scatter);
  CHECK(kind({100, 3}) == Kind::heatmap);
  CHECK(kind({100, 1}) == Kind::heatmap);
  CHECK(kind({100}) == Kind::heatmap);
  CHECK(kind({100, 4}) == Kind::quiver);
  CHECK(kind({41, 300, 2}) == Kind::traj);
  CHECK(kind({1797, 8, 8}) == Kind::images);
  CHECK(kind({10, 28, 28}) == Kind::images);
  CHECK(kind({10, 16, 16}) == Kind::images);
  CHECK(kind({10, 32, 32, 3}) == Kind::images);
  CHECK(kind({21, 16, 64}) == Kind::traj);
  CHECK(kind({21, 16, 8, 8}) == Kind::traj);
  CHECK_THROWS_AS(kind({100, 5}), Error);
  CHECK(parse_choice(kinds(), "hist", "kind") == Kind::hist);
}

TEST_CASE("plot: text and discs draw only where they are placed", "[plot]") {
  Picture pic(160, 60, 96);
  {
    Pen p(pic);
    p.text(10, 30, "0123", 20, colour::ink);
    p.disc(130, 30, 5, colour::points);
  }
  const Raster c = rasterize(pic);
  const double w = text_width("0123", 20);
  CHECK(w > 40);  // four digits of 0.636 em
  CHECK(w < 60);
  int n = 0;
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 115; ++x)
      if (!white(c.at(x, y))) {
        ++n;
        CHECK((x >= 10 && x <= 11 + w && y >= 30 - 0.4 * 20 - 1 && y <= 30 + 0.4 * 20 + 1));
      }
  CHECK(n > 100);
  int strokes = 0;  // anti-aliased, but the strokes' middles dark
  for (int y = 20; y < 40; ++y)
    for (int x = 10; x < 10 + int(w); ++x) strokes += dark(c.at(x, y));
  CHECK(strokes > 40);
  CHECK(c.at(130, 30) == colour::points);
  CHECK(white(c.at(130, 37)));
  CHECK(white(c.at(122, 30)));
}

TEST_CASE("plot: a scatter of points in one corner colours pixels only there", "[plot]") {
  const Options o = fixed_options();
  Mat p(2, 500);
  Rng rng(3);
  for (int i = 0; i < 500; ++i) p.col(i) << 1 + float(rng.uniform()), 1 + float(rng.uniform());
  const Raster c = rasterize(scatter(p, o));
  CHECK(c.width == 640);
  CHECK(c.height == 640);
  const Frame f = layout(o, {}, {}, nullptr, Aspect::widen);
  const int n = count_only_inside(c, bluish, f.px(1) - 4, f.py(2) - 4, f.px(2) + 4, f.py(1) + 4);
  CHECK(n > 0.5 * (f.px(2) - f.px(1)) * (f.py(1) - f.py(2)));
}

TEST_CASE("plot: an overlay is drawn in its own colour where its points are", "[plot]") {
  const Options o = fixed_options();
  Mat p(2, 1), q(2, 1);
  p << 2, 2;
  q << 8, 7;
  const Raster c = rasterize(scatter(p, o, &q));
  const Frame f = layout(o, {}, {}, nullptr, Aspect::widen);
  CHECK(count_only_inside(c, orange, f.px(8) - 6, f.py(7) - 6, f.px(8) + 6, f.py(7) + 6) > 4);
  CHECK(count_only_inside(c, bluish, f.px(2) - 6, f.py(2) - 6, f.px(2) + 6, f.py(2) + 6) > 4);
}

TEST_CASE("plot: automatic ranges keep every point inside the plot area", "[plot]") {
  Options o;
  o.width = 400;
  o.height = 300;
  Mat p(2, 3);
  p << -5, 0, 20, 1, 2, 3;
  const Range xr = padded_range(p.data(), 3, 2), yr = padded_range(p.data() + 1, 3, 2);
  CHECK(xr.lo == Approx(-6.25));
  CHECK(xr.hi == Approx(21.25));
  const Frame f = layout(o, xr, yr, nullptr, Aspect::widen);
  for (int i = 0; i < 3; ++i) {
    CHECK((f.px(p(0, i)) > f.x0 && f.px(p(0, i)) < f.x1 && f.py(p(1, i)) > f.y0 &&
           f.py(p(1, i)) < f.y1));
  }
  // Scales 11 times apart: each axis keeps its own range instead of squashing y to a line
  CHECK(f.y.lo == Approx(yr.lo));
  CHECK(f.y.hi == Approx(yr.hi));
  CHECK(f.x.lo == Approx(xr.lo));
  // Comparable scales: equal aspect, one unit is as many pixels on both axes
  p << -5, 0, 20, 1, 2, 12;
  const Range yr2 = padded_range(p.data() + 1, 3, 2);
  const Frame g = layout(o, xr, yr2, nullptr, Aspect::widen);
  CHECK((g.x1 - g.x0) / (g.x.hi - g.x.lo) == Approx((g.y1 - g.y0) / (g.y.hi - g.y.lo)));
  for (int i = 0; i < 3; ++i) {
    CHECK((g.px(p(0, i)) > g.x0 && g.px(p(0, i)) < g.x1 && g.py(p(1, i)) > g.y0 && g.py(p(1, i)) < g.y1));
  }
}

TEST_CASE("plot: a title too wide for the picture is cut short with dots", "[plot]") {
  const std::string t(300, 'w');
  const std::string fit = fit_text(t, 200, 16);
  CHECK(text_width(fit, 16) <= 200);
  CHECK(text_width(fit, 16) > 150);
  CHECK(fit.substr(fit.size() - 3) == "...");
  CHECK(fit_text("short", 200, 16) == "short");
}

TEST_CASE("plot: a heat map pixel has its grid value's colour", "[plot]") {
  Options o;
  o.vmin = 0;
  o.vmax = 15;
  Array rows({16, 3});
  for (int iy = 0; iy < 4; ++iy)
    for (int ix = 0; ix < 4; ++ix) {
      const int r = (3 - iy) * 4 + (ix + iy) % 4;  // any order of the rows will do
      rows.data[size_t(3 * r)] = float(ix);
      rows.data[size_t(3 * r + 1)] = float(iy) * 0.5f;
      rows.data[size_t(3 * r + 2)] = float(ix + 4 * iy);
    }
  const Grid g = grid_from_rows(rows, o);
  REQUIRE(g.xs == std::vector<double>{0, 1, 2, 3});
  REQUIRE(g.ys == std::vector<double>{0, 0.5, 1, 1.5});
  const Raster c = rasterize(heatmap(g, o));
  const Range values{0, 15};
  const Frame f = layout(o, {-0.5, 3.5}, {-0.25, 1.75}, &values, Aspect::shrink);
  for (int iy = 0; iy < 4; ++iy)
    for (int ix = 0; ix < 4; ++ix)
      CHECK(c.at(int(f.px(ix + 0.3)), int(f.py(0.5 * iy + 0.1))) == viridis((ix + 4 * iy) / 15.0));
  // The colour bar runs from vmin (bottom) to vmax (top), through viridis's middle
  const int bar_x = int(f.x1 + 1.2 * f.font + 3);
  CHECK(near(c.at(bar_x, f.y1 - 1), viridis(0.5 / (f.y1 - f.y0))));
  CHECK(near(c.at(bar_x, f.y0), viridis((f.y1 - f.y0 - 0.5) / (f.y1 - f.y0))));
  CHECK(near(c.at(bar_x, (f.y0 + f.y1) / 2), viridis(0.5), 3));
}

TEST_CASE("plot: heat map values alone fill the --range grid, x fastest", "[plot]") {
  Options o = fixed_options();
  Array v({9});
  for (int i = 0; i < 9; ++i) v.data[size_t(i)] = float(i);
  const Grid g = grid_from_rows(v, o);
  CHECK(g.xs == std::vector<double>{10.0 / 6, 5, 50.0 / 6});
  CHECK(g.v[1] == 1);  // (x1, y0)
  Options no_range;
  CHECK_THROWS_AS(grid_from_rows(v, no_range), Error);
  CHECK_THROWS_AS(grid_from_rows(Array({8}), o), Error);
}

TEST_CASE("plot: heat map rows off a grid are errors", "[plot]") {
  Options o;
  Array a({4, 3});
  a.data = {0, 0, 1, 1, 0, 1, 0, 1, 1, 3, 1, 1};  // x values 0, 1, 3: not evenly spaced
  CHECK_THROWS_WITH(grid_from_rows(a, o), Catch::Contains("not evenly spaced"));
  a.data = {0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1};  // (0, 1) twice, (1, 1) missing
  CHECK_THROWS_WITH(grid_from_rows(a, o), Catch::Contains("repeats"));
  Array b({3, 3});
  b.data = {0, 0, 1, 1, 0, 1, 0, 1, 1};
  CHECK_THROWS_WITH(grid_from_rows(b, o), Catch::Contains("do not fill a grid"));
}

TEST_CASE("plot: the robust colour range clips at max - 10 or the 1st percentile", "[plot]") {
  std::vector<float> v(100);
  for (int i = 0; i < 100; ++i) v[size_t(i)] = float(i);
  Options o;
  Range r = value_range(v, o);
  CHECK(r.hi == 99);
  CHECK(r.lo == 89);
  for (int i = 0; i < 100; ++i) v[size_t(i)] = float(i) * 0.01f;
  r = value_range(v, o);
  CHECK(r.lo == Approx(0.0));
  o.vmin = -1;
  o.vmax = 2;
  r = value_range(v, o);
  CHECK((r.lo == -1 && r.hi == 2));
  o.vmin = 3;
  CHECK_THROWS_AS(value_range(v, o), Error);
}

TEST_CASE("plot: a 2-D histogram of one spot is brightest there", "[plot]") {
  Options o = fixed_options();
  o.bins = 10;
  Mat p = Mat::Constant(2, 50, 2.5f);
  const Raster c = rasterize(histogram(p, o));
  const Range counts{0, 50};
  const Frame f = layout(o, {}, {}, &counts, Aspect::widen);
  // One bin (about a tenth of the area's side) at the spot is yellow, everything else dark
  const float bin = (f.x1 - f.x0) / 10.0f;
  int hot = 0;
  for (int y = f.y0; y < f.y1; ++y)
    for (int x = f.x0; x < f.x1; ++x) {
      const Rgb v = c.at(x, y);
      if (v == viridis(1)) {
        ++hot;
        CHECK((std::abs(x - f.px(2.5)) < 1.2 * bin && std::abs(y - f.py(2.5)) < 1.2 * bin));
      } else {
        CHECK(v == viridis(0));
      }
    }
  CHECK(hot > 0.6 * bin * bin);
  CHECK(hot < 1.5 * bin * bin);
}

TEST_CASE("plot: an arrow points from its point along its vector", "[plot]") {
  Options o = fixed_options();
  Mat a(4, 1);
  a << 3, 5, 1, 0;  // at (3, 5), pointing right
  const Raster c = rasterize(quiver(a, o));
  const Range speeds{0, 1 / 0.85};
  const Frame f = layout(o, {}, {}, &speeds, Aspect::widen);
  auto drawn = [](Rgb p) { return p.g > p.r + 40; };  // viridis, not grey
  int right = 0;
  for (int y = f.y0; y < f.y1; ++y)
    for (int x = f.x0; x < f.x1; ++x)
      if (drawn(c.at(x, y))) {
        CHECK(x >= f.px(3) - 2);
        CHECK(std::abs(y - f.py(5)) < 8);
        right += x > f.px(3) + 20;
      }
  CHECK(right > 10);
}

TEST_CASE("plot: trajectories mark starts and ends and join them", "[plot]") {
  Options o = fixed_options();
  Array t({3, 1, 2});
  t.data = {1, 1, 4.5, 4.5, 8, 8};
  const Raster c = rasterize(trajectories(t, o));
  const Frame f = layout(o, {}, {}, nullptr, Aspect::widen);
  CHECK(c.at(int(f.px(1)), int(f.py(1))) == colour::start);
  CHECK(c.at(int(f.px(8)), int(f.py(8))) == colour::end);
  const Rgb mid = c.at(int(f.px(3)), int(f.py(3)));
  CHECK((mid != colour::white && !bluish(mid) && !orange(mid)));
  CHECK_THROWS_AS(trajectories(Array({3, 1, 3}), o), Error);
}

TEST_CASE("plot: an 8x8 image is upscaled to at least 32 pixels", "[plot]") {
  CHECK(auto_scale(8, 8) * 8 >= 32);
  CHECK(auto_scale(28, 28) * 28 >= 32);
  CHECK(auto_scale(100, 50) == 1);
}

TEST_CASE("plot: image grid cells are exact nearest-neighbour blocks", "[plot]") {
  Array im({3, 2, 3});  // three 2x3 grey images, pixel j of image k = (10k + j) / 100
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 6; ++j) im.data[size_t(6 * k + j)] = float(10 * k + j) / 100.0f;
  Options o;
  o.scale = 5;
  o.cols = 2;
  GridLayout g;
  const Raster c = rasterize(image_grid(im, nullptr, o, &g));
  CHECK((g.rows == 2 && g.cols == 2 && g.cell_w == 15 && g.cell_h == 10));
  CHECK(c.width == g.x0 + 2 * (15 + g.gap));
  CHECK(c.height == g.y0 + 2 * (10 + g.gap));
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 10; ++y)
      for (int x = 0; x < 15; ++x) {
        const auto v = uint8_t(std::lround(float(10 * k + (y / 5) * 3 + x / 5) / 100.0f * 255));
        REQUIRE(c.at(g.cell_x(k % 2) + x, g.cell_y(k / 2) + y) == Rgb{v, v, v});
      }
  CHECK(white(c.at(g.cell_x(1) + 7, g.cell_y(1) + 5)));  // the fourth cell is empty
  CHECK(white(c.at(g.cell_x(1) - 1, g.cell_y(0))));      // the gap
}

TEST_CASE("plot: --by-label puts one label per row, in label order", "[plot]") {
  Array im({5, 1, 1}), labels({5});
  for (int k = 0; k < 5; ++k) im.data[size_t(k)] = float(k) / 10.0f;
  labels.data = {1, 0, 1, 0, 2};
  Options o;
  o.by_label = true;
  GridLayout g;
  const Raster c = rasterize(image_grid(im, &labels, o, &g));
  CHECK((g.rows == 3 && g.cols == 2));
  auto grey = [&](int r, int col) { return c.at(g.cell_x(col), g.cell_y(r)).r; };
  auto byte = [](int k) { return uint8_t(std::lround(k / 10.0 * 255)); };
  CHECK((grey(0, 0) == byte(1) && grey(0, 1) == byte(3)));
  CHECK((grey(1, 0) == byte(0) && grey(1, 1) == byte(2)));
  CHECK(grey(2, 0) == byte(4));
  CHECK(white(c.at(g.cell_x(1), g.cell_y(2))));
  int ink = 0;  // the labels, left of the cells
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < g.x0 - g.gap; ++x) ink += dark(c.at(x, y));
  CHECK(ink > 10);
  CHECK_THROWS_AS(image_grid(im, nullptr, o), Error);
}

TEST_CASE("plot: image trajectories show evenly spaced times, first to last", "[plot]") {
  Array t({21, 3, 4});  // 2x2 images; value = step / 20
  for (int s = 0; s < 21; ++s)
    for (int k = 0; k < 12; ++k) t.data[size_t(s * 12 + k)] = float(s) / 20.0f;
  Options o;
  GridLayout g;
  const Raster c = rasterize(image_trajectories(t, nullptr, o, &g));
  CHECK((g.rows == 3 && g.cols == 10));
  auto byte = [](int s) { return uint8_t(std::lround(s / 20.0 * 255)); };
  CHECK(c.at(g.cell_x(0), g.cell_y(2)).r == byte(0));
  CHECK(c.at(g.cell_x(9), g.cell_y(0)).r == byte(20));
  CHECK(c.at(g.cell_x(1), g.cell_y(0)).r == byte(2));
}

TEST_CASE("plot: render refuses empty, non-finite and mis-shaped streams", "[plot]") {
  Options o;
  Stream s;
  s.main = Array({0, 2});
  CHECK_THROWS_WITH(render(s, Kind::scatter, o), Catch::Contains("empty"));
  s.main = Array({4, 2});
  s.main.data[5] = NAN;
  CHECK_THROWS_WITH(render(s, Kind::scatter, o), Catch::Contains("row 2"));
  s.main = Array({4, 3});
  CHECK_THROWS_WITH(render(s, Kind::scatter, o), Catch::Contains("(n, 2)"));
  CHECK_THROWS_WITH(render(s, Kind::quiver, o), Catch::Contains("(n, 4)"));
  s.main = Array({4, 2, 2, 5});
  CHECK_THROWS_WITH(render(s, Kind::images, o), Catch::Contains("channels"));
  s.main = Array({4, 10});
  CHECK_THROWS_WITH(render(s, Kind::images, o), Catch::Contains("square"));
  s.main = Array({4, 16});  // flattened 4x4 images
  GridLayout g;
  CHECK(image_grid(s.main, nullptr, o, &g).width() == g.width);
  CHECK((g.cell_w == 4 * auto_scale(4, 4) && g.cell_h == g.cell_w));
}

TEST_CASE("plot: an overlay's legend names both point sets in the top-right corner", "[plot]") {
  Options o = fixed_options();
  Mat p(2, 1), q(2, 1);
  p << 2, 2;
  q << 3, 3;
  auto ink_in_area = [&](const Picture& pic, const Frame& f, bool right_half) {
    const Raster c = rasterize(pic);
    int n = 0;
    for (int y = f.y0; y < f.y1; ++y)
      for (int x = f.x0; x < f.x1; ++x)
        n += dark(c.at(x, y)) && (x > (f.x0 + f.x1) / 2) == right_half;
    return n;
  };
  const Frame f = layout(o, {}, {}, nullptr, Aspect::widen);
  CHECK(ink_in_area(scatter(p, o, &q), f, true) == 0);
  o.name = "data.npy";
  o.overlay_name = "samples.npy";
  const Picture c = scatter(p, o, &q);
  CHECK(ink_in_area(c, f, true) > 60);
  CHECK(ink_in_area(c, f, false) == 0);
}

TEST_CASE("plot: the format follows the name, -f for standard output", "[plot]") {
  CHECK(picture_format("a.png", "") == Format::png);
  CHECK(picture_format("dir.v2/A.SVG", "") == Format::svg);
  CHECK(picture_format("x.pdf", "") == Format::pdf);
  CHECK(picture_format("-", "") == Format::png);
  CHECK(picture_format("-", "pdf") == Format::pdf);
  CHECK(picture_format("picture", "svg") == Format::svg);
  CHECK(picture_format("grid.dat", "", Format::png) == Format::png);
  CHECK(picture_format("grid.pdf", "", Format::png) == Format::pdf);
  CHECK_THROWS_WITH(picture_format("x.jpg", ""), Catch::Contains(".png, .svg or .pdf"));
  CHECK_THROWS_WITH(picture_format("dir.svg/x", ""), Catch::Contains("cannot tell"));
  CHECK_THROWS_WITH(picture_format("x.png", "pdf"), Catch::Contains("contradicts"));
  CHECK_THROWS_WITH(picture_format("-", "gif"), Catch::Contains("one of png, svg, pdf"));
}

TEST_CASE("plot: sizes in pixels, points or inches at the dpi", "[plot]") {
  Options o;
  parse_size("300x200", o);
  CHECK((o.width == 300 && o.height == 200));
  parse_size("360x270pt", o);  // 5 x 3.75 inches at 96 dpi
  CHECK((o.width == 480 && o.height == 360));
  o.dpi = 200;
  parse_size("3in", o);
  CHECK((o.width == 600 && o.height == 600));
  for (const char* bad : {"big", "10x10", "640x", "3x2mm", "9000x100", "pt"})
    CHECK_THROWS_AS(parse_size(bad, o), Error);
}

TEST_CASE("plot: every format's bytes open as that format, the page in points", "[plot]") {
  Options o = fixed_options();
  o.width = 200;
  o.height = 150;
  o.dpi = 144;  // the page: 100 x 75 pt
  Mat p(2, 3);
  p << 1, 5, 9, 1, 5, 9;
  const Picture pic = scatter(p, o);
  const std::string png = encode(pic, Format::png), svg = encode(pic, Format::svg),
                    pdf = encode(pic, Format::pdf);
  CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("width=\"100pt\" height=\"75pt\"") != std::string::npos);
  CHECK(pdf.substr(0, 5) == "%PDF-");
  CHECK(pdf.find("/MediaBox [ 0 0 100 75 ]") != std::string::npos);
}

TEST_CASE("plot: axis labels take room below and left of the plot area", "[plot]") {
  Options o = fixed_options();
  const Frame plain = layout(o, {}, {}, nullptr, Aspect::free);
  o.xlabel = "x";
  o.ylabel = "y";
  const Frame labelled = layout(o, {}, {}, nullptr, Aspect::free);
  CHECK(labelled.x0 > plain.x0 + 0.9 * plain.font);
  CHECK(labelled.y1 < plain.y1 - 0.9 * plain.font);
  // The y label is written upright along the left edge: ink there, none without it
  Mat p(2, 1);
  p << 5, 5;
  // (its column: from the margin, 0.8 font sizes, to the tick labels, 1.3 further)
  auto left_ink = [&](const Options& opt, double to) {
    const Raster c = rasterize(scatter(p, opt));
    int n = 0;
    for (int y = 0; y < c.height; ++y)
      for (int x = 0; x < int(to * plain.font); ++x) n += dark(c.at(x, y));
    return n;
  };
  CHECK(left_ink(o, 2.0) > 5);
  CHECK(left_ink(o, 0.7) == 0);
  o.ylabel.clear();
  CHECK(left_ink(o, 0.7) == 0);
}

TEST_CASE("plot: text follows the dpi, pixels follow the size", "[plot]") {
  Options o = fixed_options();
  const Frame f96 = layout(o, {}, {}, nullptr, Aspect::free);
  o.dpi = 192;
  const Frame f192 = layout(o, {}, {}, nullptr, Aspect::free);
  CHECK(f192.font == Approx(2 * f96.font));
  CHECK(f192.x0 > f96.x0);  // wider tick labels, the same 640 pixels
}
