// Training speed: steps per second and GFLOP/s of flow-matching training steps (forward,
// backward, Adam, EMA) for two network sizes at 1 and 2 threads; arguments: steps per size.
// Not part of the default build: g++ -O2 -DNDEBUG -march=native -fopenmp -std=c++17 -Ilib
// -I/usr/include/eigen3 bench/train_bench.cpp build/libflowkit.a -o train_bench
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>

#include "flowkit/core/memory.hpp"
#include "flowkit/train/train.hpp"

using namespace flowkit;

namespace {
// Multiply-adds of forward + backward (3 GEMM passes) per point, times 2 flops.
double flops_per_step(const NetConfig& c, int64_t batch) {
  double macs = double(c.in_features()) * c.width + double(c.depth - 1) * c.width * c.width + double(c.width) * c.dim;
  return 2.0 * 3.0 * macs * double(batch);
}

void run(int width, int depth, int64_t batch, int threads, int64_t steps) {
  set_threads(threads);
  TrainConfig c;
  c.net.width = width;
  c.net.depth = depth;
  c.net.time_freqs = 8;
  c.batch = batch;
  c.steps = steps + 5;
  TrainData d;
  Rng r(1);
  d.target = Mat(2, 20000);
  r.fill_normal(d.target);
  d.shape = {2};
  Trainer t(c, d);
  for (int i = 0; i < 5; ++i) t.train_step();  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  for (int64_t i = 0; i < steps; ++i) t.train_step();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
  c.net.dim = 2;
  // Wall-clock figures, and per CPU-second (what a busy shared machine still tells at 1 thread)
  std::printf("width %4d depth %d batch %5lld threads %d: %8.1f steps/s %6.1f GFLOP/s | %8.1f steps/cpu-s %6.1f GFLOP/cpu-s\n",
              width, depth, (long long)batch, threads, double(steps) / s, flops_per_step(c.net, batch) * double(steps) / s / 1e9,
              double(steps) / cpu, flops_per_step(c.net, batch) * double(steps) / cpu / 1e9);
}
}  // namespace

int main(int argc, char** argv) {
  reuse_freed_memory();  // as every program does
  const int64_t big = argc > 1 ? std::atoll(argv[1]) : 20, small = argc > 2 ? std::atoll(argv[2]) : 300;
  for (int threads : {1, 2}) {
    run(256, 4, 4096, threads, big);
    run(64, 3, 512, threads, small);
  }
}
