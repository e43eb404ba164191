// flow-data: makes and converts data sets: built-in distributions, grids, images, IDX files,
// the 8x8 digits; converts, describes and splits any stream.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "flowkit/cli/cli.hpp"
#include "flowkit/data/data.hpp"
#include "flowkit/data/files.hpp"
#include "flowkit/data/info.hpp"
#include "flowkit/data/quantize.hpp"
#include "flowkit/io/text_stream.hpp"
#include "flowkit/io/tokens.hpp"

using namespace flowkit;

namespace {

enum class Command { grid, digits, mnist, images, idx, convert, info, split, latlon, angles };
const ChoiceTable<Command>& commands() {
  static const ChoiceTable<Command> t = {
      {"grid", Command::grid, "a regular grid of points over a range (for density maps)"},
      {"digits", Command::digits, "the 8x8 digits (1797 images in [0, 1], labels 0..9)"},
      {"mnist", Command::mnist, "10,000 MNIST digits (28x28 in [0, 1], labels 0..9), all or a fixed part"},
      {"images", Command::images, "a folder of PNG/JPEG images (sub-folder names become labels)"},
      {"idx", Command::idx, "IDX files (the MNIST format, also gzipped) with their labels"},
      {"convert", Command::convert, "any stream to any format"},
      {"info", Command::info, "shape, dtype, count and per-dimension min/mean/max of a stream"},
      {"split", Command::split, "a seeded train/test split of a stream (labels travel with their rows)"},
      {"latlon", Command::latlon, "latitude, longitude in degrees (CSV or any stream) as unit vectors on S^2"},
      {"angles", Command::angles, "angles (radians, or --degrees) as points of the torus [0, 2 pi)^d"}};
  return t;
}

// The --help line of a command
const char* help(Command c) {
  for (const auto& x : commands())
    if (x.value == c) return x.help;
  return "";
}

// A shipped data file by name, or an error naming every place looked in
std::string shipped_file(const std::string& name) {
  const std::string path = find_data_file(name);
  if (!path.empty()) return path;
  std::string looked;
  for (const auto& d : data_dirs()) looked += (looked.empty() ? "" : ", ") + d;
  throw Error("cannot find " + name + " (looked in " + looked + ")");
}

struct State {
  cli::Common c;
  int64_t n = 1000;
  bool labels = false;
  std::map<std::string, std::map<std::string, double>> params;  // per distribution
  std::string spec, columns, range = "-4:4", file, input = "-", test_output, dir, idx_images, idx_labels, part = "all";
  int64_t size = 100;
  int channels = 0;
  bool degrees = false, sphere = false;
  double test_fraction = 0.2;
  int levels = 0;  // --levels K: tokens on a K x K grid (discrete flows)
};

// "a:b" or "x0:x1,y0:y1"
std::array<double, 4> parse_range(const std::string& s) {
  const auto one = [&](const std::string& part) {
    const auto colon = part.find(':');
    try {
      size_t u1 = 0, u2 = 0;
      if (colon == std::string::npos) throw std::invalid_argument(part);
      const double a = std::stod(part.substr(0, colon), &u1), b = std::stod(part.substr(colon + 1), &u2);
      if (u1 != colon || u2 != part.size() - colon - 1) throw std::invalid_argument(part);
      return std::pair{a, b};
    } catch (const std::logic_error&) {
      throw usage_error("bad --range '" + s + "'; expected a:b or x0:x1,y0:y1, e.g. -3:3");
    }
  };
  const auto comma = s.find(',');
  const auto x = one(s.substr(0, comma)), y = comma == std::string::npos ? x : one(s.substr(comma + 1));
  return {x.first, x.second, y.first, y.second};
}

// --levels: the points as tokens on a grid over the --range window
void write_levels(const State& st, const Mat& x, const std::optional<Array>& labels) {
  const auto r = parse_range(st.range);
  VecD lo = VecD::Constant(x.rows(), r[0]), hi = VecD::Constant(x.rows(), r[1]);
  if (x.rows() == 2) lo[1] = r[2], hi[1] = r[3];
  const Tokens t = quantize_points(x, st.levels, lo, hi);
  const Format fmt = cli::output_format(st.c);
  cli::write_output(st.c.output, [&](std::ostream& os) { write_tokens(os, t, {x.cols(), x.rows()}, fmt, labels); });
  cli::status(st.c, std::to_string(x.cols()) + " token sequences of length " + std::to_string(x.rows()) +
                        ", vocabulary " + std::to_string(st.levels));
}

void add_out(CLI::App& sub, State& st) {
  cli::add_output(sub, st.c);
  cli::add_format(sub, st.c);
}

// A subcommand per built-in distribution, its parameters as flags
void add_toy(CLI::App& app, State& st, const Choice<Toy>& choice) {
  auto* sub = app.add_subcommand(choice.name, choice.help);
  sub->footer(std::string("Definition: ") + toy_definition(choice.value));
  sub->add_option("-n", st.n, "number of points (default 1000)");
  cli::add_seed(*sub, st.c);
  add_out(*sub, st);
  sub->add_flag("--labels", st.labels, "also write each point's class (moon, circle, component, arm, ring, cell) as the companion array");
  auto& values = st.params[choice.name];
  for (const auto& p : toy_params(choice.value)) {
    values[p.name] = p.value;
    std::ostringstream def;
    def << p.value;
    auto* opt = sub->add_option(std::string("--") + p.name, values[p.name], std::string(p.help) + " (default " + def.str() + ")");
    if (p.kind == ToyParam::count) opt->type_name("INT");
  }
  sub->add_option("--levels", st.levels,
                  "tokens instead of points: each coordinate of the --range window (default -4:4) cut into K "
                  "bins, an integer array (n, d) in 0..K-1 (e.g. 128, as flow_matching's checkerboard)");
  sub->add_option("--range", st.range, "with --levels: the window, a:b for every axis or x0:x1,y0:y1 (default -4:4)");
  if (choice.value == Toy::mixture || choice.value == Toy::vmf || choice.value == Toy::vonmises ||
      choice.value == Toy::wrapped_normal)
    sub->add_option("--spec", st.spec, "the mixture: a JSON file, or JSON text starting with '{'")->required();
  sub->callback([&st, sub, name = std::string(choice.name)] {
    if (st.n < 0) throw usage_error("-n must be >= 0, got " + std::to_string(st.n));
    if (st.levels == 0 && sub->count("--range") > 0) throw usage_error("--range of " + name + " needs --levels");
    ToySpec spec{name, st.params[name], ""};
    if (name == "mixture" || name == "vmf" || name == "vonmises" || name == "wrapped-normal") {
      const auto first = st.spec.find_first_not_of(" \t\r\n");
      spec.mixture = first != std::string::npos && st.spec[first] == '{' ? st.spec : read_file_maybe_gz(st.spec);
    }
    Rng rng(st.c.seed);
    std::vector<float> labels;
    Stream s;
    const Mat x = sample_toy(spec, st.n, rng, labels);
    if (!x.allFinite())  // e.g. --std 1e39, or variances of 1e300 in a spec: no float holds them
      throw usage_error(name + ": these parameters give values beyond float's range (|x| > 3.4e38)");
    if (st.labels) s.companion = Array::from_vector(labels);
    if (st.levels != 0) return write_levels(st, x, s.companion);
    s.main = Array::from_points(x);
    cli::write_stream_output(st.c, s);
  });
}

void add_grid(CLI::App& app, State& st) {
  auto* sub = app.add_subcommand("grid", help(Command::grid));
  sub->footer("Points at the centres of size x size cells, x fastest then y upwards: values over the grid "
              "reshape to a (size, size) heat map with row 0 at the bottom.");
  sub->add_option("--range", st.range, "a:b for both axes, or x0:x1,y0:y1 (default -4:4)");
  sub->add_option("--size", st.size, "points along each axis: size * size in all (default 100)");
  sub->add_flag("--sphere", st.sphere,
                "unit vectors on S^2 instead: the cell centres of size latitudes times 2 size longitudes "
                "(longitude fastest), for sphere heat maps");
  add_out(*sub, st);
  sub->callback([&st, sub] {
    if (st.size < 1 || st.size > 10000) throw usage_error("--size must be 1 to 10000, got " + std::to_string(st.size));
    if (st.sphere) {
      if (sub->count("--range") > 0) throw usage_error("--range does not go with --sphere (the grid covers the sphere)");
      if (st.size > 2000) throw usage_error("--size of a sphere grid must be at most 2000, got " + std::to_string(st.size));
      return cli::write_stream_output(st.c, Stream{Array::from_points(sphere_grid_points(st.size)), {}});
    }
    const auto r = parse_range(st.range);
    cli::write_stream_output(st.c, Stream{Array::from_points(grid_points(r[0], r[1], r[2], r[3], st.size)), {}});
  });
}

void add_loaders(CLI::App& app, State& st) {
  auto* digits = app.add_subcommand("digits", help(Command::digits));
  digits->add_option("--file", st.file, "the digits CSV (gzipped or not; default: digits.csv.gz in $FLOWKIT_DATA, "
                                        "the installed share/flowkit/data or the source tree's share/data)");
  add_out(*digits, st);
  digits->callback([&st] {
    const std::string path = st.file.empty() ? shipped_file("digits.csv.gz") : st.file;
    cli::write_stream_output(st.c, load_digits(path).stream);
  });

  auto* mnist = app.add_subcommand("mnist", help(Command::mnist));
  mnist->add_option("--part", st.part, "which digits: " + choice_names(mnist_parts()) + " (default all)");
  mnist->add_option("--levels", st.levels,
                    "tokens instead of grey values: each pixel's byte b as grey level floor(b K / 256), an integer "
                    "array (n, 28, 28) in 0..K-1 (K = 2 binarized, 16 the top 4 bits, 256 the bytes)");
  add_out(*mnist, st);
  mnist->callback([&st] {
    const MnistPart part = parse_choice(mnist_parts(), st.part, "part");
    const Stream s = load_mnist(shipped_file(kMnistImages), shipped_file(kMnistLabels), part).stream;
    if (st.levels == 0) return cli::write_stream_output(st.c, s);
    const Tokens t = quantize_pixels(s.main.points(), st.levels);
    const Format fmt = cli::output_format(st.c);
    cli::write_output(st.c.output, [&](std::ostream& os) { write_tokens(os, t, s.main.shape, fmt, s.companion); });
    cli::status(st.c, std::to_string(t.cols()) + " token images " + s.main.shape_str() + ", " +
                          std::to_string(st.levels) + " grey levels");
  });

  auto* images = app.add_subcommand("images", help(Command::images));
  images->add_option("dir", st.dir, "the folder of images")->required();
  images->add_option("--channels", st.channels, "0: as in the files (default), 1: grey (n, H, W), 3: RGB, 4: RGBA (n, H, W, C)");
  add_out(*images, st);
  images->callback([&st] {
    const LabeledImages li = load_image_folder(st.dir, st.channels);
    std::string classes;
    for (size_t k = 0; k < li.classes.size(); ++k) classes += " " + std::to_string(k) + "=" + li.classes[k];
    cli::status(st.c, li.stream.main.shape_str() + " images" + (classes.empty() ? "" : "; labels" + classes));
    cli::write_stream_output(st.c, li.stream);
  });

  auto* idx = app.add_subcommand("idx", help(Command::idx));
  idx->add_option("images", st.idx_images, "the IDX image file (e.g. train-images-idx3-ubyte.gz)")->required();
  idx->add_option("labels", st.idx_labels, "the IDX label file (optional)");
  add_out(*idx, st);
  idx->callback([&st] { cli::write_stream_output(st.c, load_idx(st.idx_images, st.idx_labels).stream); });
}

// latlon and angles: a stream's points onto the sphere or the torus (labels travel along).
void add_manifold_readers(CLI::App& app, State& st) {
  auto* ll = app.add_subcommand("latlon", help(Command::latlon));
  ll->add_option("input", st.input, "rows of latitude, longitude in degrees ('-' or none: standard input)");
  ll->add_option("--columns", st.columns,
                 "LAT,LON: the CSV table's columns holding them, by header name or number from 1 (other "
                 "columns may hold text); default: the stream's two columns");
  add_out(*ll, st);
  ll->callback([&st] {
    const std::string where = st.input == "-" ? "<stdin>" : st.input;
    if (st.columns.empty()) {
      Stream s = read_input(st.input);
      s.main = Array::from_points(latlon_to_unit(s.main.points(), where));
      return cli::write_stream_output(st.c, s);
    }
    const auto comma = st.columns.find(',');
    if (comma == std::string::npos || st.columns.find(',', comma + 1) != std::string::npos || comma == 0 ||
        comma + 1 == st.columns.size())
      throw usage_error("bad --columns '" + st.columns + "'; expected LAT,LON (names or numbers from 1), e.g. lat,lon");
    std::string text;
    if (st.input == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
    else text = read_file_maybe_gz(st.input);
    const Mat ll = text::read_csv_columns(text, {st.columns.substr(0, comma), st.columns.substr(comma + 1)}, where);
    cli::write_stream_output(st.c, Stream{Array::from_points(latlon_to_unit(ll, where)), {}});
  });
  auto* an = app.add_subcommand("angles", help(Command::angles));
  an->add_option("input", st.input, "rows of d angles ('-' or none: standard input)");
  an->add_flag("--degrees", st.degrees, "the angles are in degrees (default radians)");
  add_out(*an, st);
  an->callback([&st] {
    Stream s = read_input(st.input);
    s.main = Array::from_points(angles_to_torus(s.main.points(), st.degrees, st.input == "-" ? "<stdin>" : st.input));
    cli::write_stream_output(st.c, s);
  });
}

void add_streams(CLI::App& app, State& st) {
  auto* convert = app.add_subcommand("convert", help(Command::convert));
  convert->add_option("input", st.input, "the stream to read ('-' or none: standard input)");
  add_out(*convert, st);
  convert->callback([&st] { cli::write_stream_output(st.c, read_input(st.input)); });

  auto* info = app.add_subcommand("info", help(Command::info));
  info->add_option("input", st.input, "the stream to read ('-' or none: standard input)");
  info->add_option("-f,--format", st.c.format, "text (default) or json");
  cli::add_output(*info, st.c);
  info->callback([&st] {
    if (!st.c.format.empty() && st.c.format != "text" && st.c.format != "json")
      throw usage_error("unknown info format '" + st.c.format + "'; one of text, json");
    const StreamInfo si = describe_input(st.input);
    cli::write_output(st.c.output, [&](std::ostream& os) {
      if (st.c.format == "json") os << info_json(si).dump(2) << '\n';
      else os << info_text(si);
    });
  });

  auto* split = app.add_subcommand("split", help(Command::split));
  split->add_option("input", st.input, "the stream to read ('-' or none: standard input)");
  split->add_option("--test-fraction", st.test_fraction, "share of the rows for the test part (default 0.2)");
  split->add_option("--test-output", st.test_output, "where the test part goes")->required();
  cli::add_seed(*split, st.c);
  add_out(*split, st);
  split->callback([&st] {
    if (!(st.test_fraction >= 0 && st.test_fraction <= 1))
      throw usage_error("--test-fraction must be between 0 and 1, got " + std::to_string(st.test_fraction));
    if (st.c.output == "-" && st.test_output == "-") throw usage_error("-o and --test-output cannot both be standard output");
    Rng rng(st.c.seed);
    // Named references, not a structured binding: C++17 lets no lambda capture a binding (clang
    // rejects it; g++ accepts it as an extension)
    const std::pair<Stream, Stream> parts = split_stream(read_input(st.input), st.test_fraction, rng);
    const Stream &train = parts.first, &test = parts.second;
    cli::Common tc = st.c;
    tc.output = st.test_output;
    const Format f1 = cli::output_format(st.c), f2 = cli::output_format(tc);
    cli::write_output(st.test_output, [&](std::ostream& os) { write_stream(os, test, f2); });
    cli::write_output(st.c.output, [&](std::ostream& os) { write_stream(os, train, f1); });
  });
}

// An unknown data set or command gets the list of them all
void check_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.empty() || a[0] == '-') continue;
    for (const auto& t : toys())
      if (a == t.name) return;
    for (const auto& c : commands())
      if (a == c.name) return;
    throw usage_error("unknown data set or command '" + a + "'; one of " + choice_names(toys()) + ", " +
                      choice_names(commands()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  State st;
  return cli::run("flow-data", "Makes and converts data sets, writing a stream (NPY, CSV or JSON).", argc, argv,
                  [&](CLI::App& app) {
                    for (const auto& t : toys()) add_toy(app, st, t);
                    add_grid(app, st);
                    add_loaders(app, st);
                    add_streams(app, st);
                    add_manifold_readers(app, st);
                    app.require_subcommand(1);
                    check_command(argc, argv);
                  });
}
