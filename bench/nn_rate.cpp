// nn_rate: the network's kernels alone (no data, no optimizer), to read the training and
// density figures against: forward + backward of flowkit::Mlp<float>, and forward + the batched
// JVP of d directions, in achieved GFLOP/s of their GEMMs.
// Usage: nn_rate THREADS WIDTH DEPTH BATCH REPS   prints one JSON object.
#include <Eigen/Core>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "flowkit/nn.hpp"

using namespace flowkit;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: nn_rate THREADS WIDTH DEPTH BATCH REPS\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  Eigen::setNbThreads(threads);
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
  std::vector<float> grad;
  // GEMM flops: forward 2 n W; backward 2 n W (weights) + 2 n (W - W_in) (inputs); JVP 2 d n (W - W_in) + d n W_in x
  const double w = double(c.in_features()) * c.width + double(c.depth - 1) * c.width * c.width + double(c.width) * c.dim;
  const double w_in = double(c.in_features()) * c.width;
  net.forward(x, t, nullptr, out);
  net.backward(gout, grad);
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) net.forward(x, t, nullptr, out);
  const double fwd = seconds_since(t0) / reps;
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    net.forward(x, t, nullptr, out);
    net.backward(gout, grad);
  }
  const double fb = seconds_since(t0) / reps;
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    net.forward(x, t, nullptr, out);
    net.jvp(dx, jout);
  }
  const double fj = seconds_since(t0) / reps;
  const double f_fwd = 2 * n * w, f_fb = n * (6 * w - 2 * w_in), f_fj = 2 * n * w + 2.0 * 2 * n * (w - w_in + 2 * c.width);
  std::printf(
      "{\"threads\": %d, \"width\": %d, \"depth\": %d, \"batch\": %d, \"forward_ms\": %.3f, \"forward_gflops\": %.2f, "
      "\"fwd_bwd_ms\": %.3f, \"fwd_bwd_gflops\": %.2f, \"fwd_jvp_ms\": %.3f, \"fwd_jvp_gflops\": %.2f}\n",
      threads, c.width, c.depth, n, fwd * 1e3, f_fwd / fwd / 1e9, fb * 1e3, f_fb / fb / 1e9, fj * 1e3, f_fj / fj / 1e9);
}
