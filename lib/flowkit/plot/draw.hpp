// plot: drawing helpers shared by the kinds of picture (internal to the plot library).
#pragma once
#include "flowkit/plot/plot.hpp"

namespace flowkit::plot {

// Light grid lines at the ticks, drawn under the data.
void draw_grid(Canvas& c, const Frame& f);
// The box, ticks, tick labels and the title, drawn over the data.
void draw_axes(Canvas& c, const Frame& f, const std::string& title);
// A vertical colour bar right of the plot area, with ticks for `values`.
void draw_colour_bar(Canvas& c, const Frame& f, Range values);
// A second point set in the overlay colour, clipped to the plot area.
void draw_overlay(Canvas& c, const Frame& f, const Mat* overlay);
// A legend in the top-right corner of the plot area: a dot of each colour and its text.
void draw_legend(Canvas& c, const Frame& f,
                 const std::vector<std::pair<Rgb, std::string>>& entries);
// The legend of an overlay: the main points' name and the overlay's.
void draw_overlay_legend(Canvas& c, const Frame& f, const Options& o, Rgb main, const Mat* overlay);
// Dot size and opacity for n points: smaller and fainter as n grows.
float dot_radius(int64_t n, int font);
float dot_alpha(int64_t n);

}  // namespace flowkit::plot
