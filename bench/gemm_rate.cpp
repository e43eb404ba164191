// gemm_rate: the machine's measured single-precision GEMM rate with Eigen (the limit every
// flowkit figure is read against). Square n x n products, best of several repetitions.
// Usage: gemm_rate THREADS N...   prints one JSON object per size: {"n":..,"threads":..,"gflops":..}
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace {
double cpu_seconds() {
  timespec c;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
  return double(c.tv_sec) + 1e-9 * double(c.tv_nsec);
}

// Best GFLOP/s of C = A B over enough repetitions to run about `budget` seconds; cpu: the same
// per CPU-second (what one core delivers when it runs, on a loaded machine).
double rate(int n, double budget, double& cpu) {
  using M = Eigen::MatrixXf;
  M a = M::Random(n, n), b = M::Random(n, n), c(n, n);
  c.noalias() = a * b;  // warm-up
  const double flops = 2.0 * n * n * double(n);
  double best = 0, spent = 0;
  cpu = 0;
  for (int rep = 0; rep < 50 && (rep < 3 || spent < budget); ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    c.noalias() = a * b;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu = std::max(cpu, flops / (cpu_seconds() - c0) / 1e9);
    spent += s;
    if (flops / s > best) best = flops / s;
  }
  if (c(0, 0) == 12345.f) std::puts("");  // keep the product alive
  return best / 1e9;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: gemm_rate THREADS N...\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  Eigen::setNbThreads(threads);
  for (int i = 2; i < argc; ++i) {
    const int n = std::atoi(argv[i]);
    double cpu = 0;
    const double g = rate(n, 1.5, cpu);
    std::printf("{\"n\": %d, \"threads\": %d, \"eigen_threads\": %d, \"gflops\": %.2f, \"cpu_gflops\": %.2f}\n", n,
                threads, Eigen::nbThreads(), g, cpu);
  }
}
