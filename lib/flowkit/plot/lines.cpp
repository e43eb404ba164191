// plot: line charts. Rows (x, y), one line per label (the stream's companion array), each
// through its rows in order of x, its points marked; a legend names the lines.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "flowkit/plot/draw.hpp"

namespace flowkit::plot {
namespace {
// Okabe and Ito's qualitative palette (told apart with any colour vision), cycled
constexpr Rgb kLineColours[] = {{0, 114, 178},  {230, 159, 0}, {0, 158, 115}, {204, 121, 167},
                                {213, 94, 0},   {86, 180, 233}, {120, 120, 120}, {240, 228, 66}};
constexpr size_t kLineColourCount = sizeof(kLineColours) / sizeof(kLineColours[0]);

// The columns of each line, by label (ascending), each sorted by x.
std::map<int64_t, std::vector<Eigen::Index>> series_of(const Mat& xy, const Array* labels) {
  std::map<int64_t, std::vector<Eigen::Index>> s;
  if (labels && int64_t(labels->data.size()) != int64_t(xy.cols()))
    throw Error("a line plot's labels: " + std::to_string(labels->data.size()) + " for " +
                std::to_string(xy.cols()) + " rows");
  for (Eigen::Index i = 0; i < xy.cols(); ++i) {
    const double l = labels ? double(labels->data[size_t(i)]) : 0.0;
    if (!(std::isfinite(l) && l == std::floor(l))) {
      std::ostringstream m;
      m << "a line plot's label " << l << " (row " << i << ") is not a whole number";
      throw Error(m.str());
    }
    s[int64_t(l)].push_back(i);
  }
  for (auto& [label, cols] : s)
    std::stable_sort(cols.begin(), cols.end(), [&](Eigen::Index a, Eigen::Index b) { return xy(0, a) < xy(0, b); });
  return s;
}

// The legend's names: --legend's comma-separated list (one per line), else "label K" when
// there are labels, else none.
std::vector<std::string> line_names(const Options& o, const std::map<int64_t, std::vector<Eigen::Index>>& s,
                                    bool labelled) {
  std::vector<std::string> names;
  if (!o.legend.empty()) {
    size_t start = 0;
    for (size_t comma; (comma = o.legend.find(',', start)) != std::string::npos; start = comma + 1)
      names.push_back(o.legend.substr(start, comma - start));
    names.push_back(o.legend.substr(start));
    if (names.size() != s.size())
      throw usage_error("--legend names " + std::to_string(names.size()) + " lines, the data have " +
                        std::to_string(s.size()));
  } else if (labelled) {
    for (const auto& e : s) names.push_back("label " + std::to_string(e.first));
  }
  return names;
}
}  // namespace

Picture lines(const Mat& xy, const Array* labels, const Options& o) {
  if (xy.rows() != 2) throw Error("a line plot needs rows (x, y), got dimension " + std::to_string(xy.rows()));
  const auto series = series_of(xy, labels);
  const std::vector<std::string> names = line_names(o, series, labels != nullptr);
  const Frame f = layout(o, padded_range(xy.data(), xy.cols(), 2), padded_range(xy.data() + 1, xy.cols(), 2),
                         nullptr, Aspect::free);
  Picture pic(o.width, o.height, o.dpi);
  Pen p(pic);
  draw_grid(p, f);
  p.clip(f.x0, f.y0, f.x1, f.y1);
  const double width = 2 * hairline(f), r = 0.25 * f.font;
  std::vector<std::pair<Rgb, std::string>> legend;
  size_t k = 0;
  for (const auto& [label, cols] : series) {
    const Rgb c = kLineColours[k % kLineColourCount];
    for (size_t j = 1; j < cols.size(); ++j)
      p.line(f.px(xy(0, cols[j - 1])), f.py(xy(1, cols[j - 1])), f.px(xy(0, cols[j])), f.py(xy(1, cols[j])), c, width);
    for (const Eigen::Index i : cols) p.disc(f.px(xy(0, i)), f.py(xy(1, i)), r, c);
    if (!names.empty()) legend.emplace_back(c, names[k]);
    ++k;
  }
  draw_axes(p, f, o);
  if (!legend.empty()) draw_legend(p, f, legend);
  return pic;
}

}  // namespace flowkit::plot
