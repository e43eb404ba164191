// optim: Adam / AdamW over one flat parameter vector, learning-rate warm-up and decay,
// gradient-norm clipping and an exponential moving average of the weights.
#pragma once
#include <vector>

#include "flowkit/core/choice.hpp"
#include "flowkit/nn/params.hpp"

namespace flowkit {

enum class Decay { constant, cosine, linear };
const ChoiceTable<Decay>& decays();

enum class Optimizer { adam, adamw };
const ChoiceTable<Optimizer>& optimizers();

struct OptimConfig {
  Optimizer kind = Optimizer::adam;
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.0;  // adam: L2 added to the gradient; adamw: decoupled
  int64_t warmup = 0;         // steps of linear warm-up from 0
  Decay decay = Decay::cosine;
  int64_t total_steps = 1;    // decay reaches 0 here
  double clip = 0.0;          // > 0: clip the gradient's global norm to this
  void validate() const;      // usage errors
};

// Learning rate at step s (0-based): warm-up, then constant, cosine or linear decay to 0.
double learning_rate(const OptimConfig& c, int64_t step);

// Scales grad to norm <= clip (clip > 0); returns the norm before clipping.
double clip_grad_norm(Params& grad, double clip);

class Adam {
 public:
  explicit Adam(const OptimConfig& c, size_t n) : c_(c), m_(n, 0.0f), v_(n, 0.0f) {}
  // One update of params with grad at step s (0-based, s + 1 = Adam's bias-correction count).
  void step(Params& params, const Params& grad, int64_t s);
  Params& m() { return m_; }
  Params& v() { return v_; }
  const Params& m() const { return m_; }
  const Params& v() const { return v_; }

 private:
  OptimConfig c_;
  Params m_, v_;
};

// ema <- r ema + (1 - r) params with r = min(decay, (1 + s) / (10 + s)): the warm-up of the
// rate lets short runs use it too.
void ema_update(Params& ema, const Params& params, double decay, int64_t s);

}  // namespace flowkit
