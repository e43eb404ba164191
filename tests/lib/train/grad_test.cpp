// train: a batch split over threads (data parallelism) gives the loss and gradient of the
// whole batch, to float rounding, and the same bits every time for a thread count.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

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

// Two "processes" in two threads of this one: a Comm whose allgather goes through memory, so
// the gradient exchange of train/grad.cpp is tested without mpirun.
struct Pair {
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0, generation = 0;
  std::vector<char> bufs[2];
  void barrier(std::unique_lock<std::mutex>& l) {
    const int g = generation;
    if (++arrived == 2) {
      arrived = 0;
      ++generation;
      cv.notify_all();
    } else {
      cv.wait(l, [&] { return generation != g; });
    }
  }
};

class ThreadComm : public Comm {
 public:
  ThreadComm(Pair& p, int r) : p_(p), r_(r) {}
  int rank() const override { return r_; }
  int size() const override { return 2; }
  void allgather(const void* in, size_t bytes, void* out) override {
    std::unique_lock<std::mutex> l(p_.m);
    p_.bufs[r_].assign(static_cast<const char*>(in), static_cast<const char*>(in) + bytes);
    p_.barrier(l);
    std::memcpy(out, p_.bufs[0].data(), bytes);
    std::memcpy(static_cast<char*>(out) + bytes, p_.bufs[1].data(), bytes);
    p_.barrier(l);
  }
  int max(int v) override {
    int all[2];
    allgather(&v, sizeof v, all);
    return std::max(all[0], all[1]);
  }

 private:
  Pair& p_;
  int r_;
};

double max_abs(const Params& a) {
  double m = 0;
  for (float v : a) m = std::max(m, double(std::abs(v)));
  return m;
}

// The largest |a_i - b_i| (a and b of one size).
double max_abs_diff(const Params& a, const Params& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
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
    Params whole, split, again;
    BatchGradient one, many;
    set_threads(1);
    const double l1 = one(net, b.z, b.t, b.lab, b.goal, whole);
    set_threads(4);
    REQUIRE(BatchGradient::shard_count(n) == 4);
    const double l4 = many(net, b.z, b.t, b.lab, b.goal, split);
    const double l4b = many(net, b.z, b.t, b.lab, b.goal, again);
    set_threads(1);
    CHECK(l4 == Approx(l1).epsilon(1e-6));
    REQUIRE(split.size() == whole.size());
    CHECK(max_abs(whole) > 0.01);
    CHECK(max_abs_diff(split, whole) <= 1e-5 * max_abs(whole));
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
  Params g1, g4;
  BatchGradient a, bg;
  set_threads(1);
  const double l1 = a(net, b.z, b.t, b.lab, b.goal, g1);
  set_threads(4);
  REQUIRE(BatchGradient::shard_count(b.z.cols()) == 1);
  const double l4 = bg(net, b.z, b.t, b.lab, b.goal, g4);
  set_threads(1);
  CHECK(l4 == l1);
  CHECK(g4 == g1);
}

TEST_CASE("two processes with a shard each give the bits of one process with two shards", "[train]") {
  NetConfig c;
  c.width = 32;
  Net net(c);
  Rng r(5);
  net.init(r);
  const Batch b = make_batch(200, 0);
  set_threads(1);
  Params one, whole;
  const double l_one = BatchGradient(Comm::single(), 2)(net, b.z, b.t, b.lab, b.goal, one);
  const double l_whole = BatchGradient(Comm::single(), 1)(net, b.z, b.t, b.lab, b.goal, whole);
  Pair pair;
  double loss[2];
  Params grad[2];
  std::vector<std::thread> procs;
  for (int k = 0; k < 2; ++k)
    procs.emplace_back([&, k] {
      ThreadComm comm(pair, k);
      Net mine(c);
      mine.params() = net.params();
      BatchGradient bg(comm, 0);  // default: one shard per thread of each process
      loss[k] = bg(mine, b.z, b.t, b.lab, b.goal, grad[k]);
    });
  for (auto& p : procs) p.join();
  CHECK(loss[0] == l_one);
  CHECK(loss[1] == l_one);
  CHECK(grad[0] == one);
  CHECK(grad[1] == one);
  CHECK(whole != one);  // a control: one shard sums differently, so the equalities mean something
  CHECK(l_whole == Approx(l_one).epsilon(1e-6));
  // A shard count the processes cannot share is a usage error
  ThreadComm lone(pair, 0);
  CHECK_THROWS_WITH(BatchGradient(lone, 3).plan(200), Catch::Contains("multiple of the 2 processes"));
}

TEST_CASE("a U-Net's gradient summed over pieces of images is the whole batch's", "[train]") {
  NetConfig c;
  c.kind = NetKind::unet;
  c.num_classes = 3;
  c.unet.height = c.unet.width = 4;
  c.unet.channels = {4, 8};
  c.unet.embed = 8;
  c.dim = c.unet_config().dim();
  Net net(c);
  Rng r(5);
  net.init(r);
  for (float& v : net.params()) v += 0.1f * float(r.normal());
  const int64_t n = 2 * kUNetPiece + 5;  // two whole pieces and a part
  Mat z(c.dim, n), goal(c.dim, n), out;
  r.fill_normal(z);
  r.fill_normal(goal);
  Vec t(n);
  std::vector<int> lab;
  for (int64_t j = 0; j < n; ++j) t[j] = float(r.uniform()), lab.push_back(int(j % 4));
  // The whole batch in one pass, by hand: mean squared error and its gradient
  net.forward(z, t, lab.data(), out);
  out -= goal;
  const double want = double(out.squaredNorm()) / double(n);
  out *= float(2.0 / double(n));
  Params whole, pieces;
  net.backward(out, whole);
  set_threads(1);
  const double got = BatchGradient()(net, z, t, lab, goal, pieces);
  CHECK(got == Approx(want).epsilon(1e-5));
  REQUIRE(pieces.size() == whole.size());
  CHECK(max_abs(whole) > 0.01);
  CHECK(max_abs_diff(pieces, whole) <= 1e-4 * max_abs(whole));
  // Two shards on two threads, each through its own copy of the network piece by piece: the
  // whole batch's loss and gradient again, and the same bits on every run
  set_threads(2);
  REQUIRE(BatchGradient::shard_count(n, BatchGradient::min_columns(c)) == 2);
  Params two, again;
  BatchGradient bg(Comm::single(), 0, BatchGradient::min_columns(c));
  const double got2 = bg(net, z, t, lab, goal, two);
  const double got2b = bg(net, z, t, lab, goal, again);
  set_threads(1);
  CHECK(got2 == Approx(want).epsilon(1e-5));
  CHECK(max_abs_diff(two, whole) <= 1e-4 * max_abs(whole));
  CHECK(got2b == got2);
  CHECK(again == two);
}
