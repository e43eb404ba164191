#include "flowkit/nn/mlp.hpp"

#include <algorithm>
#include <cmath>

#include "flowkit/core/parallel.hpp"
#include "flowkit/nn/unet.hpp"

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kSeluL = 1.0507009873554804934193349852946;
constexpr double kSeluA = 1.6732632423543772848170429916717;
constexpr double kLnEps = 1e-5;
// Columns per block of a hidden layer's forward pass. At width 256 a block of h and of d is
// 256 KB each, within this machine's L2 (512 KB a core) and L3 from the GEMM to the
// activation; smaller blocks re-pack W too often (128 columns: 3.4% of the time in packing
// W, against 1.2%; bench/NOTES.md, item 16). Chosen by measurement.
constexpr Eigen::Index kLayerColumns = 256;

// Index of the first tensor of the output layer in the layout.
size_t out_index(const NetConfig& c) { return c.residual ? 2 + 4 * size_t(c.depth) : 2 * size_t(c.depth); }

// Calls f(first, count) on blocks of columns of about 8K values (they stay in cache), spread
// over the threads unless already inside a parallel region. Only for element-wise work: the
// bits then do not depend on how the blocks are spread.
template <class F>
void for_column_blocks(Eigen::Index rows, Eigen::Index cols, const F& f) {
  const Eigen::Index bc = std::max<Eigen::Index>(1, 8192 / std::max<Eigen::Index>(1, rows));
  const Eigen::Index nb = (cols + bc - 1) / bc;
  const int threads = rows * cols < 65536 ? 1 : omp_get_max_threads();
  parallel_for(nb, threads, Spread::fixed, [&](int64_t b, int) { f(b * bc, std::min(bc, cols - b * bc)); });
}

// h = W x + b where no activation follows: the bias fills h and the GEMM accumulates into it.
template <class M, class W, class X, class B>
void affine(M& h, const W& w, const X& x, const B& b) {
  h.resize(w.rows(), x.cols());
  // Column by column: a plain vector copy (Eigen's replicate() takes a modulo per coefficient)
  for_column_blocks(h.rows(), h.cols(), [&](Eigen::Index c0, Eigen::Index k) {
    for (Eigen::Index j = c0; j < c0 + k; ++j) h.col(j) = b;
  });
  h.noalias() += w * x;
}

// dh <- dh * d (the activation derivative) and bias = the row sums of the product, in one pass
// over dh, column after column (a fixed order: the same bits at every thread count).
template <class M, class G>
void scale_and_sum(M& dh, const M& d, G&& bias) {
  bias.setZero();
  for (Eigen::Index j = 0; j < dh.cols(); ++j) {
    dh.col(j).array() *= d.col(j).array();
    bias += dh.col(j);
  }
}

// Multiplies each block of n tangent columns by the activation derivative of the primal.
template <class M>
void scale_tiled(M& dz, const M& d) {
  const Eigen::Index n = d.cols();
  for_column_blocks(dz.rows(), dz.cols(), [&](Eigen::Index c0, Eigen::Index k) {
    for (Eigen::Index j = c0; j < c0 + k; ++j) dz.col(j).array() *= d.col(j % n).array();
  });
}

// h <- act(h) and d <- act'(h) on one block of columns (h holds the pre-activation on entry).
template <class B>
void activate_block(Activation a, B h, B d) {
  using S = typename B::Scalar;
  auto H = h.array();
  auto D = d.array();
  switch (a) {
    case Activation::silu:  // d = s + h (1 - s) after h = z s (float: Eigen's rational fit, exp below -9)
      D = H.logistic();
      H = H * D;
      D = D + H * (S(1) - D);
      return;
    case Activation::relu:
      D = (H > S(0)).template cast<S>();
      H = H.max(S(0));
      return;
    case Activation::tanh:
      H = H.tanh();
      D = S(1) - H.square();
      return;
    case Activation::selu:
      D = (H > S(0)).select(S(kSeluL), S(kSeluL * kSeluA) * H.exp());
      H = (H > S(0)).select(S(kSeluL) * H, D - S(kSeluL * kSeluA));
      return;
    case Activation::gelu:
      for (Eigen::Index j = 0; j < h.cols(); ++j)
        for (Eigen::Index i = 0; i < h.rows(); ++i) {
          const double z = double(h(i, j));
          const double cdf = 0.5 * (1 + std::erf(z / std::sqrt(2.0)));
          const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * kPi);
          h(i, j) = S(z * cdf);
          d(i, j) = S(cdf + z * pdf);
        }
      return;
  }
}

// h <- act(h) on one block of columns, without the derivative (an inference pass): the same
// values as activate_block's h, by the same expressions.
template <class B>
void activate_only_block(Activation a, B h) {
  using S = typename B::Scalar;
  auto H = h.array();
  switch (a) {
    case Activation::silu:
      H = H * H.logistic();
      return;
    case Activation::relu:
      H = H.max(S(0));
      return;
    case Activation::tanh:
      H = H.tanh();
      return;
    case Activation::selu:
      H = (H > S(0)).select(S(kSeluL) * H, S(kSeluL * kSeluA) * H.exp() - S(kSeluL * kSeluA));
      return;
    case Activation::gelu:
      for (Eigen::Index j = 0; j < h.cols(); ++j)
        for (Eigen::Index i = 0; i < h.rows(); ++i) {
          const double z = double(h(i, j));
          h(i, j) = S(z * (0.5 * (1 + std::erf(z / std::sqrt(2.0)))));
        }
      return;
  }
}

// The settings, checked before anything is allocated for them (a --time-freqs of 2,000,000 would
// first ask for gigabytes of weights)
const NetConfig& checked_mlp(const NetConfig& cfg) {
  if (cfg.kind != NetKind::mlp) throw Error("an MLP built from another network's settings");
  cfg.validate();
  return cfg;
}
}  // namespace

const ChoiceTable<Activation>& activations() {
  static const ChoiceTable<Activation> t = {
      {"silu", Activation::silu, "x sigmoid(x) (swish)"},
      {"relu", Activation::relu, "max(0, x)"},
      {"gelu", Activation::gelu, "x Phi(x), exact (erf)"},
      {"tanh", Activation::tanh, "hyperbolic tangent"},
      {"selu", Activation::selu, "scaled exponential linear unit"},
  };
  return t;
}

const ChoiceTable<NetKind>& net_kinds() {
  static const ChoiceTable<NetKind> t = {
      {"mlp", NetKind::mlp, "multilayer perceptron over points (or flattened images)"},
      {"unet", NetKind::unet, "convolutional U-Net over images (H, W[, C])"},
  };
  return t;
}

void NetConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw usage_error(what);
  };
  need(token_states >= 0 && token_states <= (1 << 16) + 1 && token_vocab >= 0 && token_vocab <= token_states &&
           (token_states > 0) == (token_vocab > 0),
       "token states " + std::to_string(token_states) + " and vocabulary " + std::to_string(token_vocab) + " do not fit");
  if (kind == NetKind::unet) {
    unet_config().validate();
    need(!periodic, "the U-Net takes images, not angles on a torus");
    need(unet.dim() == dim, "the U-Net's image size does not hold the data dimension " + std::to_string(dim));
    return;
  }
  need(dim >= 1, "the data dimension must be at least 1, got " + std::to_string(dim));
  need(width >= 1 && width <= 65536, "--width must be in 1..65536, got " + std::to_string(width));
  need(depth >= 1 && depth <= 1000, "--depth must be in 1..1000, got " + std::to_string(depth));
  need(harmonics >= 1 && harmonics <= 64, "--harmonics must be in 1..64, got " + std::to_string(harmonics));
  need(time_freqs >= 0 && time_freqs <= 64, "--time-freqs must be in 0..64, got " + std::to_string(time_freqs));
  need(time_inputs == 1 || time_inputs == 2, "the MLP takes 1 or 2 time inputs, got " + std::to_string(time_inputs));
  need(!tokens() || !periodic, "a network over tokens takes no angles");
  need(int64_t(dim) * std::max(token_states, 1) <= (int64_t(1) << 28), "the network's input is too large");
  need(num_classes >= 0 && num_classes <= kMaxClasses,
       "the number of classes must be in 0.." + std::to_string(kMaxClasses) + ", got " + std::to_string(num_classes));
}

std::vector<ParamBlock> param_layout(const NetConfig& c) {
  if (c.kind == NetKind::unet) return unet_layout(c.unet_config());
  std::vector<ParamBlock> v;
  size_t off = 0;
  auto add = [&](std::string name, int r, int k) {
    v.push_back({std::move(name), r, k, off});
    off += size_t(r) * size_t(k);
  };
  add("in.W", c.width, c.in_features());
  add("in.b", c.width, 1);
  for (int l = 1; l < c.depth + (c.residual ? 1 : 0); ++l) {
    const std::string p = (c.residual ? "block" : "hidden") + std::to_string(l);
    if (c.residual) {
      add(p + ".gamma", c.width, 1);
      add(p + ".beta", c.width, 1);
    }
    add(p + ".W", c.width, c.width);
    add(p + ".b", c.width, 1);
  }
  add("out.W", c.output_rows(), c.width);
  add("out.b", c.output_rows(), 1);
  if (c.num_classes > 0) add("label.E", c.width, c.num_classes + 1);
  return v;
}

size_t param_count(const NetConfig& c) {
  const auto v = param_layout(c);
  return v.back().offset + v.back().size();
}

template <class S>
Mlp<S>::Mlp(const NetConfig& cfg)
    : cfg_(checked_mlp(cfg)), blocks_(param_layout(cfg)), params_(param_count(cfg), S(0)) {
  const int n = cfg.depth + (cfg.residual ? 1 : 0);
  h_.resize(size_t(n));
  d_.resize(size_t(cfg.depth));
  if (cfg.residual) {
    yhat_.resize(size_t(cfg.depth));
    act_.resize(size_t(cfg.depth));
    inv_.resize(size_t(cfg.depth));
  }
}

template <class S>
void Mlp<S>::init(Rng& rng) {
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const ParamBlock& b = blocks_[i];
    S* p = params_.data() + b.offset;
    const bool gain = b.name.size() > 6 && b.name.compare(b.name.size() - 6, 6, ".gamma") == 0;
    const bool matrix = b.cols > 1 || b.name == "label.E";
    // Fan-in scaling; a token network's first layer sees L one-hot columns and the time
    double sd = 1.0 / std::sqrt(double(b.cols));
    if (b.name == "in.W" && cfg_.tokens()) sd = 1.0 / std::sqrt(double(cfg_.dim + cfg_.time_features()));
    if (b.name == "label.E") sd = 0.5;
    if (cfg_.residual && b.name.rfind("block", 0) == 0) sd /= std::sqrt(double(cfg_.depth));
    for (size_t k = 0; k < b.size(); ++k) p[k] = gain ? S(1) : matrix ? S(sd * rng.normal()) : S(0);
  }
}

// Time features: sin/cos of pi 2^k t, or raw t; rows row.. of the input. One sin/cos pair per
// column, the higher frequencies by the double-angle formulas in double (error ~2^k ulp of a
// double, far below float rounding); a column with the previous column's t copies it.
template <class S>
void Mlp<S>::embed_time(const V& t, int row) {
  const int d = row, k = cfg_.time_freqs;
  for (Eigen::Index j = 0; j < inp_.cols(); ++j) {
    if (k == 0) {
      inp_(d, j) = t[j];
      continue;
    }
    if (j > 0 && t[j] == t[j - 1]) {
      inp_.col(j).segment(d, 2 * k) = inp_.col(j - 1).segment(d, 2 * k);
      continue;
    }
    double sn = std::sin(kPi * double(t[j])), cs = std::cos(kPi * double(t[j]));
    for (int f = 0; f < k; ++f) {
      inp_(d + 2 * f, j) = S(sn);
      inp_(d + 2 * f + 1, j) = S(cs);
      const double s2 = 2 * sn * cs;
      cs = (cs - sn) * (cs + sn);
      sn = s2;
    }
  }
}

// The tangent of the time features at rows row.. for time tangents dt (one per column), into
// the same rows of g: d sin(w t) = w cos(w t) dt and d cos(w t) = -w sin(w t) dt, w = pi 2^f,
// read off the features of the last forward; raw t: dt.
template <class S>
void Mlp<S>::time_tangent(const V& dt, int row, M& g) const {
  const int k = cfg_.time_freqs;
  for (Eigen::Index j = 0; j < g.cols(); ++j) {
    if (k == 0) {
      g(row, j) = dt[j];
      continue;
    }
    S w = S(kPi);
    for (int f = 0; f < k; ++f, w *= S(2)) {
      g(row + 2 * f, j) = w * inp_(row + 2 * f + 1, j) * dt[j];
      g(row + 2 * f + 1, j) = -w * inp_(row + 2 * f, j) * dt[j];
    }
  }
}

// h <- act(h) and d <- act'(h) in place (h holds the pre-activation on entry), block by block.
// An inference pass (keep_ false) leaves d alone.
template <class S>
void Mlp<S>::activate(M& h, M& d) const {
  if (!keep_)
    return for_column_blocks(h.rows(), h.cols(), [&](Eigen::Index c0, Eigen::Index k) {
      activate_only_block(cfg_.activation, h.middleCols(c0, k));
    });
  d.resize(h.rows(), h.cols());
  for_column_blocks(h.rows(), h.cols(), [&](Eigen::Index c0, Eigen::Index k) {
    activate_block(cfg_.activation, h.middleCols(c0, k), d.middleCols(c0, k));
  });
}

// Hidden layer l of a plain network: h_l = act(W_l h_{l-1} + b_l) (layer 0: of the input features,
// plus the label embedding), d_l = act'(same). Column block by column block, each block going
// from its bias fill through its GEMM to its activation while it is in cache (bench/NOTES.md,
// item 16). With enough work for every thread (at least one block each, 65,536 values in all)
// the blocks are spread over the threads, each block's GEMM on its own thread; otherwise they
// run in turn and OpenBLAS may share each GEMM. The blocks are fixed by n, so for a thread
// count the bits are always the same.
template <class S>
void Mlp<S>::dense_layer(int l) {
  const M& x = l == 0 ? inp_ : h_[size_t(l) - 1];
  M& h = h_[size_t(l)];
  M& d = d_[size_t(l)];
  const Eigen::Index n = x.cols();
  h.resize(cfg_.width, n);
  if (keep_) d.resize(cfg_.width, n);
  const MapM w0 = weight(2 * size_t(l));
  const auto w = w0.rightCols(x.rows());  // tokens: the first layer's dense part (the time)
  const auto b = weight(2 * size_t(l) + 1).col(0);
  const bool labelled = l == 0 && cfg_.num_classes > 0, tokens = l == 0 && cfg_.tokens();
  const Eigen::Index bc = kLayerColumns, nb = (n + bc - 1) / bc;
  const int most = omp_get_max_threads();
  const int threads = nb >= most && cfg_.width * n >= 65536 ? most : 1;
  parallel_for(nb, threads, Spread::fixed, [&](int64_t i, int) {
    const Eigen::Index c0 = i * bc, k = std::min(bc, n - c0);
    for (Eigen::Index j = c0; j < c0 + k; ++j) h.col(j) = b;
    if (labelled) {
      const MapM e = weight(blocks_.size() - 1);
      for (Eigen::Index j = c0; j < c0 + k; ++j) h.col(j) += e.col(labels_[size_t(j)]);
    }
    if (tokens) add_token_columns(h, c0, k);
    h.middleCols(c0, k).noalias() += w * x.middleCols(c0, k);
    if (keep_)
      activate_block(cfg_.activation, h.middleCols(c0, k), d.middleCols(c0, k));
    else
      activate_only_block(cfg_.activation, h.middleCols(c0, k));
  });
}

// Residual block l (0-based): yhat = LN(h_l) without gain, act = act(gamma yhat + beta).
template <class S>
void Mlp<S>::layer_norm(int l) {
  const M& h = h_[size_t(l)];
  const auto gamma = weight(2 + 4 * size_t(l)).col(0);
  const auto beta = weight(3 + 4 * size_t(l)).col(0);
  M& y = yhat_[size_t(l)];
  y.resize(h.rows(), h.cols());
  inv_[size_t(l)].resize(h.cols());
  const S w = S(h.rows());
  for (Eigen::Index j = 0; j < h.cols(); ++j) {
    const S mu = h.col(j).sum() / w;
    y.col(j) = h.col(j).array() - mu;
    const S inv = S(1) / std::sqrt(y.col(j).squaredNorm() / w + S(kLnEps));
    y.col(j) *= inv;
    inv_[size_t(l)][j] = inv;
  }
  M& a = act_[size_t(l)];
  a = (y.array().colwise() * gamma.array()).colwise() + beta.array();
  activate(a, d_[size_t(l)]);
}

// Tokens: the first layer's column of every (position i, sequence j), i S + x_ij.
template <class S>
void Mlp<S>::read_tokens(const M& x) {
  const Eigen::Index L = x.rows(), states = cfg_.token_states;
  tok_.resize(size_t(x.size()));
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const S v = x.data()[k];
    if (!(v >= 0 && v < S(states)) || v != std::floor(v)) throw Error("a token outside the network's states");
    tok_[size_t(k)] = int((k % L) * states + Eigen::Index(v));
  }
}

// h.col(j) += the first layer's column of each of sequence j's tokens (the one-hot product).
template <class S>
void Mlp<S>::add_token_columns(M& h, Eigen::Index c0, Eigen::Index k) {
  const MapM w = weight(0);
  const size_t L = size_t(cfg_.dim);
  for (Eigen::Index j = c0; j < c0 + k; ++j)
    for (size_t i = 0; i < L; ++i) h.col(j) += w.col(tok_[size_t(j) * L + i]);
}

template <class S>
void Mlp<S>::forward(const M& x, const V& t, const int* labels, M& out, const V* s) {
  keep_ = true;
  derivs_ = false;  // until this pass has finished
  run(x, t, labels, out, s);
  derivs_ = true;
}

template <class S>
void Mlp<S>::infer(const M& x, const V& t, const int* labels, M& out, const V* s) {
  keep_ = false;
  derivs_ = false;
  run(x, t, labels, out, s);
}

template <class S>
void Mlp<S>::need_derivs() const {
  if (!derivs_) throw Error("the MLP's backward or JVP needs a forward pass, not an inference pass, before it");
}

template <class S>
void Mlp<S>::run(const M& x, const V& t, const int* labels, M& out, const V* s) {
  const Eigen::Index n = x.cols();
  const int d = cfg_.dim;
  if (x.rows() != d || t.size() != n) throw Error("network input has the wrong shape");
  if ((cfg_.time_inputs == 2) != (s != nullptr) || (s && s->size() != n))
    throw Error("the network takes " + std::to_string(cfg_.time_inputs) + " time input(s) per column");
  inp_.resize(cfg_.dense_rows() + cfg_.time_inputs * cfg_.time_features(), n);
  if (cfg_.tokens()) {
    read_tokens(x);
  } else if (cfg_.periodic) {  // angles: sin kx, then cos kx, for k = 1..K (functions of x on the torus)
    for (int k = 1; k <= cfg_.harmonics; ++k) {
      inp_.middleRows(2 * d * (k - 1), d) = (S(k) * x.array()).sin().matrix();
      inp_.middleRows(2 * d * (k - 1) + d, d) = (S(k) * x.array()).cos().matrix();
    }
  } else {
    inp_.topRows(d) = x;
  }
  embed_time(t, cfg_.dense_rows());
  if (s) embed_time(*s, cfg_.dense_rows() + cfg_.time_features());
  labels_.assign(size_t(n), cfg_.num_classes);
  if (labels && cfg_.num_classes > 0) labels_.assign(labels, labels + n);
  if (!cfg_.residual) {
    for (int l = 0; l < cfg_.depth; ++l) dense_layer(l);
  } else {
    M& h0 = h_[0];  // input layer (+ label embedding), no activation
    affine(h0, weight(0).rightCols(inp_.rows()), inp_, weight(1).col(0));
    if (cfg_.tokens()) add_token_columns(h0, 0, n);
    if (cfg_.num_classes > 0) {
      const MapM e = weight(blocks_.size() - 1);
      for (Eigen::Index j = 0; j < n; ++j) h0.col(j) += e.col(labels_[size_t(j)]);
    }
    for (int l = 0; l < cfg_.depth; ++l) {
      layer_norm(l);
      M& h = h_[size_t(l) + 1];
      h = h_[size_t(l)];
      h.noalias() += weight(4 + 4 * size_t(l)) * act_[size_t(l)];
      h.colwise() += weight(5 + 4 * size_t(l)).col(0);
    }
  }
  const size_t o = out_index(cfg_);
  affine(out, weight(o), h_.back(), weight(o + 1).col(0));
}

template <class S>
void Mlp<S>::backward(const M& gout, ParamVec<S>& grad) {
  need_derivs();
  grad.assign(params_.size(), S(0));
  const size_t o = out_index(cfg_);
  grad_of(grad, o).noalias() += gout * h_.back().transpose();  // += : no second zeroing
  grad_of(grad, o + 1) = gout.rowwise().sum();
  g1_.noalias() = weight(o).transpose() * gout;
  if (cfg_.residual) {
    backward_residual(g1_, grad);
    grad_of(grad, 1) = g1_.rowwise().sum();
  } else {
    backward_plain(g1_, grad);  // and the input layer's bias
  }
  // Input layer: g1_ holds d loss / d (pre-activation of the first layer)
  grad_of(grad, 0).rightCols(inp_.rows()).noalias() += g1_ * inp_.transpose();
  if (cfg_.tokens()) {  // the gather's adjoint: each column's gradient into its tokens' columns
    MapM gw = grad_of(grad, 0);
    const size_t L = size_t(cfg_.dim);
    for (Eigen::Index j = 0; j < g1_.cols(); ++j)
      for (size_t i = 0; i < L; ++i) gw.col(tok_[size_t(j) * L + i]) += g1_.col(j);
  }
  if (cfg_.num_classes > 0) {
    MapM ge = grad_of(grad, blocks_.size() - 1);
    for (Eigen::Index j = 0; j < g1_.cols(); ++j) ge.col(labels_[size_t(j)]) += g1_.col(j);
  }
}

// dh: d loss / d h_last on entry, d loss / d z_0 (first pre-activation) on exit; every layer's
// gradient is written, the input layer's bias included.
template <class S>
void Mlp<S>::backward_plain(M& dh, ParamVec<S>& grad) {
  for (int l = cfg_.depth - 1; l >= 1; --l) {
    scale_and_sum(dh, d_[size_t(l)], grad_of(grad, 2 * size_t(l) + 1).col(0));
    grad_of(grad, 2 * size_t(l)).noalias() += dh * h_[size_t(l) - 1].transpose();
    g2_.noalias() = weight(2 * size_t(l)).transpose() * dh;
    dh.swap(g2_);
  }
  scale_and_sum(dh, d_[0], grad_of(grad, 1).col(0));
}

// dh: d loss / d h_L on entry, d loss / d h_0 on exit (the residual stream carries it).
template <class S>
void Mlp<S>::backward_residual(M& dh, ParamVec<S>& grad) {
  const S w = S(cfg_.width);
  for (int l = cfg_.depth - 1; l >= 0; --l) {
    const size_t b = 2 + 4 * size_t(l);
    grad_of(grad, b + 2).noalias() += dh * act_[size_t(l)].transpose();
    grad_of(grad, b + 3) = dh.rowwise().sum();
    // Through the activation and the layer-norm gain and shift
    g2_.noalias() = weight(b + 2).transpose() * dh;
    g2_.array() *= d_[size_t(l)].array();
    const M& y = yhat_[size_t(l)];
    grad_of(grad, b) = (g2_.array() * y.array()).rowwise().sum().matrix();
    grad_of(grad, b + 1) = g2_.rowwise().sum();
    g2_.array().colwise() *= weight(b).col(0).array();
    // Through the normalization: (g - mean g - yhat mean(g yhat)) / sigma
    for (Eigen::Index j = 0; j < dh.cols(); ++j) {
      const S mg = g2_.col(j).sum() / w, mgy = g2_.col(j).dot(y.col(j)) / w;
      dh.col(j).array() += (g2_.col(j).array() - mg - y.col(j).array() * mgy) * inv_[size_t(l)][j];
    }
  }
}

// The tangent of the angle features at rows 0..input_rows() of g for tangents dx (column c
// at the forward's column c mod n): d sin kx = k cos kx dx, d cos kx = -k sin kx dx.
template <class S>
void Mlp<S>::angle_tangent(const M& dx, M& g) const {
  const Eigen::Index n = inp_.cols();
  const int d = cfg_.dim;
  for (Eigen::Index c = 0; c < dx.cols(); ++c)
    for (int k = 1; k <= cfg_.harmonics; ++k) {
      const int o = 2 * d * (k - 1);
      g.col(c).segment(o, d) = S(k) * inp_.col(c % n).segment(o + d, d).cwiseProduct(dx.col(c));
      g.col(c).segment(o + d, d) = -S(k) * inp_.col(c % n).segment(o, d).cwiseProduct(dx.col(c));
    }
}

template <class S>
void Mlp<S>::jvp(const M& dx, M& jout) {
  need_derivs();
  const Eigen::Index n = inp_.cols();
  if (dx.rows() != cfg_.dim || n == 0 || dx.cols() % n != 0) throw Error("tangent batch has the wrong shape");
  if (cfg_.tokens()) throw Error("a network over tokens has no derivative in its input");
  if (cfg_.periodic) {
    const int rows = cfg_.input_rows();
    g1_.resize(rows, dx.cols());
    angle_tangent(dx, g1_);
    t1_.noalias() = weight(0).leftCols(rows) * g1_;
  } else {
    t1_.noalias() = weight(0).leftCols(cfg_.dim) * dx;
  }
  jvp_hidden(jout);
}

// t1_ holds the tangent of the first pre-activation: through the hidden layers to the output.
template <class S>
void Mlp<S>::jvp_hidden(M& jout) {
  if (cfg_.residual)
    jvp_residual(t1_);
  else
    jvp_plain(t1_);
  jout.noalias() = weight(out_index(cfg_)) * t1_;
}

template <class S>
void Mlp<S>::jvp_inputs(const M& dx, const V& dt, const V* ds, M& jout) {
  need_derivs();
  const Eigen::Index n = inp_.cols();
  if (dx.rows() != cfg_.dim || dx.cols() != n || dt.size() != n || (ds && ds->size() != n) ||
      (ds != nullptr && cfg_.time_inputs != 2))
    throw Error("input tangents have the wrong shape");
  if (cfg_.tokens()) throw Error("a network over tokens has no derivative in its input");
  const int d = cfg_.dim, rows = cfg_.input_rows(), tf = cfg_.time_features();
  g1_.resize(cfg_.in_features(), n);
  if (cfg_.periodic)
    angle_tangent(dx, g1_);
  else
    g1_.topRows(d) = dx;
  time_tangent(dt, rows, g1_);
  if (cfg_.time_inputs == 2) {
    if (ds)
      time_tangent(*ds, rows + tf, g1_);
    else
      g1_.middleRows(rows + tf, tf).setZero();
  }
  t1_.noalias() = weight(0) * g1_;  // the label embedding is constant along the tangent
  jvp_hidden(jout);
}

template <class S>
void Mlp<S>::jvp_plain(M& dh) {
  scale_tiled(dh, d_[0]);
  for (int l = 1; l < cfg_.depth; ++l) {
    t2_.noalias() = weight(2 * size_t(l)) * dh;
    scale_tiled(t2_, d_[size_t(l)]);
    dh.swap(t2_);
  }
}

template <class S>
void Mlp<S>::jvp_residual(M& dh) {
  const Eigen::Index n = inp_.cols();
  const S w = S(cfg_.width);
  for (int l = 0; l < cfg_.depth; ++l) {
    const size_t b = 2 + 4 * size_t(l);
    const M& y = yhat_[size_t(l)];
    t2_.resize(dh.rows(), dh.cols());
    for (Eigen::Index j = 0; j < dh.cols(); ++j) {
      const Eigen::Index p = j % n;
      const S m = dh.col(j).sum() / w, my = dh.col(j).dot(y.col(p)) / w;
      t2_.col(j) = (dh.col(j).array() - m - y.col(p).array() * my) * inv_[size_t(l)][p];
    }
    t2_.array().colwise() *= weight(b).col(0).array();
    scale_tiled(t2_, d_[size_t(l)]);
    dh.noalias() += weight(b + 2) * t2_;
  }
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace flowkit
