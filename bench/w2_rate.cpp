// w2_rate: flowkit's exact W2 between two equal-size point sets (the optimal assignment on
// squared Euclidean cost, as flow-eval compare computes it), timed without start-up and I/O.
// Usage: w2_rate A.npy B.npy   prints one JSON object: n, w2, seconds.
#include <chrono>
#include <cmath>
#include <cstdio>

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
  if (argc != 3) {
    std::fprintf(stderr, "usage: w2_rate A.npy B.npy\n");
    return 2;
  }
  const Mat a = points(argv[1]), b = points(argv[2]);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int> p = assign_sq_euclidean(a, b);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double sum = 0;
  for (Eigen::Index i = 0; i < a.cols(); ++i) sum += (a.col(i).cast<double>() - b.col(p[size_t(i)]).cast<double>()).squaredNorm();
  std::printf("{\"n\": %ld, \"w2\": %.9g, \"seconds\": %.6f}\n", long(a.cols()), std::sqrt(sum / double(a.cols())), s);
}
