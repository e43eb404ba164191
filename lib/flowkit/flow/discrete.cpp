#include "flowkit/flow/discrete.hpp"

#include <algorithm>
#include <cmath>

#include "flowkit/core/parallel.hpp"

namespace flowkit {
namespace {

// Index drawn with probability w[k] / sum(w) over the positive w[k] (a rate matrix's negative
// diagonal is left out), by the cumulative sums.
int draw_weighted(const float* w, int size, double total, Rng& rng) {
  const double r = rng.uniform() * total;
  double acc = 0;
  int last = 0;
  for (int k = 0; k < size; ++k) {
    if (w[k] <= 0) continue;
    acc += w[k];
    last = k;
    if (r < acc) return k;
  }
  return last;  // r at the very top (rounding): the last state with weight
}

// The generalized KL of one token without its coefficient kappa'/(1-kappa):
// -(p_{1|t}(x_t) - delta(x_1, x_t) + (1 - delta) log p_{1|t}(x_1)).
double kl_token(double p_t, double log_p1, bool same) { return same ? 1.0 - p_t : -(p_t + log_p1); }

// a^W b^(1 - W) in double, exact at W = 0 and 1 (pow(x, 1) = x, pow(x, 0) = 1); a zero factor
// with a negative exponent gives 0, and the result is capped at kMaxGuidedRate.
float guided(float a, float b, double W) {
  if ((a <= 0 && W < 0) || (b <= 0 && W > 1)) return 0.0f;
  return float(std::min(std::pow(double(a), W) * std::pow(double(b), 1.0 - W), kMaxGuidedRate));
}

// Sequences per batch of the ELBO's estimator.
constexpr int64_t kElboChunk = 4096;

}  // namespace

const ChoiceTable<DiscreteSource>& discrete_sources() {
  static const ChoiceTable<DiscreteSource> t = {
      {"mask", DiscreteSource::mask, "every token starts as MASK (token V)"},
      {"uniform", DiscreteSource::uniform, "every token starts uniform over the V tokens"},
  };
  return t;
}

const ChoiceTable<DiscreteLoss>& discrete_losses() {
  static const ChoiceTable<DiscreteLoss> t = {
      {"ce", DiscreteLoss::ce, "cross-entropy of the posterior on the data token"},
      {"kl", DiscreteLoss::kl, "generalized KL of the rates (the ELBO's integrand)"},
  };
  return t;
}

double DiscretePath::source_prob(int y) const {
  if (source == DiscreteSource::mask) return y == mask() ? 1.0 : 0.0;
  return y < vocab ? 1.0 / vocab : 0.0;
}

double DiscretePath::jump_coef(double t) const {
  if (!std::isfinite(kappa.da(t))) t = kTMin;  // poly:k with k < 1 is singular at t = 0
  return kappa.da(t) / (1.0 - kappa.a(t));
}

void DiscretePath::check() const {
  if (vocab < 1 || vocab > kMaxVocab)
    throw Error("vocabulary of " + std::to_string(vocab) + " tokens; it must be 1.." +
                std::to_string(kMaxVocab));
}

void draw_source(const DiscretePath& path, Tokens& x0, Rng& rng) {
  if (path.source == DiscreteSource::mask) {
    x0.setConstant(path.mask());
    return;
  }
  for (Eigen::Index k = 0; k < x0.size(); ++k) x0.data()[k] = int32_t(rng.below(uint64_t(path.vocab)));
}

void draw_path(const DiscretePath& path, const Tokens& x0, const Tokens& x1, const Vec& t,
               Tokens& xt, Rng& rng) {
  xt.resize(x1.rows(), x1.cols());
  for (Eigen::Index j = 0; j < x1.cols(); ++j) {
    const double k = path.kappa.a(t[j]);
    for (Eigen::Index i = 0; i < x1.rows(); ++i) xt(i, j) = rng.uniform() < k ? x1(i, j) : x0(i, j);
  }
}

void check_tokens(const Tokens& x, int vocab, const std::string& where) {
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      if (x(i, j) < 0 || x(i, j) >= vocab)
        throw Error("token " + std::to_string(x(i, j)) + " outside the vocabulary 0.." +
                    std::to_string(vocab - 1) + " (" + where + ", sequence " + std::to_string(j) +
                    ", position " + std::to_string(i) + ")");
}

void discrete_rates(const DiscretePath& path, double t, double corrector, const Tokens& xt,
                    const Mat& post, Mat& u) {
  const int V = path.vocab, S = path.states();
  const Eigen::Index cols = xt.size();
  const double kap = path.kappa.a(t), c = path.jump_coef(t);
  // The corrector's coefficients of p_0 and of the posterior (nothing where kappa = 0)
  const bool corr = corrector > 0 && kap > 0;
  const double c0 = corr ? corrector * path.kappa.da(t) / kap : 0.0;
  const double c1 = corr ? corrector * c : 0.0;
  u.resize(S, cols);
  u.topRows(V) = post.cast<float>() * float(c + c1);
  if (S > V) u.row(V).setZero();
  if (corr)
    for (int y = 0; y < S; ++y) u.row(y).array() += float(c0 * path.source_prob(y));
  for (Eigen::Index k = 0; k < cols; ++k) {
    const int x = xt.data()[k];
    u(x, k) = 0;
    u(x, k) = -u.col(k).sum();
  }
}

void jump_step(const DiscretePath& path, double t, double h, double corrector, const Mat& post,
               Tokens& xt, Mat& u, Rng& rng) {
  discrete_rates(path, t, corrector, xt, post, u);
  jump_rates(u, h, xt, rng);
}

void jump_rates(const Mat& u, double h, Tokens& xt, Rng& rng) {
  const int S = int(u.rows());
  for (Eigen::Index k = 0; k < xt.size(); ++k) {
    int32_t& x = xt.data()[k];
    const double out = -double(u(x, k));  // sum of the rates away from x
    if (!(out > 0) || !(rng.uniform() < -std::expm1(-h * out))) continue;
    x = draw_weighted(&u(0, k), S, out, rng);
  }
}

void guide_rates(const Tokens& xt, double W, const Mat& uncond, Mat& cond) {
  for (Eigen::Index k = 0; k < xt.size(); ++k) {
    const int x = xt.data()[k];
    auto c = cond.col(k);
    for (Eigen::Index y = 0; y < c.size(); ++y) c[y] = y == x ? 0.0f : guided(c[y], uncond(y, k), W);
    c[x] = -c.sum();
  }
}

void guide_posterior(double W, const Mat& uncond, Mat& cond) {
  cond = cond.binaryExpr(uncond, [W](float a, float b) { return guided(a, b, W); });
}

void draw_posterior(const Mat& post, Tokens& xt, Rng& rng) {
  const int V = int(post.rows());
  for (Eigen::Index k = 0; k < xt.size(); ++k)
    xt.data()[k] = draw_weighted(&post(0, k), V, post.col(k).cast<double>().sum(), rng);
}

Tokens sample_tokens(DiscreteModel& model, int64_t n, const DiscreteSampling& s, Rng& rng,
                     Tokens* trajectory) {
  const int steps = s.steps;
  check_steps(steps);
  const DiscretePath& path = model.path();
  const int L = model.length();
  Tokens x(L, n);
  draw_source(path, x, rng);
  if (trajectory) trajectory->resize(Eigen::Index(L) * (steps + 1), n);
  auto keep = [&](int k) {
    if (trajectory) trajectory->middleRows(Eigen::Index(L) * k, L) = x;
  };
  Mat post, post_u, u, u_u;  // with the labels, and with the null label when guided
  Vec tv(n);
  const std::vector<double> times = time_grid(s.grid, steps, 0, 1);
  const bool guided = s.guided();
  for (int k = 0; k < steps; ++k) {
    keep(k);
    const double t = times[size_t(k)], h = times[size_t(k) + 1] - t;
    tv.setConstant(float(t));
    model.posterior(x, tv, s.labels, post);
    if (guided) model.posterior(x, tv, nullptr, post_u);
    if (k + 1 < steps) {
      discrete_rates(path, t, s.corrector, x, post, u);
      if (guided) {
        discrete_rates(path, t, s.corrector, x, post_u, u_u);
        guide_rates(x, s.guidance, u_u, u);
      }
      jump_rates(u, h, x, rng);
    } else {
      if (guided) guide_posterior(s.guidance, post_u, post);
      draw_posterior(post, x, rng);
    }
  }
  keep(steps);
  return x;
}

Tokens sample_tokens(const DiscreteModel& model, int64_t n, const DiscreteSampling& s, uint64_t seed,
                     int threads) {
  Tokens x(model.length(), n);
  const int64_t size = std::max<int64_t>(model.chunk(), 1), chunks = (n + size - 1) / size;
  std::vector<std::unique_ptr<DiscreteModel>> models(size_t(std::max(threads, 1)));
  for (auto& m : models) m = model.clone();
  // A network's products on the chunk's own thread: the same bits with any thread count
  const SerialProducts serial(threads == 1);
  parallel_for(chunks, threads, Spread::dynamic, [&](int64_t k, int thread) {
    Rng rng(seed, uint64_t(k));
    const int64_t first = k * size, m = std::min(size, n - first);
    DiscreteSampling chunk = s;
    if (s.labels) chunk.labels = s.labels + first;
    x.middleCols(first, m) = sample_tokens(*models[size_t(thread)], m, chunk, rng);
  });
  return x;
}

// Column by column: exp of a contiguous column minus a scalar is Eigen's packet exp (a row of
// maxima broadcast over the matrix was not, and went through libm's expf one value at a time:
// a fifth of the jump sampler's time). A mapped matrix is read in place (Ref), not copied.
void softmax_columns(const Eigen::Ref<const Mat>& logits, Mat& p) {
  p.resize(logits.rows(), logits.cols());
  for (Eigen::Index j = 0; j < logits.cols(); ++j) {
    const auto z = logits.col(j).array();
    auto q = p.col(j).array();
    q = (z - z.maxCoeff()).exp();
    q /= q.sum();
  }
}

double discrete_loss(DiscreteLoss kind, const DiscretePath& path, const Vec& t, const Tokens& xt,
                     const Tokens& x1, const Mat& logits, Mat* grad) {
  const Eigen::Index L = x1.rows(), cols = x1.size();
  Mat p;
  softmax_columns(logits, p);
  if (grad) grad->setZero(logits.rows(), cols);
  const double scale = 1.0 / double(cols);
  double total = 0;
  for (Eigen::Index k = 0; k < cols; ++k) {
    const int y1 = x1.data()[k], yt = xt.data()[k];
    const double log_p1 = std::log(std::max(double(p(y1, k)), 1e-30));
    if (kind == DiscreteLoss::ce) {
      total -= log_p1;
      if (grad) {
        grad->col(k) = p.col(k) * float(scale);
        (*grad)(y1, k) -= float(scale);
      }
      continue;
    }
    const double c = path.jump_coef(t[k / L]);
    const bool same = y1 == yt;
    const double p_t = yt < path.vocab ? double(p(yt, k)) : 0.0;
    total += c * kl_token(p_t, log_p1, same);
    if (grad) {
      // d p(x_t) / dz = p(x_t) (e_{x_t} - p), d log p(x_1) / dz = e_{x_1} - p
      auto g = grad->col(k);
      const double w = p_t + (same ? 0.0 : 1.0);
      g = p.col(k) * float(c * scale * w);
      if (yt < path.vocab) g[yt] -= float(c * scale * p_t);
      if (!same) g[y1] -= float(c * scale);
    }
  }
  return total * scale;
}

Elbo discrete_elbo(DiscreteModel& model, const Tokens& x1, int strata, Rng& rng) {
  if (strata < 1) throw usage_error("the ELBO needs at least one time per sequence");
  const DiscretePath& path = model.path();
  const Eigen::Index L = x1.rows(), n = x1.cols();
  if (n < 2) throw Error("the ELBO's standard error needs at least 2 sequences");
  VecD per_seq = VecD::Zero(n);
  Tokens x0, xt;
  Mat post;
  for (Eigen::Index b = 0; b < n; b += kElboChunk) {
    const Eigen::Index m = std::min<Eigen::Index>(kElboChunk, n - b);
    const Tokens y = x1.middleCols(b, m);
    x0.resize(L, m);
    Vec t(m);
    for (int s = 0; s < strata; ++s) {
      // Stratified in kappa, not in t: with u = kappa(t) uniform, kappa' dt = du and the
      // integrand kappa'/(1 - kappa) l dt is l / (1 - u) du, the same law for every schedule
      // (strata in t missed where a poly:0.05 moves: the estimate fell 5.6 standard errors below
      // the entropy, 57 at poly:0.01)
      for (Eigen::Index j = 0; j < m; ++j) t[j] = float(path.kappa.time_of_a((s + rng.uniform()) / strata));
      // float rounding may reach 1, where 1 / (1 - kappa) is infinite
      t = t.cwiseMin(std::nextafter(1.0f, 0.0f));
      draw_source(path, x0, rng);
      draw_path(path, x0, y, t, xt, rng);
      model.posterior(xt, t, nullptr, post);
      for (Eigen::Index j = 0; j < m; ++j) {
        double l = 0;
        for (Eigen::Index i = 0; i < L; ++i) {
          const Eigen::Index k = j * L + i;
          const int a = y(i, j), z = xt(i, j);
          const double p_t = z < path.vocab ? double(post(z, k)) : 0.0;
          if (std::isnan(p_t) || std::isnan(post(a, k)))
            throw Error("the model's posterior is not a number at t = " + std::to_string(t[j]) + " (sequence " +
                        std::to_string(b + j) + ")");
          // A posterior of exactly 0 for the data's token makes the bound +inf (not a clamp's
          // thousand nats): a sequence the model's continuous-time chain never reaches, such
          // as two tokens of a table's empty cell unmasked in one step of the sampler
          l += a != z && !(post(a, k) > 0) ? INFINITY : kl_token(p_t, std::log(double(post(a, k))), a == z);
        }
        per_seq[b + j] += l / (1.0 - path.kappa.a(t[j])) / strata;
      }
    }
  }
  // The mean and its standard error over the sequences with a finite bound; the others counted
  Elbo e;
  e.length = int(L);
  double sum = 0, sum2 = 0;
  for (Eigen::Index j = 0; j < n; ++j)
    if (std::isfinite(per_seq[j])) sum += per_seq[j];
    else ++e.n_inf;
  const int64_t m = n - e.n_inf;
  e.nats = m > 0 ? sum / double(m) : INFINITY;
  for (Eigen::Index j = 0; j < n; ++j)
    if (std::isfinite(per_seq[j])) sum2 += (per_seq[j] - e.nats) * (per_seq[j] - e.nats);
  e.stderr_ = m > 1 ? std::sqrt(sum2 / double(m - 1) / double(m)) : INFINITY;  // none from one bound
  return e;
}

}  // namespace flowkit
