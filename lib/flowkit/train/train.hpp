// train: conditional flow matching. Mini-batches of (x0, x1) pairs (Gaussian or data source,
// independent, exact-OT or Sinkhorn coupling), t uniform or logit-normal, the regression of the
// network onto the conditional target in normalized coordinates, Adam, EMA, validation, and
// checkpoints that resume bit-exactly. All randomness of step s comes from Rng(seed, s), so a
// checkpoint needs only the step, the weights and the optimizer moments.
#pragma once
#include <functional>
#include <memory>
#include <optional>

#include "flowkit/core/comm.hpp"
#include "flowkit/io/array.hpp"
#include "flowkit/io/tokens.hpp"
#include "flowkit/data/data.hpp"
#include "flowkit/model/model.hpp"
#include "flowkit/nn/optim.hpp"
#include "flowkit/train/grad.hpp"

namespace flowkit {

enum class Coupling { independent, ot, sinkhorn, pairs };
const ChoiceTable<Coupling>& couplings();

enum class TimeDist { uniform, logit_normal, meanflow };
const ChoiceTable<TimeDist>& time_dists();

constexpr int kDequantizeAuto = -1;

// A MeanFlow U-Net's time features when none are asked for (flow-train): its JVP multiplies
// feature k's tangent by pi 2^k, and at the U-Net's usual 8 the target's time term grew until
// the loss diverged (8x8 digits, 4,000 steps: 552 -> 25,670, one-step FD 0.997; with 2 it fell
// to 69, FD 0.649; doc/MATH.md "MeanFlow").
constexpr int kMeanFlowUNetTimeFreqs = 2;

struct TrainConfig {
  NetConfig net;  // net.dim and net.num_classes are set from the data
  OptimConfig optim;
  Schedule schedule;
  Predict predict = Predict::velocity;
  double sigma_min = 0.0;  // I-CFM: x_t = a x1 + b x0 + sigma_min eps
  TimeDist t_dist = TimeDist::uniform;
  // --objective meanflow (doc/MATH.md "MeanFlow"): the net learns the average velocity
  // u(x, r, t); a fraction mf_ratio of the columns has r < t (the rest r = t), each column's
  // squared error weighted by 1 / (|e|^2 + c)^mf_power, and with labels the target mixes in
  // the unconditional prediction with guidance mf_guidance (1: none). --objective shortcut
  // learns the same u by self-consistency on a fraction mf_ratio of the columns, plain squares.
  Objective objective = Objective::flow_matching;
  double mf_ratio = 0.25;
  double mf_power = 1.0;
  double mf_guidance = 1.0;
  Coupling coupling = Coupling::independent;
  double sinkhorn_eps = 0.05;  // entropic regularization, relative to the mean cost
  int64_t steps = 10000;
  int64_t batch = 512;
  double ema = 0.999;  // 0: no moving average
  double val_fraction = 0.0;
  bool conditional = false;
  double cond_drop = 0.15;
  // Uniform dequantization of quantized data k / (L - 1): each batch's targets get fresh
  // U[0, 1/(L - 1)) noise, so that the model has a density (not a spike) on every bin and
  // flow-eval --dequantize measures an honest bits per dimension. The levels L >= 2, 0 (off),
  // or kDequantizeAuto: the levels found in the data (an error when the data are not quantized).
  int dequantize = 0;
  uint64_t seed = 0;
  // A curved manifold (sphere, torus): geodesic paths from its source law, a tangent
  // velocity, no normalization; recorded in the model, not in "training"
  Manifold manifold;
  std::string toy;  // the built-in distribution when there is no data set
  std::string init;  // the model file the network started from (--init), recorded
  int shards = 0;   // gradient shards per batch over all processes (0: one per thread); how the
                    // run is computed, like the thread count, so not recorded in the model
  Exchange exchange = Exchange::automatic;  // how processes combine gradients; not recorded either
  // Token data (TrainData::vocab > 0) trains a discrete flow (doc/MATH.md, "Discrete flows"):
  // the mixture path's source and kappa (its vocab comes from the data; recorded in the model)
  // and the loss (recorded in "training")
  DiscretePath discrete{Schedule::parse("poly:2"), DiscreteSource::mask, 0};
  DiscreteLoss discrete_loss = DiscreteLoss::ce;

  void validate() const;  // usage errors
  nlohmann::json to_json() const;
  // The settings recorded in a model or checkpoint ("training"); `where` names the file.
  static TrainConfig from_json(const nlohmann::json& j, const std::string& where);
};

// What training reads: a target data set (or a toy), labels, and an optional source set.
struct TrainData {
  Mat target;                  // d x n (empty with a toy)
  std::vector<int> labels;     // one per target column, or empty
  std::vector<int64_t> shape;  // of one sample
  Mat source;                  // d x m: the bridge source, or empty for N(0, I)
  Mat noise;                   // d x n: coupling pairs, the start point of each target column
  int vocab = 0;               // > 0: token data, 0..vocab-1, held in `target` as whole floats

  // Token data (n, L) or (n, H, W), labels as the companion; vocab 0 takes the largest token + 1.
  static TrainData from_tokens(const TokenStream& tokens, int vocab, const std::string& where, bool want_labels);

  // From streams: points (n, d) or images (n, H, W[, C]) with labels as the companion.
  static TrainData from_streams(const Stream& target, const std::string& where, const Stream* source,
                                const std::string& source_where, bool want_labels);
  // From flow-sample --pairs: (n, 2, ...) rows [start point, sample], labels as the companion;
  // the fixed coupling of reflow (--coupling pairs).
  static TrainData from_pairs(const Stream& pairs, const std::string& where, bool want_labels);
};

// What --init MODEL must share with a run before its network: a flow (not discrete) on the
// run's space, of the data's sample shape, predicting the run's target on its schedule from
// N(0, I); an empty `shape` (not known yet) is not checked. Trainer::start_from checks all of
// it and the network itself.
void check_start(const LearnedModel& m, const TrainConfig& c, const std::vector<int64_t>& shape, const std::string& where);

class Trainer {
 public:
  // With several processes in `comm` (mpirun), each computes its run of the batch's shards
  // and they exchange gradients (train/grad.hpp); every process must be given the same data.
  Trainer(const TrainConfig& cfg, TrainData data, Comm& comm = Comm::single());
  ~Trainer();
  const TrainConfig& config() const { return cfg_; }
  int64_t step() const { return step_; }
  // One optimization step; returns the batch loss (mean squared error, normalized units).
  double train_step();
  bool has_validation() const;
  double validation_loss();  // with the sampling weights, fixed points, noise and times
  double smoothed_loss() const;
  // How the processes combine gradients: --exchange, with auto resolved (gather with one).
  Exchange exchange() const;

  nlohmann::json model_json() const;
  nlohmann::json checkpoint_json() const;
  // Continues from a checkpoint written by a trainer with the same settings and data.
  void restore(const nlohmann::json& ck, const std::string& where);
  // Starts from a trained model's network (flow-train --init: distillation, fine-tuning): its
  // sampling weights become the weights and the moving average's start, the optimizer is
  // fresh. Its architecture must be this run's (the data's shape and classes, the objective's
  // time inputs); the run takes its normalization too.
  void start_from(const LearnedModel& m, const std::string& where);

  struct Impl;  // workspaces and state (train.cpp)

 private:
  TrainConfig cfg_;
  int64_t step_ = 0;
  std::unique_ptr<Impl> impl_;
};

// Progress and checkpoint hooks of the training loop (the program writes files and bars).
struct TrainHooks {
  int64_t report_every = 50;
  int64_t checkpoint_every = 0;
  std::function<void(int64_t step, double loss, std::optional<double> val_loss)> report;
  std::function<void(const nlohmann::json& checkpoint, int64_t step)> checkpoint;
  std::function<bool()> stop;  // asked between steps: true ends the run early (a signal)
};

// Runs until cfg.steps; a loss that is not finite stops with an Error naming the step (and
// the last checkpoint written, if any). Returns the final model document, or null when
// hooks.stop ended the run before cfg.steps.
nlohmann::json run_training(Trainer& trainer, const TrainHooks& hooks);

}  // namespace flowkit
