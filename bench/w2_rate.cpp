// w2_rate: flowkit's exact W2 between two equal-size point sets (the optimal assignment on
// squared Euclidean cost, as flow-eval compare computes it), timed without start-up and I/O.
// As bench/pot_w2.py: one untimed warm-up solve on the first 500 points, then REPS timed
// solves of the whole sets (default 2); the best is reported.
// Usage: w2_rate A.npy B.npy [REPS]   prints one JSON object: n, w2, seconds, reps.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "flowkit/core/memory.hpp"
#include "flowkit/eval/assignment.hpp"
#include "flowkit/io/stream.hpp"

using namespace flowkit;

namespace {
Mat points(const std::string& path) {
  const Stream s = read_input(path);
  return Eigen::Map<const Mat>(s.main.data.data(), long(s.main.row_size()), long(s.main.rows()));
}
}  // namespace

int main(int argc, char** argv) {
  reuse_freed_memory();  // as every program does
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: w2_rate A.npy B.npy [REPS]\n");
    return 2;
  }
  const Mat a = points(argv[1]), b = points(argv[2]);
  const int reps = argc == 4 ? std::max(1, std::atoi(argv[3])) : 2;
  const Eigen::Index warm = std::min<Eigen::Index>(500, a.cols());
  assign_sq_euclidean(a.leftCols(warm), b.leftCols(warm));  // warm-up
  std::vector<int> p;
  double s = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    p = assign_sq_euclidean(a, b);
    s = std::min(s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  double sum = 0;
  for (Eigen::Index i = 0; i < a.cols(); ++i) sum += (a.col(i).cast<double>() - b.col(p[size_t(i)]).cast<double>()).squaredNorm();
  std::printf("{\"n\": %ld, \"w2\": %.9g, \"seconds\": %.6f, \"reps\": %d}\n", long(a.cols()),
              std::sqrt(sum / double(a.cols())), s, reps);
}
