// flow-sample: draws samples from a model by integrating its ODE or SDE, chunk by chunk.
#include "flowkit/cli/discrete.hpp"
#include "flowkit/cli/mpi.hpp"
#include "flowkit/cli/sample.hpp"

using namespace flowkit;

namespace {

// Most points kept in memory for the --png picture.
constexpr int64_t kPngPoints = 100000;

void sample(const CLI::App& app, const cli::SampleFlags& f, const cli::Common& c, ModelFile mf) {
  cli::SamplePlan p = cli::plan_sampling(f, app, c, std::move(mf));
  if (!f.png.empty()) cli::check_png(p, false);
  const Format fmt = cli::output_format(c);
  // Under mpirun the other processes solve their chunks and send them to process 0, which writes
  Comm& comm = cli::world();
  if (comm.rank() > 0) {
    sample_chunks(*p.field, p.job, p.opt, {}, {}, comm);
    return;
  }
  const int64_t d = p.field->dim(), keep = f.png.empty() ? 0 : std::min(p.job.n, kPngPoints);
  // With --logp each sample carries its log density as a last column; with --pairs each
  // sample (n, 2, ...) is its start point [0] and its end point [1]
  std::vector<int64_t> out_shape = f.logp ? std::vector<int64_t>{d + 1} : p.shape;
  if (f.pairs) out_shape.insert(out_shape.begin(), 2);
  Mat pair, start;
  Stream picture;
  picture.main.shape = {keep};
  picture.main.shape.insert(picture.main.shape.end(), p.shape.begin(), p.shape.end());
  picture.main.data.resize(size_t(keep * d));
  cli::Progress progress(c, p.job.n, "sampling");
  SampleStats st;
  cli::write_output(c.output, [&](std::ostream& os) {
    std::unique_ptr<cli::SampleWriter> w;  // opened at the first chunk: an early error writes nothing
    st = sample_chunks(*p.field, p.job, p.opt, [&](int64_t first, const Mat& x) {
      if (!w) w = cli::open_sample_writer(os, fmt, p.job.n, out_shape);
      if (f.pairs) {
        pair.resize(2 * d, x.cols());
        start.resize(d, x.cols());
        start_points(p.job, p.opt, first, start);
        pair.topRows(d) = start;
        pair.bottomRows(d) = x;
      }
      w->write(f.pairs ? pair : x);
      const int64_t k = std::min<int64_t>(x.cols(), std::max<int64_t>(0, keep - first));
      // Only chunks with points for the picture: past its end (or with no picture, whose
      // buffer is null) the offset pointer itself would be undefined behaviour
      if (k > 0) Eigen::Map<Mat>(picture.main.data.data() + first * d, d, k) = x.topLeftCorner(d, k);
      progress.update(first + x.cols());
    }, {}, comm);
    if (!w) w = cli::open_sample_writer(os, fmt, p.job.n, out_shape);
    w->finish(cli::label_array(p));
  });
  progress.finish(cli::summary_json(p, st));
  cli::status(c, cli::summary(p, st, "samples"));
  if (st.diverged > 0)
    cli::status(c, "warning: " + std::to_string(st.diverged) + " of " + std::to_string(p.job.n) +
                       " samples diverged: written as +inf" + (f.logp ? ", with log p = -inf" : ""),
                true);
  if (f.png.empty()) return;
  if (auto labels = cli::label_array(p)) {
    labels->data.resize(size_t(keep));
    labels->shape = {keep};
    picture.companion = labels;
  }
  cli::write_png(f.png, picture, false, !p.classes.empty());
}

}  // namespace

int main(int argc, char** argv) {
  cli::Common c;
  cli::SampleFlags f;
  cli::DiscreteSampleFlags d;
  return cli::run("flow-sample", "Draws samples from a flow or diffusion model (ODE or SDE solvers).", argc, argv,
                  [&](CLI::App& app) {
                    cli::add_sample_flags(app, f);
                    app.add_flag("--logp", f.logp,
                                 "append each sample's log density log p_1(x) as a last column (ODE from N(0, I); "
                                 "exact divergence, carried along the same solve)");
                    app.add_flag("--pairs", f.pairs,
                                 "write each sample beside the point it started from: (n, 2, ...) with [i, 0] the "
                                 "noise (or --from point) and [i, 1] the sample; for flow-train --pairs (reflow)");
                    cli::add_discrete_sample_flags(app, d);
                    cli::add_all(app, c);
                    app.callback([&] {
                      ModelFile mf = read_flow_or_discrete(f.model);  // read once, either kind
                      if (mf.discrete) return cli::sample_discrete(app, f, d, c, *mf.discrete);
                      sample(app, f, c, std::move(mf));
                    });
                  });
}
