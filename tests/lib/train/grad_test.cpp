// train: a batch split over threads (data parallelism) gives the loss and gradient of the
// whole batch, to float rounding, and the same bits every time for a thread count.
#include <catch2/catch.hpp>

#include "flowkit/train/grad.hpp"

using namespace flowkit;

namespace {
struct Batch {
  Mat z, goal;
  Vec t;
  std::vector<int> lab;
};

Batch make_batch(int64_t n, int classes) {
  Rng r(3);
  Batch b{Mat(2, n), Mat(2, n), Vec(n), {}};
  r.fill_normal(b.z);
  r.fill_normal(b.goal);
  for (int64_t j = 0; j < n; ++j) {
    b.t[j] = float(r.uniform());
    if (classes > 0) b.lab.push_back(int(r.below(uint64_t(classes) + 1)));
  }
  return b;
}

double max_abs(const Params& a) {
  double m = 0;
  for (float v : a) m = std::max(m, double(std::abs(v)));
  return m;
}
}  // namespace

TEST_CASE("a batch split over threads gives the whole batch's loss and gradient", "[train]") {
  for (const int classes : {0, 3}) {
    CAPTURE(classes);
    NetConfig c;
    c.width = 32;
    c.num_classes = classes;
    Net net(c);
    Rng r(1);
    net.init(r);
    const int64_t n = 300;  // 4 shards of 75 columns at 4 threads
    const Batch b = make_batch(n, classes);
    Mat out;
    Params whole, split, again;
    BatchGradient one, many;
    set_threads(1);
    const double l1 = one(net, b.z, b.t, b.lab, b.goal, out, whole);
    set_threads(4);
    REQUIRE(BatchGradient::shard_count(n) == 4);
    const double l4 = many(net, b.z, b.t, b.lab, b.goal, out, split);
    const double l4b = many(net, b.z, b.t, b.lab, b.goal, out, again);
    set_threads(1);
    CHECK(l4 == Approx(l1).epsilon(1e-6));
    REQUIRE(split.size() == whole.size());
    Params diff(whole.size());
    for (size_t i = 0; i < diff.size(); ++i) diff[i] = split[i] - whole[i];
    CHECK(max_abs(whole) > 0.01);
    CHECK(max_abs(diff) <= 1e-5 * max_abs(whole));
    // The same thread count, the same bits
    CHECK(l4b == l4);
    CHECK(again == split);
  }
}

TEST_CASE("a batch too small to share stays on one thread", "[train]") {
  NetConfig c;
  c.width = 16;
  Net net(c);
  Rng r(2);
  net.init(r);
  const Batch b = make_batch(kMinShardColumns + 1, 0);  // one shard: the whole-batch path, bit for bit
  Mat out;
  Params g1, g4;
  BatchGradient a, bg;
  set_threads(1);
  const double l1 = a(net, b.z, b.t, b.lab, b.goal, out, g1);
  set_threads(4);
  REQUIRE(BatchGradient::shard_count(b.z.cols()) == 1);
  const double l4 = bg(net, b.z, b.t, b.lab, b.goal, out, g4);
  set_threads(1);
  CHECK(l4 == l1);
  CHECK(g4 == g1);
}
