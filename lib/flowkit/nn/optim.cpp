#include "flowkit/nn/optim.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit {

const ChoiceTable<Decay>& decays() {
  static const ChoiceTable<Decay> t = {
      {"constant", Decay::constant, "keep the learning rate after warm-up"},
      {"cosine", Decay::cosine, "cosine decay to 0 at the last step"},
      {"linear", Decay::linear, "linear decay to 0 at the last step"},
  };
  return t;
}

const ChoiceTable<Optimizer>& optimizers() {
  static const ChoiceTable<Optimizer> t = {
      {"adam", Optimizer::adam, "Adam; weight decay as L2 in the gradient"},
      {"adamw", Optimizer::adamw, "AdamW; decoupled weight decay"},
  };
  return t;
}

void OptimConfig::validate() const {
  if (!(lr > 0) || !std::isfinite(lr)) throw usage_error("--lr must be positive, got " + std::to_string(lr));
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    throw usage_error("--weight-decay must be 0 or positive");
  if (warmup < 0) throw usage_error("--warmup must be 0 or positive");
  if (!(clip >= 0)) throw usage_error("--clip must be 0 (off) or positive");
}

double learning_rate(const OptimConfig& c, int64_t step) {
  if (step < c.warmup) return c.lr * double(step + 1) / double(c.warmup);
  const double span = double(std::max<int64_t>(1, c.total_steps - c.warmup));
  const double f = std::min(1.0, double(step - c.warmup) / span);
  switch (c.decay) {
    case Decay::constant: return c.lr;
    case Decay::cosine: return c.lr * 0.5 * (1 + std::cos(3.14159265358979323846 * f));
    case Decay::linear: return c.lr * (1 - f);
  }
  return c.lr;
}

double clip_grad_norm(Params& grad, double clip) {
  double sq = 0;
  for (float g : grad) sq += double(g) * double(g);
  const double norm = std::sqrt(sq);
  if (clip > 0 && norm > clip) {
    const float f = float(clip / norm);
    for (float& g : grad) g *= f;
  }
  return norm;
}

void Adam::step(Params& params, const Params& grad, int64_t s) {
  const double lr = learning_rate(c_, s);
  const double bc1 = 1 - std::pow(c_.beta1, double(s + 1)), bc2 = 1 - std::pow(c_.beta2, double(s + 1));
  const float b1 = float(c_.beta1), b2 = float(c_.beta2), eps = float(c_.eps);
  const float step = float(lr / bc1), sbc2 = float(1 / std::sqrt(bc2));
  const float l2 = c_.kind == Optimizer::adam ? float(c_.weight_decay) : 0.0f;
  const float shrink = c_.kind == Optimizer::adamw ? float(1 - lr * c_.weight_decay) : 1.0f;
  for (size_t i = 0; i < params.size(); ++i) {
    const float g = grad[i] + l2 * params[i];
    m_[i] = b1 * m_[i] + (1 - b1) * g;
    v_[i] = b2 * v_[i] + (1 - b2) * g * g;
    params[i] = shrink * params[i] - step * m_[i] / (std::sqrt(v_[i]) * sbc2 + eps);
  }
}

void ema_update(Params& ema, const Params& params, double decay, int64_t s) {
  const float r = float(std::min(decay, double(1 + s) / double(10 + s)));
  for (size_t i = 0; i < ema.size(); ++i) ema[i] = r * ema[i] + (1 - r) * params[i];
}

}  // namespace flowkit
