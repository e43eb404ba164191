// train: the loss of a training batch and its gradient. On one thread the whole batch goes
// through the network at once. On several, data parallelism: each thread takes a contiguous
// share of the columns through its own copy of the network (its own workspaces, its products
// on its own thread), and the shares' gradients are summed in shard order, so the bits depend
// on the thread count only. (Sharing each GEMM between threads instead left a second core
// 30% idle at width 256; bench/NOTES.md, item 14.)
#pragma once
#include <vector>

#include "flowkit/nn/net.hpp"

namespace flowkit {

// Fewest columns a thread's share of the batch may have: below it, fewer threads are used.
constexpr int64_t kMinShardColumns = 64;

class BatchGradient {
 public:
  // The mean over columns of |net(z_j, t_j, lab_j) - goal_j|^2; `grad` is its gradient when
  // it is finite. `out` is scratch. `lab` is empty or one label per column.
  double operator()(Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab, const Mat& goal,
                    Mat& out, Params& grad);
  // The threads a batch of n columns is split over: as many as OpenMP allows, each with at
  // least kMinShardColumns columns.
  static int shard_count(int64_t n);

 private:
  struct Shard {
    explicit Shard(const NetConfig& c) : net(c) {}
    Net net;
    Mat z, goal, out;
    Vec t;
    std::vector<int> lab;
    Params grad;
    double sq = 0;  // sum of squared errors
  };
  double sharded(int k, Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab, const Mat& goal,
                 Params& grad);
  std::vector<Shard> shards_;
};

}  // namespace flowkit
