#include "flowkit/train/grad.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "flowkit/core/parallel.hpp"

namespace flowkit {
namespace {
// MeanFlow on m columns (z, t, goal, gap: the piece's): the residual against v + gap sg(du/dr)
// (a shortcut model's: against the goal alone), its weighted gradient (of the batch's n
// columns' mean) added into grad (overwritten unless add); returns the plain sum of squared
// errors.
double meanflow_piece(Net& net, const Mat& z, const Vec& t, const int* lab, const Mat& goal, const Vec& gap,
                      int64_t n, BatchGradient::Piece& w, Params& grad, const MeanFlowLoss& mf, bool add) {
  const Eigen::Index cols = z.cols();
  const double power = mf.power;
  net.forward(z, t, lab, w.out, &gap);
  if (!mf.shortcut) {
    w.dt.setOnes(cols);
    w.ds.setConstant(cols, -1.0f);
    net.jvp_inputs(goal, w.dt, &w.ds, w.jo);  // du/dr along (v, 1, -1) in (z, r, t - r)
  }
  w.out -= goal;
  if (!mf.shortcut) w.out.noalias() -= w.jo * gap.asDiagonal();
  double sq = 0;
  for (Eigen::Index j = 0; j < cols; ++j) {
    const double e = double(w.out.col(j).squaredNorm());
    sq += e;
    const double weight = power == 0 ? 1.0 : std::pow(e + MeanFlowLoss::kC, -power);
    w.out.col(j) *= float(2.0 * weight / double(n));
  }
  net.backward(w.out, grad, add);
  return sq;
}

// MeanFlow's guidance trained in (Geng et al. 2025, eq. 16), on a piece: a labelled column's
// goal (in w.goal) becomes W v + (1 - W) u(z, r, r | null), the network's own unconditional
// velocity by its inference pass (no gradient through it); a column whose label was dropped
// keeps v, and a shortcut model's self-consistency column keeps its own goal (which the guided
// network itself gave).
void guide_goal(Net& net, const Mat& z, const Vec& t, const int* lab, const Vec& gap, const MeanFlowLoss& mf,
                BatchGradient::Piece& w) {
  w.zero.setZero(t.size());
  net.infer(z, t, nullptr, w.uncond, &w.zero);
  const float g = float(mf.guidance);
  for (Eigen::Index k = 0; k < z.cols(); ++k)
    if (lab[k] != mf.null_label && !(mf.shortcut && gap[k] > 0))
      w.goal.col(k) = g * w.goal.col(k) + (1 - g) * w.uncond.col(k);
}

// A shortcut model's self-consistency goals on a share (Frans et al. 2024): a column with gap
// d > 0 at (z, r) gets (s1 + s2) / 2 in `goal`, s1 = u(z, r, d/2) and s2 = u(z + d/2 s1,
// r + d/2, d/2) by the network's inference pass with the column's label (a dropped one: the
// unconditional model's), each asked at gap d/2, or at 0 below the finest trained gap. The
// share's such columns go through at once: their number is fixed by the share's columns
// (train's shortcut_times spreads them evenly), so the buffers keep their size from step to
// step, and a U-Net's pieces of kUNetPiece images keep theirs.
void shortcut_goal(Net& net, const Mat& z, const Vec& t, const int* lab, const Vec& gap, Mat& goal,
                   BatchGradient::Piece& w) {
  w.ib.clear();
  for (Eigen::Index k = 0; k < z.cols(); ++k)
    if (gap[k] > 0) w.ib.push_back(k);
  const Eigen::Index nb = Eigen::Index(w.ib.size());
  if (nb == 0) return;
  const float finest = 1.0f / float(uint64_t(1) << (kShortcutLevels - 1));
  w.zb.resize(z.rows(), nb);
  w.tb.resize(nb);
  w.hb.resize(nb);
  w.qb.resize(nb);
  w.lb.resize(lab ? size_t(nb) : 0);
  for (Eigen::Index i = 0; i < nb; ++i) {
    const Eigen::Index k = w.ib[size_t(i)];
    w.zb.col(i) = z.col(k);
    w.tb[i] = t[k];
    w.hb[i] = gap[k] / 2;
    w.qb[i] = w.hb[i] < finest ? 0.0f : w.hb[i];
    if (lab) w.lb[size_t(i)] = lab[k];
  }
  const int* lp = lab ? w.lb.data() : nullptr;
  net.infer(w.zb, w.tb, lp, w.s1, &w.qb);
  w.zb.noalias() += w.s1 * w.hb.asDiagonal();
  w.tb += w.hb;
  net.infer(w.zb, w.tb, lp, w.s2, &w.qb);
  for (Eigen::Index i = 0; i < nb; ++i) goal.col(w.ib[size_t(i)]) = 0.5f * (w.s1.col(i) + w.s2.col(i));
}

// MeanFlow (or a shortcut model) over a share: an MLP's in one pass, a U-Net's in pieces of
// kUNetPiece images.
double meanflow_gradient(Net& net, const Mat& z, const Vec& t, const int* lab, const Mat& v, int64_t n,
                         BatchGradient::Piece& w, Params& grad, const Vec& gap, const MeanFlowLoss& mf) {
  const Eigen::Index cols = z.cols();
  const Eigen::Index step = net.config().kind == NetKind::unet ? kUNetPiece : cols;
  const bool guided = mf.guidance != 1.0 && lab;
  if (mf.shortcut) {
    w.share_goal = v;
    shortcut_goal(net, z, t, lab, gap, w.share_goal, w);
  }
  const Mat& goal = mf.shortcut ? w.share_goal : v;
  double sq = 0;
  for (Eigen::Index c0 = 0; c0 < cols; c0 += step) {
    const Eigen::Index m = std::min(step, cols - c0);
    const bool whole = m == cols;
    if (!whole) {
      w.z = z.middleCols(c0, m);
      w.t = t.segment(c0, m);
      w.gap = gap.segment(c0, m);
    }
    const Mat& zp = whole ? z : w.z;
    const Vec& tp = whole ? t : w.t;
    const int* lp = lab ? lab + c0 : nullptr;
    const Vec& gp = whole ? gap : w.gap;
    if (!whole || guided) w.goal = goal.middleCols(c0, m);
    if (guided) guide_goal(net, zp, tp, lp, gp, mf, w);
    sq += meanflow_piece(net, zp, tp, lp, whole && !guided ? goal : w.goal, gp, n, w, grad, mf, c0 > 0);
  }
  return sq;
}

// A discrete flow's piece: the sum over its m sequences of their mean token loss, and in w.out
// the gradient of the batch's mean (over its n sequences) with respect to the logits.
double discrete_piece(const BatchGradient::Discrete& d, const Mat& z, const Vec& t, const Mat& goal, int64_t n,
                      BatchGradient::Piece& w) {
  const Eigen::Index m = z.cols(), V = d.path.vocab;
  w.xt = z.cast<int32_t>();
  w.x1 = goal.cast<int32_t>();
  w.logits = Eigen::Map<const Mat>(w.out.data(), V, w.out.size() / V);
  const double mean = discrete_loss(d.loss, d.path, t, w.xt, w.x1, w.logits, &w.g);
  w.out = Eigen::Map<const Mat>(w.g.data(), w.out.rows(), m) * float(double(m) / double(n));
  return mean * double(m);
}

// The sum of squared errors of `net` on these columns; `grad` is its gradient divided by the
// batch's n columns (the gradient of this share of the batch's mean). A U-Net takes the
// columns in pieces of kUNetPiece images and adds up their gradients.
// A discrete flow's share returns its summed token losses, a MeanFlow share its plain sum of
// squared errors.
double squared_error_gradient(Net& net, const Mat& z, const Vec& t, const int* lab, const Mat& goal,
                              int64_t n, BatchGradient::Piece& w, Params& grad, const Manifold& manifold,
                              const std::optional<BatchGradient::Discrete>& discrete,
                              const MeanFlowLoss* mf = nullptr, const Vec* gap = nullptr) {
  if (mf) return meanflow_gradient(net, z, t, lab, goal, n, w, grad, *gap, *mf);
  const Eigen::Index cols = z.cols();
  const Eigen::Index step = net.config().kind == NetKind::unet ? kUNetPiece : cols;
  if (discrete) {  // an MLP: the whole share at once; a U-Net in pieces
    if (step >= cols) {
      net.forward(z, t, lab, w.out);
      const double sum = discrete_piece(*discrete, z, t, goal, n, w);
      net.backward(w.out, grad);
      return sum;
    }
    double sum = 0;
    for (Eigen::Index c0 = 0; c0 < cols; c0 += step) {
      const Eigen::Index m = std::min(step, cols - c0);
      w.z = z.middleCols(c0, m);
      w.t = t.segment(c0, m);
      w.goal = goal.middleCols(c0, m);
      net.forward(w.z, w.t, lab ? lab + c0 : nullptr, w.out);
      sum += discrete_piece(*discrete, w.z, w.t, w.goal, n, w);
      net.backward(w.out, grad, c0 > 0);
    }
    return sum;
  }
  double sq = 0;
  for (Eigen::Index c0 = 0; c0 < cols; c0 += step) {
    const Eigen::Index m = std::min(step, cols - c0);
    if (m == cols) {
      net.forward(z, t, lab, w.out);
      w.out -= goal;
      manifold.to_tangent(z, w.out);
    } else {
      w.z = z.middleCols(c0, m);
      w.t = t.segment(c0, m);
      net.forward(w.z, w.t, lab ? lab + c0 : nullptr, w.out);
      w.out -= goal.middleCols(c0, m);
      manifold.to_tangent(w.z, w.out);
    }
    sq += double(w.out.squaredNorm());
    w.out *= float(2.0 / double(n));
    net.backward(w.out, grad, c0 > 0);
  }
  return sq;
}
}  // namespace

const ChoiceTable<Exchange>& exchanges() {
  static const ChoiceTable<Exchange> t = {
      {"gather", Exchange::gather, "every process sums every shard's gradient: the bits of one process"},
      {"ring", Exchange::ring, "reduce-scatter and all-gather ring: one gradient per process, the bits of the process count"},
      {"auto", Exchange::automatic, "gather up to 4 processes and 1 GiB of gathered gradients, else ring"},
  };
  return t;
}

Exchange resolve_exchange(Exchange wanted, int procs, int shards, size_t params) {
  if (wanted != Exchange::automatic) return wanted;
  const bool few = procs <= kGatherProcesses && size_t(shards) * (params + 2) * sizeof(float) <= kGatherBytes;
  return few ? Exchange::gather : Exchange::ring;
}

int BatchGradient::shard_count(int64_t n, int64_t min_columns) {
  return int(std::clamp<int64_t>(n / min_columns, 1, omp_get_max_threads()));
}

int BatchGradient::plan(int64_t n) {
  if (n == planned_n_) return total_;
  const int procs = comm_.size();
  int s = wanted_;
  if (s == 0) {
    // One shard per thread; processes with different thread counts agree on the fewest
    const int t = int(std::clamp<int64_t>(n / (min_columns_ * procs), 1, omp_get_max_threads()));
    s = procs * (procs > 1 ? -comm_.max(-t) : t);
  }
  if (s < 1 || s % procs != 0)
    throw usage_error("--shards " + std::to_string(s) + " must be a positive multiple of the " + std::to_string(procs) +
                      " processes");
  if (s > n) throw usage_error("--batch " + std::to_string(n) + " is smaller than its " + std::to_string(s) + " shards");
  planned_n_ = n;
  total_ = s;
  return s;
}

double BatchGradient::operator()(Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab,
                                 const Mat& goal, Params& grad, const MeanFlowLoss* mf) {
  const int64_t n = z.cols();
  const int k = plan(n);
  if (k > 1) return sharded(k, net, z, t, lab, goal, grad, mf);
  return squared_error_gradient(net, z, t, lab.empty() ? nullptr : lab.data(), goal, n, piece_, grad, manifold_,
                                discrete_, mf, mf ? mf->gap : nullptr) /
         double(n);
}

// This process computes shards [first, first + mine) of the k, in waves of one shard per
// thread; then the sum of all k.
double BatchGradient::sharded(int k, Net& net, const Mat& z, const Vec& t, const std::vector<int>& lab,
                              const Mat& goal, Params& grad, const MeanFlowLoss* mf) {
  const int64_t n = z.cols();
  const int procs = comm_.size(), mine = k / procs, first = comm_.rank() * mine;
  const int team = std::min(mine, omp_get_max_threads());
  const bool gathering = procs > 1 && exchange(net.params().size()) == Exchange::gather;
  while (shards_.size() < size_t(team)) shards_.emplace_back(net.config());
  if (gathering) mine_.resize(size_t(mine) * (net.params().size() + 2));
  using MapV = Eigen::Map<Eigen::VectorXf>;
  double sq = 0;
  for (int w0 = 0; w0 < mine; w0 += team) {
    const int m = std::min(team, mine - w0);
    // Inside the team each thread's products stay on that thread (OpenBLAS and Eigen see it)
    parallel_for(m, m, Spread::fixed, [&](int64_t i, int) {
      Shard& sh = shards_[size_t(i)];
      const int64_t s = first + w0 + i, c0 = n * s / k, cols = n * (s + 1) / k - c0;
      sh.net.params() = net.params();
      sh.z = z.middleCols(c0, cols);
      sh.t = t.segment(c0, cols);
      sh.goal = goal.middleCols(c0, cols);
      if (!lab.empty()) sh.lab.assign(lab.begin() + c0, lab.begin() + c0 + cols);
      if (mf) sh.gap = mf->gap->segment(c0, cols);
      sh.sq = squared_error_gradient(sh.net, sh.z, sh.t, lab.empty() ? nullptr : sh.lab.data(), sh.goal, n, sh.piece,
                                     sh.grad, manifold_, discrete_, mf, &sh.gap);
    });
    // This process's shards in shard order: kept for the gather, or summed
    for (int i = 0; i < m; ++i) {
      const Shard& sh = shards_[size_t(i)];
      if (gathering) {
        keep(w0 + i, sh);
      } else if (w0 + i == 0) {
        grad = sh.grad;
        sq = sh.sq;
      } else {
        MapV(grad.data(), Eigen::Index(grad.size())) += Eigen::Map<const Eigen::VectorXf>(sh.grad.data(), Eigen::Index(grad.size()));
        sq += sh.sq;
      }
    }
  }
  if (gathering)
    gather(k, grad, sq);
  else if (procs > 1)
    ring(grad, sq);
  return sq / double(n);
}

// Shard i of this process's run, a gradient and its squared error (a double in two floats'
// room), into its slot of the message to gather.
void BatchGradient::keep(int i, const Shard& sh) {
  const size_t p = sh.grad.size(), slot = p + 2;
  std::copy(sh.grad.begin(), sh.grad.end(), mine_.begin() + long(size_t(i) * slot));
  std::memcpy(&mine_[size_t(i) * slot + p], &sh.sq, sizeof(double));
}

// Every process's shards to every process, summed in shard order: the same additions as one
// process makes.
void BatchGradient::gather(int k, Params& grad, double& sq) {
  const size_t slot = mine_.size() / size_t(k / comm_.size()), p = slot - 2;
  all_.resize(size_t(k) * slot);
  comm_.allgather(mine_.data(), mine_.size() * sizeof(float), all_.data());
  grad.assign(all_.begin(), all_.begin() + long(p));
  using MapV = Eigen::Map<Eigen::VectorXf>;
  MapV g(grad.data(), Eigen::Index(p));
  for (int s = 0; s < k; ++s) {
    double v;
    std::memcpy(&v, &all_[size_t(s) * slot + p], sizeof(double));
    sq += v;
    if (s > 0) g += MapV(&all_[size_t(s) * slot], g.size());
  }
}

// `grad`, this process's sum of its shards, becomes the sum over all processes, the same bits
// on each. Segment j of K is [P j / K, P (j + 1) / K). Reduce-scatter: at step s < K - 1 rank
// r passes its partial sum of segment r - s on to r + 1 and adds its own to the partial sum
// of segment r - s - 1 arriving from r - 1; so segment j is summed in the ring order j, j + 1,
// ..., j - 1, and rank r ends with segment r + 1 complete. All-gather: the complete segments
// go once more around the ring, copied. The squared errors: each rank's, summed in rank order.
void BatchGradient::ring(Params& grad, double& sq) {
  const int K = comm_.size(), r = comm_.rank(), next = (r + 1) % K, prev = (r + K - 1) % K;
  const size_t p = grad.size();
  const auto lo = [&](int j) { return p * size_t(j) / size_t(K); };
  const auto seg = [&](int j) { return ((j % K) + K) % K; };
  using MapV = Eigen::Map<Eigen::VectorXf>;
  segment_.resize(p / size_t(K) + 1);
  for (int s = 0; s + 1 < K; ++s) {
    const int out = seg(r - s), in = seg(r - s - 1);
    const size_t in_n = lo(in + 1) - lo(in);
    comm_.sendrecv(next, grad.data() + lo(out), (lo(out + 1) - lo(out)) * sizeof(float), prev, segment_.data(),
                   in_n * sizeof(float));
    MapV(grad.data() + lo(in), Eigen::Index(in_n)) += MapV(segment_.data(), Eigen::Index(in_n));
  }
  for (int s = 0; s + 1 < K; ++s) {
    const int out = seg(r + 1 - s), in = seg(r - s);
    comm_.sendrecv(next, grad.data() + lo(out), (lo(out + 1) - lo(out)) * sizeof(float), prev, grad.data() + lo(in),
                   (lo(in + 1) - lo(in)) * sizeof(float));
  }
  losses_.resize(size_t(K));
  comm_.allgather(&sq, sizeof(double), losses_.data());
  sq = 0;
  for (const double v : losses_) sq += v;
}

}  // namespace flowkit
