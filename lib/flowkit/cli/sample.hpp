// cli (sampling): the flags, checks and outputs that flow-sample and flow-traj share.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "flowkit/cli/cli.hpp"
#include "flowkit/plot/plot.hpp"
#include "flowkit/flow/sampler.hpp"
#include "flowkit/model/field_file.hpp"

namespace flowkit::cli {

struct SampleFlags {
  std::string model;
  int64_t n = 1000;
  std::string solver = "euler";
  int steps = 100;
  std::string grid = "uniform";
  double rtol = 1e-5, atol = 1e-5;
  int64_t max_steps = 100000;
  double t0 = 0, t1 = 1;
  std::string noise = "linear";
  double sigma = 1.0;
  std::string drift;  // "score" or "plain"; empty: score when the field has one
  int corrector_steps = 0;
  double corrector_eps = 0.01;
  std::string from;
  std::string classes;  // "K", "K1,K2,...", "all"
  double guidance = 1.0;
  std::string png;
  bool logp = false;  // flow-sample --logp
  bool pairs = false;  // flow-sample --pairs: each sample after the noise it came from
};

void add_sample_flags(CLI::App& app, SampleFlags& f);

// --grid NAME | power:P | FILE into o.grid and o.steps (a file's times set the steps; usage
// errors name the choices). The discrete sampler walks the same grids.
void plan_grid(const SampleFlags& f, const CLI::App& app, SolveOptions& o);

// A checked run: the field, what to draw, how, and the shape of one sample.
struct SamplePlan {
  std::unique_ptr<Field> field;
  SampleJob job;
  SampleOptions opt;
  Mat from;                    // start points of --from (job.from points here)
  std::vector<int64_t> shape;  // of one sample
  std::vector<int> classes;    // drawn in this order, n each (empty: unconditional)
  std::string model;           // the model file, for messages
};
// Reads the model and the start points and checks every flag (usage errors before any work).
SamplePlan plan_sampling(const SampleFlags& f, const CLI::App& app, const Common& c, ModelFile mf);

// Summary line and log record of a finished run ("5000 samples, rk4, 50 steps, NFE 200").
std::string summary(const SamplePlan& p, const SampleStats& st, const std::string& what);
nlohmann::json summary_json(const SamplePlan& p, const SampleStats& st);

// The classes of --class ("K", "K1,K2,..", "all") for a model of k classes; a usage error for
// a class out of range or a malformed list.
std::vector<int> parse_classes(const std::string& classes, int k);
// --class given with no value (--class "") is a usage error, not an unconditional run.
void check_class_flag(const SampleFlags& f, const CLI::App& app);
// `per` labels of each class in turn (the order in which they are drawn).
std::vector<int> class_labels(const std::vector<int>& classes, int64_t per);

// The labels of the drawn points as a companion array (n,), when classes were asked for.
std::optional<Array> label_array(const SamplePlan& p);

// Streams samples of a known count and shape: NPY written as it comes, text at the end.
class SampleWriter {
 public:
  virtual ~SampleWriter() = default;
  virtual void write(const Mat& chunk) = 0;
  virtual void finish(const std::optional<Array>& companion) = 0;
};
std::unique_ptr<SampleWriter> open_sample_writer(std::ostream& out, Format f, int64_t n,
                                                 const std::vector<int64_t>& shape);

// Draws a stream of samples (scatter or image grid) or of trajectories into a PNG file (an
// SVG or PDF when the name ends in .svg or .pdf).
// check_png says beforehand whether the shape can be drawn (a usage error if not).
void check_png(const SamplePlan& p, bool trajectory);
void write_png(const std::string& path, const Stream& s, bool trajectory, bool by_label);

}  // namespace flowkit::cli
