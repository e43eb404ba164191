// cli (evaluation): the four subcommands of flow-eval: logp, field, compare, paths.
#pragma once
#include <string>
#include <vector>

#include "flowkit/cli/cli.hpp"

namespace flowkit::cli {

struct LogpFlags {
  std::string model, input = "-";
  std::string solver = "auto", divergence = "auto", probe = "rademacher";  // auto: solver_for_logp
  int steps = 100, probes = 1;
  double rtol = 1e-5, atol = 1e-5;
  bool bpd = false, summary = false, with_points = false;
  bool dequantize = false;  // --dequantize[=L] given
  bool steps_given = false; // --steps given: --solver auto is then rk4
  std::string levels;       // its L, or "auto": the levels the model recorded
};
struct FieldFlags {
  std::string model, input = "-", what = "velocity";
  double t = -1;
  bool with_points = false;
};
struct CompareFlags {
  std::string a, b, metrics, manifold = "euclidean";
  int projections = 256, knn = 5;
  int64_t max_w2 = 10000;
  std::vector<double> bandwidths;
};
struct PathsFlags {
  std::string input = "-";
};

void add_logp(CLI::App& app, LogpFlags& f, Common& c);
void add_field(CLI::App& app, FieldFlags& f, Common& c);
void add_compare(CLI::App& app, CompareFlags& f, Common& c);
void add_paths(CLI::App& app, PathsFlags& f, Common& c);

}  // namespace flowkit::cli
