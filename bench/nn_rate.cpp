// nn_rate: the network's kernels alone (no data, no optimizer), to read the training and
// density figures against: forward + backward of flowkit::Mlp<float>, and forward + the batched
// JVP of d directions, in achieved GFLOP/s of their GEMMs.
// Usage: nn_rate THREADS WIDTH DEPTH BATCH REPS   prints one JSON object.
#include <Eigen/Core>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "flowkit/core/memory.hpp"
#include "flowkit/nn/mlp.hpp"

using namespace flowkit;

namespace {
// Wall and process-CPU seconds of `reps` calls of f (CPU time reads the rate of a loaded machine).
template <class F>
std::pair<double, double> timed(int reps, F f) {
  timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) f();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  return {wall / reps, (double(c1.tv_sec - c0.tv_sec) + 1e-9 * double(c1.tv_nsec - c0.tv_nsec)) / reps};
}
}  // namespace

int main(int argc, char** argv) {
  reuse_freed_memory();  // as every program does
  if (argc != 6) {
    std::fprintf(stderr, "usage: nn_rate THREADS WIDTH DEPTH BATCH REPS\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  set_threads(threads);  // Eigen and OpenMP, as --threads does
  NetConfig c;
  c.dim = 2;
  c.width = std::atoi(argv[2]);
  c.depth = std::atoi(argv[3]);
  const int n = std::atoi(argv[4]), reps = std::atoi(argv[5]);
  Mlp<float> net(c);
  Rng rng(1);
  net.init(rng);
  Mat x = Mat::Random(2, n), out, gout = Mat::Random(2, n), jout, dx = Mat::Random(2, 2 * n);
  Vec t = (Vec::Random(n).array() + 1.f) / 2.f;
  ParamVec<float> grad;
  // GEMM flops: forward 2 n W; backward 2 n W (weights) + 2 n (W - W_in) (inputs); JVP 2 d n (W - W_in) + d n W_in x
  const double w = double(c.in_features()) * c.width + double(c.depth - 1) * c.width * c.width + double(c.width) * c.dim;
  const double w_in = double(c.in_features()) * c.width;
  net.forward(x, t, nullptr, out);
  net.backward(gout, grad);
  const auto fwd = timed(reps, [&] { net.forward(x, t, nullptr, out); });
  const auto fb = timed(reps, [&] {
    net.forward(x, t, nullptr, out);
    net.backward(gout, grad);
  });
  const auto fj = timed(reps, [&] {
    net.forward(x, t, nullptr, out);
    net.jvp(dx, jout);
  });
  const double f_fwd = 2 * n * w, f_fb = n * (6 * w - 2 * w_in), f_fj = 2 * n * w + 2.0 * 2 * n * (w - w_in + 2 * c.width);
  std::printf("{\"threads\": %d, \"width\": %d, \"depth\": %d, \"batch\": %d", threads, c.width, c.depth, n);
  const char* names[] = {"forward", "fwd_bwd", "fwd_jvp"};
  const std::pair<double, double> secs[] = {fwd, fb, fj};
  const double flops[] = {f_fwd, f_fb, f_fj};
  for (int k = 0; k < 3; ++k)
    std::printf(", \"%s_ms\": %.3f, \"%s_gflops\": %.2f, \"%s_cpu_gflops\": %.2f", names[k], secs[k].first * 1e3,
                names[k], flops[k] / secs[k].first / 1e9, names[k], flops[k] / secs[k].second / 1e9);
  std::printf("}\n");
}
