// unet_rate: the U-Net's training step (Trainer::train_step: batch, path, forward, backward,
// clipping at norm 1 as flow-train does by default, Adam, EMA) on random SIZE x SIZE one-channel
// images, and its forward pass alone (sampling: image evaluations per second). With CLASSES > 0
// the model is conditional (labels 0..CLASSES-1 in turn, dropped to the null label at
// flow-train's rate while training; the forward pass gets the labels): bench/run.py's U-Net rows.
// field_*: the trained model's velocity at t = 0.5 for the batch as sampling computes it
// (LearnedField::velocity: pieces of 64 images over the threads; forward_* is one Net::forward
// of the whole batch on the calling thread). Each figure: one untimed call, then REPS timed
// ones; the mean (*_ms, *_cpu_ms: process CPU time) and the best (*_best_ms: what bench/run.py
// reports).
// Usage: unet_rate THREADS CHANNELS BATCH SIZE REPS [CLASSES]   (CHANNELS like 32,64) prints one
// JSON line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "flowkit/core/memory.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/nn/net.hpp"
#include "flowkit/train/train.hpp"

using namespace flowkit;

namespace {
double cpu_seconds() {
  timespec c;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
  return double(c.tv_sec) + 1e-9 * double(c.tv_nsec);
}

struct Rate {
  double mean_ms, cpu_ms, best_ms;  // wall and process-CPU mean per call (CPU time reads the
                                    // rate of a loaded machine), the fastest call's wall time
};

// One untimed call (warm-up), then reps timed calls.
template <class F>
Rate ms_per(int reps, F f) {
  f();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto s0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {1e3 * wall / reps, 1e3 * (cpu_seconds() - c0) / reps, 1e3 * best};
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: unet_rate THREADS CHANNELS BATCH SIZE REPS [CLASSES]\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]), batch = std::atoi(argv[3]), size = std::atoi(argv[4]);
  const int reps = std::max(1, std::atoi(argv[5])), classes = argc == 7 ? std::atoi(argv[6]) : 0;
  reuse_freed_memory();  // as every program does
  set_threads(threads);
  TrainConfig c;
  c.net.kind = NetKind::unet;
  c.net.unet.channels = parse_channel_list(argv[2]);
  c.batch = batch;
  c.steps = 1000000;
  c.optim.clip = 1.0;  // flow-train's default
  c.conditional = classes > 0;
  TrainData d;
  d.target = Mat::Random(size * size, 1024).array().abs();
  d.shape = {size, size};
  for (int i = 0; classes > 0 && i < 1024; ++i) d.labels.push_back(i % classes);
  Trainer trainer(c, d);
  const auto step = ms_per(reps, [&] { trainer.train_step(); });
  Net net(trainer.config().net);
  Rng rng(1);
  net.init(rng);
  Mat x = Mat::Random(size * size, batch), out;
  const Vec t = Vec::Constant(batch, 0.5f);
  std::vector<int> labels(static_cast<size_t>(batch));
  for (int i = 0; i < batch; ++i) labels[size_t(i)] = classes > 0 ? i % classes : 0;
  const int* lab = classes > 0 ? labels.data() : nullptr;
  const auto fwd = ms_per(reps, [&] { net.forward(x, t, lab, out); });
  const auto field = load_field(trainer.model_json(), "unet_rate");
  if (classes > 0) field->set_condition(labels, 1.0);
  const auto vel = ms_per(reps, [&] { field->velocity(x, 0.5, out); });
  std::printf(
      "{\"threads\": %d, \"channels\": \"%s\", \"batch\": %d, \"size\": %d, \"classes\": %d, "
      "\"params\": %zu, \"reps\": %d, \"step_ms\": %.1f, \"step_cpu_ms\": %.1f, \"step_best_ms\": "
      "%.2f, "
      "\"forward_ms\": %.1f, \"forward_cpu_ms\": %.1f, \"forward_best_ms\": %.2f, "
      "\"field_ms\": %.1f, \"field_cpu_ms\": %.1f, \"field_best_ms\": %.2f}\n",
      threads, argv[2], batch, size, classes, net.params().size(), reps, step.mean_ms, step.cpu_ms,
      step.best_ms, fwd.mean_ms, fwd.cpu_ms, fwd.best_ms, vel.mean_ms, vel.cpu_ms, vel.best_ms);
  return 0;
}
