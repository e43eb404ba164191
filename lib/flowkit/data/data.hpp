// data: built-in 2-D distributions (sample n points; exact log density where one exists),
// evaluation grids, and image/label loaders. Never touches flags.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flowkit/io/array.hpp"
#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"

namespace flowkit {

// The built-in distributions.
enum class Toy { moons, circles, eightgaussians, checkerboard, spirals, swissroll, scurve, pinwheel, rings, gaussian, mixture,
                 vmf, vonmises, torus_checkerboard, sphere_uniform, sphere_checkerboard, wrapped_normal };
const ChoiceTable<Toy>& toys();

// One parameter of a distribution: its flag name, default, meaning and allowed values.
struct ToyParam {
  enum Kind { any, nonneg, positive, count };  // count: an integer >= 1
  const char* name;
  double value;
  const char* help;
  Kind kind = nonneg;
};
// The parameters of a distribution, with their defaults.
const std::vector<ToyParam>& toy_params(Toy t);
// Its exact definition, in words and formulas (for --help and the man page).
const char* toy_definition(Toy t);

// A built-in distribution and its parameters by name (missing ones take their defaults).
// For "mixture", `mixture` holds the JSON spec {"weights": [...], "means": [[...]], "vars": [[...]]}.
struct ToySpec {
  std::string name;
  std::map<std::string, double> params;
  std::string mixture = {};
};

// n samples (2 x n; d x n for gaussian/mixture) of a built-in distribution.
Mat sample_toy(const ToySpec& spec, int64_t n, Rng& rng);
// The same, also giving each point's class (moon, circle, component, arm, ring, cell).
Mat sample_toy(const ToySpec& spec, int64_t n, Rng& rng, std::vector<float>& labels);

// Whether a distribution has a closed-form density (gaussian, mixture, 8gaussians, checkerboard).
bool toy_has_density(const ToySpec& spec);
// Exact log density of each column of x (d x n); -inf off the support. Throws for others.
VecD toy_log_density(const ToySpec& spec, const Mat& x);

// A Gaussian mixture with diagonal covariances: sum_k w_k N(m_k, diag(v_k)).
struct Mixture {
  std::vector<double> weights;  // normalized to sum 1
  std::vector<VecD> means, vars;
  int64_t dim() const { return means.empty() ? 0 : means[0].size(); }
};
// Parses {"weights": [...], "means": [[...]], "vars": [[...]] or [v, ...]}; `where` names it.
Mixture parse_mixture(const std::string& json_text, const std::string& where);
// The mixture a distribution is (gaussian, 8gaussians and mixture are; others are not).
std::optional<Mixture> toy_mixture(const ToySpec& spec);
Mat sample_mixture(const Mixture& m, int64_t n, Rng& rng, std::vector<float>* labels = nullptr);
// The same into out's columns (out keeps its storage when its shape is right).
void sample_mixture_into(const Mixture& m, Rng& rng, Mat& out, std::vector<float>* labels = nullptr);

// A built-in distribution with its name and parameters resolved once, drawing batch after
// batch into the same storage (training's endless source).
class ToySampler {
 public:
  explicit ToySampler(const ToySpec& spec);
  // out.cols() samples into out (2 x n; d x n for gaussian/mixture); each point's class too.
  void sample(Rng& rng, Mat& out, std::vector<float>* labels = nullptr) const;
  Eigen::Index dim() const;

 private:
  void sample_sphere(Rng& rng, Mat& out, std::vector<float>* labels) const;
  Toy toy_;
  std::vector<double> params_;
  std::optional<Mixture> mixture_;
  std::optional<Mixture> angular_;  // vmf, vonmises
};

VecD mixture_log_density(const Mixture& m, const Mat& x);

// Mixtures on curved spaces (angular.cpp), a Mixture whose "vars" hold concentrations: von
// Mises-Fisher components on S^2 (sphere: means unit vectors in R^3, one kappa each), or
// products of von Mises laws on the torus [0, 2 pi)^d (a kappa per angle). The spec is a
// mixture's with "kappas" for "vars".
Mixture parse_angular_mixture(const std::string& json_text, bool sphere, const std::string& where);
void sample_angular_into(const Mixture& m, bool sphere, Rng& rng, Mat& out, std::vector<float>* labels = nullptr);
VecD angular_log_density(const Mixture& m, bool sphere, const Mat& x);
// A Gaussian mixture (the mixture spec) wrapped onto the torus [0, 2 pi)^d: its exact density,
// each coordinate's normal summed over enough windings x + 2 pi m that the rest are below
// e^-32 of the nearest (|m| <= 2 + 8 sigma / 2 pi).
VecD wrapped_normal_log_density(const Mixture& m, const Mat& x);
// Latitude and longitude in degrees (2 x n) as unit vectors (cos lat cos lon, cos lat sin lon,
// sin lat); a NaN or a |latitude| > 90 is an Error naming the row and `where`.
Mat latlon_to_unit(const Mat& latlon, const std::string& where);
// The cell centres of a latitude-longitude grid on S^2 as unit vectors: size latitudes from
// south to north times 2 size longitudes from -180 degrees eastwards (longitude fastest), cells
// of 180 / size degrees a side (sphere heat maps: flow-plot --projection).
Mat sphere_grid_points(int64_t size);
// Angles (d x n) in degrees or radians as radians in [0, 2 pi); a non-finite one is an Error.
Mat angles_to_torus(const Mat& angles, bool degrees, const std::string& where);

// A regular grid of size x size points at the cell centres of [x0, x1] x [y0, y1], x fastest
// then y upwards (row-major: point i * size + j is column j of row i), so values over it
// reshape to a (size, size) heat map.
Mat grid_points(double x0, double x1, double y0, double y1, int64_t size);

// Images with their labels: (n, H, W) or (n, H, W, C) in [0, 1], labels (n,).
struct LabeledImages {
  Stream stream;                     // main: images; companion: labels
  std::vector<std::string> classes;  // label k names classes[k] (folder loaders)
};
// A folder of PNG/JPEG images; sub-folder names (sorted) become labels 0, 1, ...
// channels: 0 keeps the files' own (1 for grey, else 3 or 4), 1 grey, 3 RGB, 4 RGBA.
LabeledImages load_image_folder(const std::string& dir, int channels = 0);
// IDX files (MNIST), optionally gzipped; pixels /255; labels optional ("" for none).
LabeledImages load_idx(const std::string& images, const std::string& labels);
// The 8x8 digits CSV (gzipped or not): 64 values 0..16 then the label, per line.
LabeledImages load_digits(const std::string& path);
// The MNIST subset of share/data (10,000 digits, classes in file order) and its fixed split:
// the first kMnistHeldoutPerClass digits of each class are held out, the rest are for training.
constexpr const char* kMnistImages = "mnist-images-idx3-ubyte.gz";
constexpr const char* kMnistLabels = "mnist-labels-idx1-ubyte.gz";
constexpr int kMnistClasses = 10;
constexpr int kMnistHeldoutPerClass = 100;
enum class MnistPart { all, train, heldout };
const ChoiceTable<MnistPart>& mnist_parts();
// Which rows are held out, from the labels alone (an Error for a label outside 0..9).
std::vector<bool> mnist_heldout(const std::vector<float>& labels);
// The images (n, 28, 28) in [0, 1] with their labels, the whole set or one part of it.
LabeledImages load_mnist(const std::string& images, const std::string& labels, MnistPart part);

// Where the built-in data files are looked for, in order: $FLOWKIT_DATA, the share/flowkit/data
// beside the running program's prefix, the configured install folder, the source tree's
// share/data.
std::vector<std::string> data_dirs();
// The first of data_dirs() holding `name` (or $FLOWKIT_DATA itself when it is a file called
// `name`); "" when none does.
std::string find_data_file(const std::string& name);

}  // namespace flowkit
