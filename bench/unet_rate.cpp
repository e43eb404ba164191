// unet_rate: the U-Net's training step (Trainer::train_step: batch, path, forward, backward,
// clipping, Adam, EMA) on random SIZE x SIZE one-channel images, and its forward pass alone
// (sampling: image evaluations per second).
// Usage: unet_rate THREADS CHANNELS BATCH SIZE REPS   (CHANNELS like 32,64) prints one JSON line.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "flowkit/nn/net.hpp"
#include "flowkit/train/train.hpp"

using namespace flowkit;

namespace {
double cpu_seconds() {
  timespec c;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
  return double(c.tv_sec) + 1e-9 * double(c.tv_nsec);
}

// Wall and process-CPU milliseconds per call (CPU time reads the rate of a loaded machine).
template <class F>
std::pair<double, double> ms_per(int reps, F f) {
  f();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) f();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {1e3 * wall / reps, 1e3 * (cpu_seconds() - c0) / reps};
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: unet_rate THREADS CHANNELS BATCH SIZE REPS\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]), batch = std::atoi(argv[3]), size = std::atoi(argv[4]);
  const int reps = std::atoi(argv[5]);
  set_threads(threads);
  TrainConfig c;
  c.net.kind = NetKind::unet;
  c.net.unet.channels = parse_channel_list(argv[2]);
  c.batch = batch;
  c.steps = 1000000;
  TrainData d;
  d.target = Mat::Random(size * size, 1024).array().abs();
  d.shape = {size, size};
  Trainer trainer(c, d);
  const auto step = ms_per(reps, [&] { trainer.train_step(); });
  Net net(trainer.config().net);
  Rng rng(1);
  net.init(rng);
  Mat x = Mat::Random(size * size, batch), out;
  const Vec t = Vec::Constant(batch, 0.5f);
  const auto fwd = ms_per(reps, [&] { net.forward(x, t, nullptr, out); });
  std::printf(
      "{\"threads\": %d, \"channels\": \"%s\", \"batch\": %d, \"size\": %d, \"params\": %zu, "
      "\"step_ms\": %.1f, "
      "\"step_cpu_ms\": %.1f, \"forward_ms\": %.1f, \"forward_cpu_ms\": %.1f}\n",
      threads, argv[2], batch, size, net.params().size(), step.first, step.second, fwd.first, fwd.second);
  return 0;
}
