// cli: what every program shares: the common flags, the error line and exit codes,
// atomic output files, never-binary-to-a-terminal, and the progress bar / JSON log.
#pragma once
#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "flowkit/io/stream.hpp"

namespace flowkit::cli {

// Flags shared by every program; each program adds the ones it uses.
struct Common {
  std::string output = "-";
  std::string format;  // empty: npy, or csv when stdout is a terminal
  uint64_t seed = 0;
  int threads = 0;     // 0: all hardware threads
  bool quiet = false;
  std::string log;     // JSON-lines progress log
};

void add_output(CLI::App& app, Common& c, const std::string& what = "output file ('-' is standard output)");
void add_format(CLI::App& app, Common& c);
void add_seed(CLI::App& app, Common& c);
void add_threads(CLI::App& app, Common& c);
void add_quiet_log(CLI::App& app, Common& c);
void add_all(CLI::App& app, Common& c);  // all of the above

// Runs a program: `define` adds options and callbacks (app.callback or subcommands) to the
// app; run parses argv and invokes them. Maps every failure to one line on stderr,
// "PROG: error: ...", and the exit codes of DESIGN.md (usage 2, runtime 1).
int run(const std::string& prog, const std::string& description, int argc, char** argv,
        const std::function<void(CLI::App&)>& define);

// The name of the running program, for messages ("flow-data").
const std::string& prog();

// The L of --dequantize=L (flow-train, flow-eval): a whole number >= 2, else a usage error.
int parse_levels(const std::string& v);

// Images (an array whose rows have rank > 1) must have the model's own shape: (3, 14, 56) was
// read as 28 x 28 images. A flat row of the model's size is taken as it is.
void require_row_shape(const Array& a, const std::vector<int64_t>& model, const std::string& where);

// Applies --threads (0: hardware threads) to Eigen and OpenMP; returns the count used.
int apply_threads(const Common& c);

// The output format: -f if given, else npy, or csv when the output is a terminal.
// Refuses -f npy to a terminal.
Format output_format(const Common& c);

// Writes an output: to standard output for "-" or "", otherwise atomically (a temporary
// file beside the target, renamed into place after a successful write and fsync).
void write_output(const std::string& path, const std::function<void(std::ostream&)>& writer);
void write_stream_output(const Common& c, const Stream& s);

// Checks that standard output took everything (a full disk is an error, a closed pipe a
// quiet exit with status 141).
void check_stdout();

// Progress: a one-line bar on stderr when it is a terminal and not --quiet; and, with
// --log FILE, one JSON object per event.
class Progress {
 public:
  Progress(const Common& c, int64_t total, std::string label);
  ~Progress();
  void update(int64_t done, const nlohmann::json& fields = {});
  void event(const nlohmann::json& fields);  // log only
  void finish(const nlohmann::json& fields = {});
  bool interactive() const { return tty_; }

 private:
  int64_t total_;
  std::string label_;
  bool tty_;
  std::unique_ptr<std::ofstream> log_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// A status line on stderr (only when stderr is a terminal and not quiet, or always=true).
void status(const Common& c, const std::string& line, bool always = false);

}  // namespace flowkit::cli
