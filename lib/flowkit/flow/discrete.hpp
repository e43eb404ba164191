// flow: discrete flow matching on tokens (Campbell et al. 2024; Gat et al. 2024): the mixture
// path token by token, the posterior interface a discrete model answers, the rates made from a
// posterior, the jump sampler, the cross-entropy and generalized-KL losses and the ELBO with its
// standard error. Formulas and their tests: doc/MATH.md, "Discrete flows".
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"
#include "flowkit/core/tokens.hpp"
#include "flowkit/flow/path.hpp"
#include "flowkit/flow/solve.hpp"

namespace flowkit {

// Tokens (core/tokens.hpp): data tokens are 0..V-1; MASK is V.

enum class DiscreteSource { mask, uniform };
const ChoiceTable<DiscreteSource>& discrete_sources();

enum class DiscreteLoss { ce, kl };
const ChoiceTable<DiscreteLoss>& discrete_losses();

// The mixture path: x_t^i = x_1^i with probability kappa(t), else x_0^i, with kappa = a(t) of a
// schedule of the table in path.hpp (poly:n gives t^n) and x_0 all MASK or uniform over V.
struct DiscretePath {
  Schedule kappa;
  DiscreteSource source = DiscreteSource::mask;
  int vocab = 0;  // V

  // The states a token may be in: V + 1 with a mask source, V otherwise.
  int states() const { return source == DiscreteSource::mask ? vocab + 1 : vocab; }
  int mask() const { return vocab; }
  // p_0(y) of one token.
  double source_prob(int y) const;
  // kappa'(t) / (1 - kappa(t)): the jump coefficient of the rates and the KL loss.
  double jump_coef(double t) const;
  // Throws unless 1 <= V <= kMaxVocab.
  void check() const;
};

// x0 from the source, every token independently.
void draw_source(const DiscretePath& path, Tokens& x0, Rng& rng);
// x_t for each column j at time t[j]: token by token x1 with probability kappa(t[j]), else x0.
void draw_path(const DiscretePath& path, const Tokens& x0, const Tokens& x1, const Vec& t,
               Tokens& xt, Rng& rng);
// Throws an Error naming the first token outside 0..V-1 (data tokens; MASK is not data).
void check_tokens(const Tokens& x, int vocab, const std::string& where);

// The threaded sampler's chunk (sequences) for a model whose pass costs little per sequence
constexpr int64_t kTokenChunk = 2048;

// What a discrete model gives: the posterior p_{1|t}(x_1^i = y | x_t) of every position, a
// V x (L n) matrix of probabilities whose column i + L j is position i of sequence j.
class DiscreteModel {
 public:
  virtual ~DiscreteModel() = default;
  virtual int length() const = 0;  // L
  // The shape of one sequence: {L}, or {H, W} for token images (L = H W).
  virtual std::vector<int64_t> shape() const { return {length()}; }
  virtual const DiscretePath& path() const = 0;
  // Classes of a class-conditional model (0: none); label num_classes() is the null label.
  virtual int num_classes() const { return 0; }
  // Posterior at (x_t, t[j], labels[j]) for every column j of xt (labels nullptr: the null
  // label; a model without classes ignores them). Not shared between threads: clone().
  virtual void posterior(const Tokens& xt, const Vec& t, const int* labels, Mat& p) = 0;
  virtual std::unique_ptr<DiscreteModel> clone() const = 0;
  virtual std::string describe() const = 0;
  // Sequences per chunk of the threaded sampler (below): few for a costly network, so that a
  // small batch still spreads over the threads.
  virtual int64_t chunk() const { return kTokenChunk; }
};

// The rates of every token at one time t, an S x (L n) matrix (S = path.states()):
//   u(y) = kappa'/(1-kappa) p_{1|t}(y)                                      (y != x_t)
//        + C kappa'/(kappa (1-kappa)) [(1-kappa) p_0(y) + kappa p_{1|t}(y)] (the corrector)
// and u(x_t) = -sum_{y != x_t} u(y), so that every column sums to zero. The corrector (C > 0,
// flow_matching's div_free term) leaves p_t unchanged and is left out where kappa(t) = 0.
void discrete_rates(const DiscretePath& path, double t, double corrector, const Tokens& xt,
                    const Mat& post, Mat& u);

// One jump step of size h from t: each token leaves x_t with probability
// 1 - exp(-h sum_{y != x_t} u(y)) and then lands on y with probability proportional to u(y).
// `u` is a workspace.
void jump_step(const DiscretePath& path, double t, double h, double corrector, const Mat& post,
               Tokens& xt, Mat& u, Rng& rng);
// The same step from rates already made (u: S x (L n), each column summing to zero).
void jump_rates(const Mat& u, double h, Tokens& xt, Rng& rng);
// Every token drawn from its posterior (the sampler's last step); the columns of `post` need
// not sum to one (each is drawn in proportion to its entries).
void draw_posterior(const Mat& post, Tokens& xt, Rng& rng);

// Guidance on the rates (Nisonoff et al. 2024): for y != x_t the guided rate is
//   u_W(y) = u_cond(y)^W u_uncond(y)^(1 - W)
// (W = 1 the conditional rates, W = 0 the unconditional ones, bit for bit), written over
// `cond`, whose diagonal becomes -sum_{y != x_t} u_W(y). A zero factor with a negative exponent
// gives a zero rate (the limit of the formula where that model forbids the jump), and a rate is
// capped at kMaxGuidedRate so that a column's sum stays finite in float.
constexpr double kMaxGuidedRate = 1e30;
void guide_rates(const Tokens& xt, double W, const Mat& uncond, Mat& cond);
// The last step's guided posterior, p_cond^W p_uncond^(1 - W) entry by entry (the same rules),
// written over `cond`; draw_posterior renormalizes it.
void guide_posterior(double W, const Mat& uncond, Mat& cond);

// How to sample: the steps of the grid, the corrector weight and, for a class-conditional
// model, the label of each sequence (nullptr: the null label) and the guidance weight W.
struct DiscreteSampling {
  int steps = 100;
  double corrector = 0;
  const int* labels = nullptr;  // one per sequence
  double guidance = 1;          // W; 1 is the plain conditional model
  // Where the steps fall: uniform, or denser near t = 1 where a mixture path's jump rates
  // kappa'/(1 - kappa) grow (doc/MATH.md, "Discrete flows"); a `times` grid has steps + 1 times
  TimeGrid grid = GridKind::uniform;
  // Guided sampling evaluates the model twice (with the labels and with the null label).
  bool guided() const { return labels != nullptr && guidance != 1; }
};

// Samples n sequences: x0 from the source, steps - 1 jump steps from t_k to t_{k+1} on the grid
// (t_k = k / steps when uniform), and the last step drawn from the posterior at t_{steps-1}.
// When `trajectory` is given, it receives the state at every t_k and the final one (steps + 1
// blocks of L rows).
Tokens sample_tokens(DiscreteModel& model, int64_t n, const DiscreteSampling& s, Rng& rng,
                     Tokens* trajectory = nullptr);

// The same, chunk by chunk over the threads: chunk k of model.chunk() sequences draws from
// Rng(seed, k) with its own clone of the model, so the tokens do not depend on the thread count.
Tokens sample_tokens(const DiscreteModel& model, int64_t n, const DiscreteSampling& s, uint64_t seed,
                     int threads);

// The loss of a batch, the mean over its L n tokens, from the network's logits (V x (L n)) at
// times t (one per column of x1):
//   ce: -log p_{1|t}(x_1^i)
//   kl: -kappa'/(1-kappa) [p_{1|t}(x_t^i) - delta(x_1^i, x_t^i) + (1 - delta) log p_{1|t}(x_1^i)]
// When `grad` is given it receives d loss / d logits (V x (L n)). p_{1|t}(MASK) = 0.
double discrete_loss(DiscreteLoss kind, const DiscretePath& path, const Vec& t, const Tokens& xt,
                     const Tokens& x1, const Mat& logits, Mat* grad = nullptr);
// Softmax of every column (in place allowed).
void softmax_columns(const Eigen::Ref<const Mat>& logits, Mat& p);

// The ELBO: -log p(x_1) <= integral_0^1 E_{x_t ~ p_t(. | x_1)} sum_i kl^i dt (the generalized-KL
// loss per sequence). Each sequence is estimated with `strata` stratified times t = (k + U) /
// strata, k = 0..strata-1, each with its own draw of x_t; the mean over the sequences and its
// standard error (the spread of the per-sequence estimates over sqrt(n)).
struct Elbo {
  double nats = 0;      // per sequence, over those with a finite bound (+inf when none has)
  double stderr_ = 0;   // of `nats`
  int64_t n_inf = 0;    // sequences whose bound is +inf (probability 0 under the model)
  int length = 0;       // L: divide by it for nats per token
  double per_token() const { return nats / length; }
  double bits_per_token() const { return nats / length / 0.69314718055994530942; }
};
Elbo discrete_elbo(DiscreteModel& model, const Tokens& x1, int strata, Rng& rng);

}  // namespace flowkit
