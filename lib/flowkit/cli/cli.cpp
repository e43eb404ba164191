#include "flowkit/cli/cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sys/stat.h>
#include <thread>

#include "flowkit/cli/mpi.hpp"
#include "flowkit/core/memory.hpp"

namespace flowkit::cli {
namespace {
std::string g_prog = "flowkit";

bool is_regular_or_missing(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return true;
  return S_ISREG(st.st_mode);
}

// The temporary file write_output is filling: a signal that ends the program mid-write removes
// it (unlink is safe in a handler), so an interrupted run leaves nothing half-written behind
char g_pending_tmp[4096];
volatile std::sig_atomic_t g_has_pending = 0;

extern "C" void remove_pending_and_die(int sig) {
  if (g_has_pending) ::unlink(g_pending_tmp);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// SIGINT, SIGTERM and SIGHUP then end the program as before (their status), less the file; a
// signal the caller ignores (nohup) stays ignored. flow-train installs its own (it stops between
// steps and writes its model).
void remove_pending_on_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    struct sigaction sa {};
    sa.sa_handler = remove_pending_and_die;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

void set_pending(const std::string& tmp) {
  if (tmp.size() >= sizeof g_pending_tmp) return;  // too long to keep: an exception still removes it
  std::memcpy(g_pending_tmp, tmp.c_str(), tmp.size() + 1);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_has_pending = 1;
}

void clear_pending() {
  g_has_pending = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The error line and its status. Under mpirun the failing rank ends every rank (no rank may
// wait forever in a collective for it); a rank other than 0 waits first, so that when every
// rank fails alike (a bad flag, a missing file) only rank 0's line is printed. The wait is long
// enough for a loaded machine: at 300 ms, rank 1 printed its line too once in a busy test run
// (rank 0 reached the same error later); an error of one rank alone costs it the wait.
int fail(const std::string& line, int code) {
  const bool group = several_processes();
  if (group && world().rank() > 0) std::this_thread::sleep_for(std::chrono::seconds(2));
  std::cerr << line;
  if (group && world().rank() > 0) std::cerr << " (rank " << world().rank() << " of " << world().size() << ")";
  std::cerr << '\n' << std::flush;
  if (group) abort_all(code);
  return code;
}

// A normal exit: under mpirun every process ends MPI in order (MPI_Finalize).
int done(int code) {
  finish();
  return code;
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

const std::string& prog() { return g_prog; }

void add_output(CLI::App& app, Common& c, const std::string& what) {
  app.add_option("-o,--output", c.output, what);
}
void add_format(CLI::App& app, Common& c) {
  app.add_option("-f,--format", c.format,
                 "output format: " + choice_names(formats()) +
                     " (default npy; csv when standard output is a terminal)");
}
void add_seed(CLI::App& app, Common& c) {
  app.add_option("--seed", c.seed, "random seed: the same seed gives the same bytes (default 0)");
}
void add_threads(CLI::App& app, Common& c) {
  app.add_option("--threads", c.threads, "threads to use (default 0: all cores)");
}
void add_quiet_log(CLI::App& app, Common& c) {
  app.add_flag("-q,--quiet", c.quiet, "no progress or status lines on stderr");
  app.add_option("--log", c.log, "write progress events as JSON lines to this file");
}
void add_all(CLI::App& app, Common& c) {
  add_output(app, c);
  add_format(app, c);
  add_seed(app, c);
  add_threads(app, c);
  add_quiet_log(app, c);
}

void require_row_shape(const Array& a, const std::vector<int64_t>& model, const std::string& where) {
  if (a.shape.size() <= 2) return;
  const std::vector<int64_t> row(a.shape.begin() + 1, a.shape.end());
  if (row == model) return;
  std::string want;
  for (int64_t s : model) want += (want.empty() ? "" : " x ") + std::to_string(s);
  throw Error("images of shape " + a.shape_str() + " in " + where + ", but the model's are " + want);
}

int parse_levels(const std::string& v) {
  size_t used = 0;
  int L = 0;
  try {
    L = std::stoi(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || L < 2) throw usage_error("--dequantize=L needs a number L >= 2 of levels, got '" + v + "'");
  return L;
}

int apply_threads(const Common& c) {
  int n = c.threads;
  if (n < 0) throw usage_error("--threads must be 0 (all cores) or positive, got " + std::to_string(n));
  if (n == 0) n = int(std::max(1u, std::thread::hardware_concurrency()));
  set_threads(n);
  return n;
}

Format output_format(const Common& c) {
  // (under mpirun standard output is mpirun's relay, a terminal whatever the user's is)
  const bool to_tty = (c.output.empty() || c.output == "-") && ::isatty(STDOUT_FILENO) && !several_processes();
  if (c.format.empty()) return to_tty ? Format::csv : Format::npy;
  const Format f = parse_choice(formats(), c.format, "format");
  if (f == Format::npy && to_tty)
    throw usage_error("refusing to write binary NPY to a terminal; redirect it or use -f csv");
  return f;
}

void check_stdout() {
  std::cout.flush();
  if (std::fflush(stdout) != 0 || !std::cout) {
    if (errno == EPIPE) std::_Exit(141);
    throw Error(std::string("cannot write to standard output: ") + std::strerror(errno ? errno : EIO));
  }
}

void write_output(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  if (path.empty() || path == "-") {
    errno = 0;
    writer(std::cout);
    check_stdout();
    return;
  }
  if (!is_regular_or_missing(path)) {  // a device or a pipe: write in place
    std::ofstream os(path, std::ios::binary);
    if (!os) throw Error("cannot open " + path + " for writing: " + std::strerror(errno));
    writer(os);
    os.flush();
    if (!os) throw Error("cannot write " + path + ": " + std::strerror(errno ? errno : EIO));
    return;
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  set_pending(tmp);
  try {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) throw Error("cannot open " + path + " for writing: " + std::strerror(errno));
    writer(os);
    os.flush();
    if (!os) throw Error("cannot write " + path + ": " + std::strerror(errno ? errno : EIO));
    os.close();
    if (!os) throw Error("cannot write " + path + ": " + std::strerror(errno ? errno : EIO));
    fsync_path(tmp, O_RDONLY);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw Error("cannot replace " + path + ": " + std::strerror(errno));
    clear_pending();
    fsync_path(dir_of(path), O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::remove(tmp.c_str());
    clear_pending();
    throw;
  }
}

void write_stream_output(const Common& c, const Stream& s) {
  const Format f = output_format(c);
  write_output(c.output, [&](std::ostream& os) { write_stream(os, s, f); });
}

int run(const std::string& prog, const std::string& description, int argc, char** argv,
        const std::function<void(CLI::App&)>& define) {
  g_prog = prog;
  reuse_freed_memory();
  std::signal(SIGPIPE, SIG_DFL);
  remove_pending_on_signals();
  world();  // under mpirun, MPI starts now: an error from here on ends every process
  CLI::App app(description, prog);
  app.set_version_flag("-V,--version", prog + " (flowkit) " FLOWKIT_VERSION "\nMPI: " + mpi_version());
  app.get_formatter()->column_width(34);
  const std::string head = prog + ": error: ";
  const std::string usage = " (run '" + prog + " --help' for usage)";
  try {
    define(app);
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return done(app.exit(e));
    } catch (const CLI::CallForAllHelp& e) {
      return done(app.exit(e));
    } catch (const CLI::CallForVersion& e) {
      return done(app.exit(e));
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return done(app.exit(e));
      return fail(head + e.what() + usage, int(ExitCode::usage));
    }
  } catch (const Error& e) {
    return fail(head + e.what() + (e.code() == ExitCode::usage ? usage : ""), int(e.code()));
  } catch (const std::bad_alloc&) {
    return fail(head + "out of memory", int(ExitCode::runtime));
  } catch (const std::exception& e) {
    return fail(head + e.what(), int(ExitCode::runtime));
  }
  return done(int(ExitCode::ok));
}

void status(const Common& c, const std::string& line, bool always) {
  if (c.quiet && !always) return;
  if (always || ::isatty(STDERR_FILENO)) std::cerr << g_prog << ": " << line << '\n';
}

Progress::Progress(const Common& c, int64_t total, std::string label)
    : total_(total), label_(std::move(label)), tty_(!c.quiet && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_() {
  if (!c.log.empty()) {
    log_ = std::make_unique<std::ofstream>(c.log, std::ios::trunc);
    if (!*log_) throw Error("cannot open log file " + c.log + ": " + std::strerror(errno));
  }
}

Progress::~Progress() {
  if (tty_) std::cerr << "\r\033[K" << std::flush;
}

void Progress::event(const nlohmann::json& fields) {
  if (!log_) return;
  nlohmann::json j = fields;
  j["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  *log_ << j.dump() << '\n' << std::flush;
}

void Progress::update(int64_t done, const nlohmann::json& fields) {
  const auto now = std::chrono::steady_clock::now();
  nlohmann::json j = fields;
  j["step"] = done;
  j["total"] = total_;
  event(j);
  if (!tty_ || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double el = std::chrono::duration<double>(now - start_).count();
  const double frac = total_ > 0 ? double(done) / double(total_) : 0.0;
  const int width = 24, filled = int(frac * width);
  std::string bar = std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.');
  char buf[128];
  std::snprintf(buf, sizeof buf, " %lld/%lld %.1f/s eta %.0fs", (long long)done, (long long)total_,
                el > 0 ? done / el : 0.0, frac > 0 ? el * (1 - frac) / frac : 0.0);
  std::string extra;
  for (auto it = fields.begin(); it != fields.end(); ++it)
    if (it.value().is_number_float()) {
      char v[64];
      std::snprintf(v, sizeof v, " %s %.4g", it.key().c_str(), it.value().get<double>());
      extra += v;
    }
  std::cerr << "\r\033[K" << label_ << " [" << bar << "]" << buf << extra << std::flush;
}

void Progress::finish(const nlohmann::json& fields) {
  nlohmann::json j = fields;
  j["event"] = "done";
  event(j);
  if (tty_) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace flowkit::cli
