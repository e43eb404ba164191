// train: the loss of a training batch and its gradient. On one thread the whole batch goes
// through the network at once. On several, data parallelism: each thread takes a contiguous
// share of the columns through its own copy of the network (its own workspaces, its products
// on its own thread), and the shares' gradients are summed in shard order, so the bits depend
// on the thread count only. (Sharing each GEMM between threads instead left a second core
// 30% idle at width 256; bench/NOTES.md, item 14.) More shards than threads go in waves of
// one per thread, added as each wave ends: the memory is the threads', not the shards' (when
// the batch does not divide evenly, a thread's next shard may be a column longer or shorter
// and resizes its buffers).
// Across processes (mpirun) the batch's shards are dealt out in contiguous runs, one run per
// process, and the processes exchange gradients in one of two ways (Exchange).
#pragma once
#include <optional>
#include <vector>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/comm.hpp"
#include "flowkit/flow/discrete.hpp"
#include "flowkit/flow/manifold.hpp"
#include "flowkit/nn/net.hpp"

namespace flowkit {

// How the processes of mpirun combine their gradients (flow-train --exchange).
//  gather: every process gathers every shard's gradient and sums them all in shard order: the
//    bits of one process with as many shards, whatever the process count; each process
//    receives and holds all the shards' gradients, which grow with the shards and processes.
//  ring: each process sums its own shards, then a reduce-scatter and an all-gather around the
//    ring rank -> rank + 1 over K segments of the gradient (2 (K - 1) messages of P/K floats
//    each way): the same bits on every run with the same process and shard counts (each
//    segment's sum starts at a fixed rank), not those of one process; one gradient per process.
//  automatic: gather up to kGatherProcesses processes while all the shards' gradients fit in
//    kGatherBytes, else ring.
enum class Exchange { gather, ring, automatic };
const ChoiceTable<Exchange>& exchanges();
constexpr int kGatherProcesses = 4;
constexpr size_t kGatherBytes = size_t(1) << 30;
// The exchange `wanted` means for `procs` processes, `shards` shards and `params` parameters.
Exchange resolve_exchange(Exchange wanted, int procs, int shards, size_t params);

// Fewest columns a thread's share of the batch may have: below it, fewer threads are used.
constexpr int64_t kMinShardColumns = 64;
// Images per forward and backward pass of a U-Net: a share's gradient is the sum of its
// pieces', so that the activations kept for backward are a piece's (unet_rate's peak memory
// 1.64 -> 0.75 GB; no faster; bench/NOTES.md, item 23). A short last piece resizes the
// network's buffers, and the next full one again: two allocations per buffer and step.
constexpr Eigen::Index kUNetPiece = 16;

// A shortcut model's step sizes: d = 2^-j for j below this, 1 down to 1/64. The finest level's
// half steps (1/128) are asked of the network at gap 0, its velocity: two Euler steps start the
// recursion, as the paper's 128 steps do (doc/MATH.md "Shortcut models").
constexpr uint64_t kShortcutLevels = 7;

// MeanFlow's regression (doc/MATH.md "MeanFlow"): the net takes (z, r, t - r) with `gap` the
// t - r of each column; the goal is the conditional velocity v, and the target
// v + (t - r) sg(du/dr), du/dr the JVP of the net along (v, 1, -1) in (z, r, t - r). Each
// column's squared error e is weighted by sg(1 / (|e|^2 + c)^power) (0: plain squares).
// guidance W != 1: a labelled column's goal becomes W v + (1 - W) u(z, r, r | null) (the
// guidance trained in), computed piece by piece in each shard; null_label: a dropped label.
// shortcut: a shortcut model's loss instead (doc/MATH.md "Shortcut models"): a column with gap
// d > 0 regresses onto the mean of two steps of d/2 taken by the network itself (no gradient
// through them; the share's such columns at once, before its pieces); a column with gap 0
// onto v (guided as above); plain squares, no JVP.
struct MeanFlowLoss {
  const Vec* gap = nullptr;
  double power = 0;
  double guidance = 1;
  int null_label = -1;
  bool shortcut = false;
  static constexpr double kC = 1e-3;  // the paper's c
};

class BatchGradient {
 public:
  // `shards`: the shards of a batch over all processes of `comm` (0: one per thread of each
  // process, each with at least min_columns columns; a multiple of the process count).
  // `exchange`: how several processes combine their gradients.
  explicit BatchGradient(Comm& comm = Comm::single(), int shards = 0, int64_t min_columns = kMinShardColumns,
                         Exchange exchange = Exchange::automatic)
      : comm_(comm), wanted_(shards), min_columns_(min_columns), exchange_(exchange) {}
  // The fewest columns of a shard for this network: a U-Net's image is work enough that a
  // piece of kUNetPiece images is worth a thread.
  static int64_t min_columns(const NetConfig& c) { return c.kind == NetKind::unet ? kUNetPiece : kMinShardColumns; }
  // The mean over columns of |net(z_j, t_j, lab_j) - goal_j|^2 (a discrete flow: the mean
  // token loss, set_discrete); `grad` is its gradient when
  // it is finite. `lab` is empty or one label per column. On the sphere (set_manifold; z is
  // then the point itself) the residual is projected onto the tangent space at z_j: the loss
  // of the projected output, |P (net - goal)|^2 = |P net - goal|^2 for a tangent goal.
  // With `mf`, MeanFlow's loss (above) instead; the figure returned is still the plain mean
  // squared error against the target.
  double operator()(Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab, const Mat& goal,
                    Params& grad, const MeanFlowLoss* mf = nullptr);
  // The threads a batch of n columns is split over: as many as OpenMP allows, each with at
  // least min_columns columns.
  static int shard_count(int64_t n, int64_t min_columns = kMinShardColumns);
  // The shards of a batch of n columns over all processes (usage errors for a --shards that
  // the processes cannot share or that exceeds n); agreed between the processes once.
  int plan(int64_t n);
  // The exchange the planned shards of a network of `params` parameters use (plan first).
  Exchange exchange(size_t params) const { return resolve_exchange(exchange_, comm_.size(), total_, params); }
  void set_manifold(const Manifold& m) { manifold_ = m; }
  // A discrete flow: z holds the tokens x_t and goal the tokens x_1 (whole numbers as floats),
  // the network gives V logits per position, and the loss is discrete_loss's (the mean over
  // the batch's tokens) instead of the squared error.
  struct Discrete {
    DiscretePath path;
    DiscreteLoss loss = DiscreteLoss::ce;
  };
  void set_discrete(const Discrete& d) { discrete_ = d; }

  // A piece of a share of the batch, and the network's output for it.
  struct Piece {
    Mat z, goal, out, jo;
    Vec t, dt, ds, gap, zero;
    Mat uncond;  // MeanFlow's guidance: the unconditional output
    Mat share_goal;            // a shortcut share's goals
    Mat zb, s1, s2;            // its self-consistency columns and their two steps
    Vec tb, hb, qb;            // their times, half steps, and the gaps the network is asked at
    std::vector<int> lb;       // their labels
    std::vector<Eigen::Index> ib;  // their columns in the piece
    Tokens xt, x1;  // a discrete flow's tokens
    Mat logits, g;  // and its logits and their gradient, V x (L n)
  };

 private:
  struct Shard {
    explicit Shard(const NetConfig& c) : net(c) {}
    Net net;
    Mat z, goal;
    Vec t, gap;
    Piece piece;
    std::vector<int> lab;
    Params grad;
    double sq = 0;  // sum of squared errors
  };
  double sharded(int k, Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab, const Mat& goal,
                 Params& grad, const MeanFlowLoss* mf);
  void keep(int i, const Shard& sh);
  void gather(int total, Params& grad, double& sq);
  void ring(Params& grad, double& sq);
  Comm& comm_;
  Manifold manifold_;
  std::optional<Discrete> discrete_;
  int wanted_;
  int64_t min_columns_;
  Exchange exchange_;
  int64_t planned_n_ = -1;
  int total_ = 0;
  std::vector<Shard> shards_;  // one per thread of a wave
  Piece piece_;  // one thread's
  std::vector<float> mine_, all_;  // gather: this process's shards, every shard: gradient and loss
  std::vector<float> segment_;     // ring: the segment arriving
  std::vector<double> losses_;     // ring: every process's squared error
};

}  // namespace flowkit
