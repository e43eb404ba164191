// train: a batch split over threads (data parallelism) gives the loss and gradient of the
// whole batch, to float rounding, and the same bits every time for a thread count.
#include <catch2/catch.hpp>
#include <algorithm>
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

// "Processes" in threads of this one: a Comm whose allgather and sendrecv go through memory,
// so the gradient exchanges of train/grad.cpp are tested without mpirun.
struct Group {
  explicit Group(int n) : size(n), bufs(size_t(n)), to(size_t(n)) {}
  int size;
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0, generation = 0;
  std::vector<std::vector<char>> bufs;  // what each rank posted
  std::vector<int> to;                  // and for whom (sendrecv)
  bool mismatched = false;              // a sendrecv whose sender and receiver disagreed
  void barrier(std::unique_lock<std::mutex>& l) {
    const int g = generation;
    if (++arrived == size) {
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
  ThreadComm(Group& g, int r) : g_(g), r_(r) {}
  int rank() const override { return r_; }
  int size() const override { return g_.size; }
  void allgather(const void* in, size_t bytes, void* out) override {
    std::unique_lock<std::mutex> l(g_.m);
    post(in, bytes, -1);
    g_.barrier(l);
    for (int k = 0; k < g_.size; ++k) std::memcpy(static_cast<char*>(out) + size_t(k) * bytes, g_.bufs[size_t(k)].data(), bytes);
    g_.barrier(l);
  }
  int max(int v) override {
    std::vector<int> all(size_t(g_.size));
    allgather(&v, sizeof v, all.data());
    return *std::max_element(all.begin(), all.end());
  }
  // Collective, as in a ring's step: every rank posts, then takes what `from` posted for it
  void sendrecv(int to, const void* out, size_t out_bytes, int from, void* in, size_t in_bytes) override {
    std::unique_lock<std::mutex> l(g_.m);
    post(out, out_bytes, to);
    g_.barrier(l);
    const std::vector<char>& b = g_.bufs[size_t(from)];
    if (g_.to[size_t(from)] != r_ || b.size() != in_bytes) g_.mismatched = true;
    std::memcpy(in, b.data(), std::min(in_bytes, b.size()));
    g_.barrier(l);
  }

 private:
  void post(const void* p, size_t bytes, int to) {
    g_.bufs[size_t(r_)].assign(static_cast<const char*>(p), static_cast<const char*>(p) + bytes);
    g_.to[size_t(r_)] = to;
  }
  Group& g_;
  int r_;
};

// The loss and gradient of each of `procs` thread-processes with `shards` shards in all.
struct Run {
  std::vector<double> loss;
  std::vector<Params> grad;
  bool mismatched;
};
template <class B>
Run run_processes(int procs, int shards, Exchange ex, const NetConfig& c, const Net& net, const B& b) {
  Group group(procs);
  Run out{std::vector<double>(size_t(procs)), std::vector<Params>(size_t(procs)), false};
  std::vector<std::thread> threads;
  for (int k = 0; k < procs; ++k)
    threads.emplace_back([&, k] {
      ThreadComm comm(group, k);
      Net mine(c);
      mine.params() = net.params();
      BatchGradient bg(comm, shards, kMinShardColumns, ex);
      out.loss[size_t(k)] = bg(mine, b.z, b.t, b.lab, b.goal, out.grad[size_t(k)]);
    });
  for (auto& t : threads) t.join();
  out.mismatched = group.mismatched;
  return out;
}

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
  const Run two = run_processes(2, 0, Exchange::automatic, c, net, b);  // one shard per thread of each
  for (int k = 0; k < 2; ++k) {
    CHECK(two.loss[size_t(k)] == l_one);
    CHECK(two.grad[size_t(k)] == one);
  }
  CHECK(whole != one);  // a control: one shard sums differently, so the equalities mean something
  CHECK(l_whole == Approx(l_one).epsilon(1e-6));
  // A shard count the processes cannot share is a usage error
  Group pair(2);
  ThreadComm lone(pair, 0);
  CHECK_THROWS_WITH(BatchGradient(lone, 3).plan(200), Catch::Contains("multiple of the 2 processes"));
}

// The network and batch of the exchange tests (width 32, 3 classes, 240 columns, one thread).
struct ExchangeCase {
  NetConfig c = [] {
    NetConfig k;
    k.width = 32;
    k.num_classes = 3;
    return k;
  }();
  Net net{c};
  const Batch b = make_batch(240, 3);
  ExchangeCase() {
    Rng r(7);
    net.init(r);
    set_threads(1);
  }
  // One process's loss and gradient with `shards` shards: what the exchanges are held to.
  double one_process(int shards, Params& grad) {
    return BatchGradient(Comm::single(), shards)(net, b.z, b.t, b.lab, b.goal, grad);
  }
};

TEST_CASE_METHOD(ExchangeCase, "the gather exchange gives the bits of one process for 2, 3 and 4 processes", "[train]") {
  for (const int procs : {2, 3, 4}) {
    CAPTURE(procs);
    const int shards = 12;  // more shards than threads: waves of one shard per thread
    Params one;
    const double l_one = one_process(shards, one);
    const Run g = run_processes(procs, shards, Exchange::gather, c, net, b);
    for (int k = 0; k < procs; ++k) {
      CHECK(g.loss[size_t(k)] == l_one);
      CHECK(g.grad[size_t(k)] == one);
    }
  }
}

// The ring sums each process's shards, then the processes' sums with each segment starting at
// its own rank: other additions than one process's, so it agrees with it to float rounding
// (within 1e-6 of the largest entry; measured 5.8e-8 for 2, 3 and 4 processes), and with itself
// exactly.
TEST_CASE_METHOD(ExchangeCase, "the ring exchange: the same bits on every process and run, one process's sum to rounding",
                 "[train]") {
  for (const int procs : {2, 3, 4}) {
    CAPTURE(procs);
    const int shards = 12;
    Params one;
    const double l_one = one_process(shards, one);
    const Run a = run_processes(procs, shards, Exchange::ring, c, net, b);
    const Run again = run_processes(procs, shards, Exchange::ring, c, net, b);
    CHECK(!a.mismatched);
    for (int k = 0; k < procs; ++k) {
      CHECK(a.grad[size_t(k)] == a.grad[0]);
      CHECK(a.loss[size_t(k)] == a.loss[0]);
      CHECK(again.grad[size_t(k)] == a.grad[0]);
      CHECK(again.loss[size_t(k)] == a.loss[0]);
    }
    REQUIRE(a.grad[0].size() == one.size());
    CHECK(max_abs(one) > 0.01);
    CHECK(max_abs_diff(a.grad[0], one) <= 1e-6 * max_abs(one));
    CHECK(a.loss[0] == Approx(l_one).epsilon(1e-12));
    CHECK(a.grad[0] != one);  // a control: other additions, so the equalities above mean something
  }
}

TEST_CASE("auto chooses the gather for a few processes and small gradients, else the ring", "[train]") {
  const size_t p = 100000;
  CHECK(resolve_exchange(Exchange::automatic, 2, 4, p) == Exchange::gather);
  CHECK(resolve_exchange(Exchange::automatic, 4, 8, p) == Exchange::gather);  // the rule the man page states
  CHECK(resolve_exchange(Exchange::automatic, 5, 5, p) == Exchange::ring);
  // 4 shards of 100M parameters: 1.6 GB to gather
  CHECK(resolve_exchange(Exchange::automatic, 2, 4, 100000000) == Exchange::ring);
  CHECK(resolve_exchange(Exchange::gather, 64, 64, 100000000) == Exchange::gather);
  CHECK(resolve_exchange(Exchange::ring, 2, 2, p) == Exchange::ring);
  CHECK(parse_choice(exchanges(), "auto", "exchange") == Exchange::automatic);
  CHECK_THROWS_WITH(parse_choice(exchanges(), "tree", "exchange"), Catch::Contains("one of gather, ring, auto"));
}

namespace {
// The pieces' U-Net: 4 x 4 images, channels 4 and 8, embedding 8
NetConfig unet_4x4(int classes) {
  NetConfig c;
  c.kind = NetKind::unet;
  c.num_classes = classes;
  c.unet.height = c.unet.width = 4;
  c.unet.channels = {4, 8};
  c.unet.embed = 8;
  return c;
}
// Initialized, with every parameter moved off its start (zero-started layers made live)
Net live_net(const NetConfig& c, Rng& r) {
  Net net(c);
  net.init(r);
  for (float& v : net.params()) v += 0.1f * float(r.normal());
  return net;
}
}  // namespace

TEST_CASE("a U-Net's gradient summed over pieces of images is the whole batch's", "[train]") {
  NetConfig c = unet_4x4(3);
  c.dim = c.unet_config().dim();
  Rng r(5);
  Net net = live_net(c, r);
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

// The loss of `mf` over a U-Net's pieces of images on one thread, and over two shards on two
// threads (each guiding its own columns), against `want` and `whole`, the loss and gradient
// built by hand over the whole batch.
void check_pieces_and_threads(Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab, const Mat& goal,
                              const MeanFlowLoss& mf, double want, const Params& whole) {
  Params pieces, two;
  set_threads(1);
  const double got = BatchGradient()(net, z, t, lab, goal, pieces, &mf);
  set_threads(2);
  BatchGradient bg(Comm::single(), 0, BatchGradient::min_columns(net.config()));
  const double got2 = bg(net, z, t, lab, goal, two, &mf);
  set_threads(1);
  CHECK(got == Approx(want).epsilon(1e-5));
  CHECK(got2 == Approx(want).epsilon(1e-5));
  REQUIRE(pieces.size() == whole.size());
  CHECK(max_abs(whole) > 0.01);
  CHECK(max_abs_diff(pieces, whole) <= 1e-4 * max_abs(whole));
  CHECK(max_abs_diff(two, whole) <= 1e-4 * max_abs(whole));
}

TEST_CASE("a MeanFlow U-Net's loss and gradient summed over pieces of images are the whole batch's, guided or not",
          "[train]") {
  NetConfig c = unet_4x4(3);
  c.dim = c.unet_config().dim();
  c.time_inputs = 2;
  Rng r(9);
  Net net = live_net(c, r);
  const int64_t n = 2 * kUNetPiece + 5;
  Mat z(c.dim, n), goal(c.dim, n), out, jo, uncond;
  r.fill_normal(z);
  r.fill_normal(goal);
  Vec t(n), gap(n);
  std::vector<int> lab;  // label 3: dropped (the null label)
  for (int64_t j = 0; j < n; ++j) t[j] = float(0.5 * r.uniform()), gap[j] = float(0.5 * r.uniform()), lab.push_back(int(j % 4));
  for (double w : {1.0, 2.5}) {
    // By hand, the whole batch at once: a labelled column's goal W v + (1 - W) u(z, r, r | null),
    // e = u - goal - gap du/dr along the goal, weights 1 / (|e|^2 + c)
    Mat g = goal;
    const Vec zero = Vec::Zero(n), ones = Vec::Ones(n), minus = Vec::Constant(n, -1.0f);
    net.forward(z, t, nullptr, uncond, &zero);
    for (int64_t j = 0; j < n; ++j)
      if (lab[size_t(j)] != 3) g.col(j) = float(w) * goal.col(j) + float(1 - w) * uncond.col(j);
    net.forward(z, t, lab.data(), out, &gap);
    net.jvp_inputs(g, ones, &minus, jo);
    out -= g;
    out.noalias() -= jo * gap.asDiagonal();
    const double want = double(out.squaredNorm()) / double(n);
    for (int64_t j = 0; j < n; ++j)
      out.col(j) *= float(2.0 / (double(out.col(j).squaredNorm()) + MeanFlowLoss::kC) / double(n));
    Params whole;
    net.backward(out, whole);
    INFO("guidance " << w);
    check_pieces_and_threads(net, z, t, lab, goal, MeanFlowLoss{&gap, 1.0, w, 3}, want, whole);
  }
}

TEST_CASE("a shortcut U-Net regresses onto two half steps of itself, over pieces and threads, guided or not",
          "[train]") {
  NetConfig c = unet_4x4(3);
  c.dim = c.unet_config().dim();
  c.time_inputs = 2;
  Rng r(11);
  Net net = live_net(c, r);
  const int64_t n = 2 * kUNetPiece + 5;
  Mat z(c.dim, n), goal(c.dim, n), out, s1, s2, uncond;
  r.fill_normal(z);
  r.fill_normal(goal);
  Vec t(n), gap(n), half(n), asked(n);
  std::vector<int> lab;  // label 3: dropped (the null label)
  for (int64_t j = 0; j < n; ++j) {
    // every third column a self-consistency one, d = 1 down to the finest 1/64 (whose halves
    // are asked at gap 0), at r on d's grid
    const int level = int(j % 7);
    const double d = j % 3 == 0 ? std::ldexp(1.0, -level) : 0.0;
    t[j] = float(d > 0 ? d * double(r.below(uint64_t(1) << level)) : r.uniform());
    gap[j] = float(d);
    half[j] = float(d / 2);
    asked[j] = level == 6 ? 0.0f : half[j];
    lab.push_back(int(j % 4));
  }
  for (double w : {1.0, 2.5}) {
    // By hand, the whole batch at once: a gap-0 labelled column's goal W v + (1 - W) u(z, r, r | null),
    // a gap-d column's (s1 + s2) / 2 with s1 = u(z, r, d/2), s2 = u(z + d/2 s1, r + d/2, d/2)
    Mat g = goal;
    const Vec zero = Vec::Zero(n);
    net.forward(z, t, nullptr, uncond, &zero);
    net.forward(z, t, lab.data(), s1, &asked);
    const Mat z2 = z + s1 * half.asDiagonal();
    const Vec t2 = t + half;
    net.forward(z2, t2, lab.data(), s2, &asked);
    for (int64_t j = 0; j < n; ++j) {
      if (gap[j] > 0)
        g.col(j) = 0.5f * (s1.col(j) + s2.col(j));
      else if (lab[size_t(j)] != 3)
        g.col(j) = float(w) * goal.col(j) + float(1 - w) * uncond.col(j);
    }
    net.forward(z, t, lab.data(), out, &gap);
    out -= g;
    const double want = double(out.squaredNorm()) / double(n);
    out *= float(2.0 / double(n));
    Params whole;
    net.backward(out, whole);
    INFO("guidance " << w);
    check_pieces_and_threads(net, z, t, lab, goal, MeanFlowLoss{&gap, 0.0, w, 3, true}, want, whole);
  }
}

TEST_CASE("a token U-Net's discrete loss and gradient summed over pieces of images are the whole batch's",
          "[train][discrete]") {
  NetConfig c = unet_4x4(2);
  c.token_states = 5;  // V = 4 grey levels and MASK
  c.token_vocab = 4;
  c.unet.token_embed = 3;
  c.dim = c.unet_config().dim();
  Rng r(7);
  Net net = live_net(c, r);
  BatchGradient::Discrete d;
  d.path.vocab = 4;
  d.path.kappa = Schedule::parse("poly:1");
  d.loss = DiscreteLoss::kl;
  const int64_t n = 2 * kUNetPiece + 5;  // two whole pieces and a part
  Mat z(c.dim, n), goal(c.dim, n), out;
  Tokens xt(c.dim, n), x1(c.dim, n);
  for (Eigen::Index k = 0; k < z.size(); ++k) {
    x1.data()[k] = int32_t(r.below(4));
    xt.data()[k] = r.uniform() < 0.5 ? x1.data()[k] : 4;  // x_1 or MASK
  }
  z = xt.cast<float>();
  goal = x1.cast<float>();
  Vec t(n);
  std::vector<int> lab;
  for (int64_t j = 0; j < n; ++j) t[j] = float(0.9 * r.uniform()), lab.push_back(int(j % 3));
  // The whole batch in one pass, by hand: the mean token loss and its gradient
  net.forward(z, t, lab.data(), out);
  Mat g;
  const double want = discrete_loss(d.loss, d.path, t, xt, x1, Eigen::Map<const Mat>(out.data(), 4, out.size() / 4), &g);
  Params whole, pieces;
  net.backward(Eigen::Map<const Mat>(g.data(), out.rows(), n), whole);
  set_threads(1);
  BatchGradient bg;
  bg.set_discrete(d);
  const double got = bg(net, z, t, lab, goal, pieces);
  CHECK(got == Approx(want).epsilon(1e-5));
  REQUIRE(pieces.size() == whole.size());
  CHECK(max_abs(whole) > 1e-3);
  CHECK(max_abs_diff(pieces, whole) <= 1e-4 * max_abs(whole));
}
