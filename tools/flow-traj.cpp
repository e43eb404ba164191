// flow-traj: writes whole trajectories (T, n, d) of a model's ODE or SDE, with their times.
#include <cmath>

#include "flowkit/cli/discrete.hpp"
#include "flowkit/cli/sample.hpp"

using namespace flowkit;

namespace {

// Most floats a trajectory may hold in memory (2 GB).
constexpr double kMaxFloats = 5e8;

// Which recorded slot step s of S fills (every K-th step and the last), or -1.
int64_t slot(int64_t s, int64_t S, int64_t K) {
  if (s % K == 0) return s / K;
  return s == S ? S / K + 1 : -1;
}

// Fixed grids: chunks run in parallel and write their states straight into the array.
Stream fixed_grid(cli::SamplePlan& p, int64_t every, cli::Progress& progress, SampleStats& st) {
  const int64_t S = p.opt.ode.steps, N = p.job.n, d = p.field->dim();
  const int64_t T = S / every + 1 + (S % every ? 1 : 0);
  if (double(T) * double(N) * double(d) > kMaxFloats)
    throw usage_error("a trajectory of " + std::to_string(T) + " x " + std::to_string(N) + " x " + std::to_string(d) +
                      " floats is too large; use fewer points (-n), fewer steps or --every");
  Stream s;
  s.main.shape = {T, N};
  s.main.shape.insert(s.main.shape.end(), p.shape.begin(), p.shape.end());
  s.main.data.resize(size_t(T * N * d));
  const std::vector<double> grid = time_grid(p.opt.ode.grid, int(S), p.opt.ode.t0, p.opt.ode.t1);
  Array times({T});
  for (int64_t i = 0; i <= S; ++i)
    if (slot(i, S, every) >= 0) times.data[size_t(slot(i, S, every))] = float(grid[size_t(i)]);
  st = sample_chunks(*p.field, p.job, p.opt, [&](int64_t first, const Mat& x) { progress.update(first + x.cols()); },
                     [&](int64_t first, int64_t step, double, const Mat& x) {
                       const int64_t k = slot(step, S, every);
                       if (k >= 0) std::copy(x.data(), x.data() + x.size(), s.main.data.begin() + (k * N + first) * d);
                     });
  s.companion = times;
  return s;
}

// dopri5: one batch, so that every point shares the accepted times.
Stream adaptive_steps(cli::SamplePlan& p, int64_t every, SampleStats& st) {
  p.opt.chunk = std::max<int64_t>(1, p.job.n);
  std::vector<float> data, times;
  double last = NAN;
  auto record = [&](double t, const Mat& x) {
    if (double(data.size() + size_t(x.size())) > kMaxFloats)
      throw usage_error("the trajectory grows too large; use fewer points (-n), a looser --rtol or --every");
    data.insert(data.end(), x.data(), x.data() + x.size());
    times.push_back(float(t));
    last = t;
  };
  st = sample_chunks(*p.field, p.job, p.opt,
                     [&](int64_t, const Mat& x) {
                       if (last != p.opt.ode.t1) record(p.opt.ode.t1, x);
                     },
                     [&](int64_t, int64_t step, double t, const Mat& x) {
                       if (step % every == 0) record(t, x);
                     });
  Stream s;
  s.main.shape = {int64_t(times.size()), p.job.n};
  s.main.shape.insert(s.main.shape.end(), p.shape.begin(), p.shape.end());
  s.main.data = std::move(data);
  if (p.job.n == 0) s.main.data.clear();
  s.companion = Array::from_vector(times);
  return s;
}

void traj(const CLI::App& app, const cli::SampleFlags& f, int64_t every, const cli::Common& c, ModelFile mf) {
  cli::SamplePlan p = cli::plan_sampling(f, app, c, std::move(mf));
  if (!f.png.empty()) cli::check_png(p, true);
  cli::output_format(c);
  cli::Progress progress(c, p.job.n, "trajectories");
  SampleStats st;
  const Stream s = adaptive(p.opt.ode.solver) ? adaptive_steps(p, every, st) : fixed_grid(p, every, progress, st);
  cli::write_stream_output(c, s);
  progress.finish(cli::summary_json(p, st));
  cli::status(c, cli::summary(p, st, "trajectories") + ", " + std::to_string(s.main.shape[0]) + " states each");
  if (!f.png.empty()) cli::write_png(f.png, s, true, false);
}

}  // namespace

int main(int argc, char** argv) {
  cli::Common c;
  cli::SampleFlags f;
  cli::DiscreteSampleFlags d;
  int64_t every = 1;
  return cli::run("flow-traj", "Writes the trajectories of a flow or diffusion model: states (T, n, d) and times (T,).",
                  argc, argv, [&](CLI::App& app) {
                    cli::add_sample_flags(app, f);
                    cli::add_discrete_sample_flags(app, d);
                    app.add_option("--every", every, "keep every K-th state (and the last; default 1)");
                    cli::add_all(app, c);
                    app.callback([&] {
                      if (every < 1) throw usage_error("--every must be at least 1");
                      ModelFile mf = read_flow_or_discrete(f.model);  // read once, either kind
                      if (mf.discrete) return cli::sample_discrete(app, f, d, c, *mf.discrete, int(every));
                      traj(app, f, every, c, std::move(mf));
                    });
                  });
}
