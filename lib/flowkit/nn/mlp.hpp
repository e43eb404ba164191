// nn: the MLP vector field net(x, t[, s][, y]) -> R^d over whole batches (one column per point):
// forward, hand-written reverse mode (gradient of the parameters) and forward-mode
// Jacobian-vector products in x and in the times. A second time input s (time_inputs 2: a
// MeanFlow model's step length) gets its own features. All parameters live in one flat vector. Templated on the
// scalar: float for use, double for the gradient checks (instantiated in nn.cpp).
#pragma once
#include <string>
#include <vector>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"
#include "flowkit/nn/params.hpp"
#include "flowkit/nn/unet_config.hpp"

namespace flowkit {

enum class Activation { silu, relu, gelu, tanh, selu };
const ChoiceTable<Activation>& activations();

// The network kind: an MLP over points, or a convolutional U-Net over images (unet.hpp).
enum class NetKind { mlp, unet };
const ChoiceTable<NetKind>& net_kinds();

// The architecture, everything a model file needs to rebuild the network.
struct NetConfig {
  NetKind kind = NetKind::mlp;
  int dim = 2;          // d: input and output size
  int width = 128;      // hidden units
  int depth = 3;        // hidden layers (plain) or residual blocks
  Activation activation = Activation::silu;
  int time_freqs = 8;   // K > 0: features sin(pi 2^k t), cos(pi 2^k t), k < K; 0: raw t
  bool residual = false;  // residual blocks h += W act(LayerNorm(h)) + b
  int num_classes = 0;  // > 0: label embedding with num_classes + 1 rows (last: "null")
  bool periodic = false;  // the input x is d angles (the torus): the network sees sin kx, cos kx
  int harmonics = 1;      // periodic: k = 1..harmonics (more for finer periodic structure)
  int time_inputs = 1;    // 2: a second time s with its own features (MeanFlow's t - r)
  // Tokens (a discrete model): S > 0 states per position. The input x is then dim = L rows of
  // token ids (the U-Net: one per pixel, embedded by its tok.E table; unet_config()) (whole numbers 0..S-1 as floats, exact below 2^24), and position i's token k
  // selects column i S + k of the first layer's weights (one embedding table per position: the
  // product with a one-hot input, done as a gather); the output is V logits per position.
  int token_states = 0;
  int token_vocab = 0;  // V: logits per position (output L V rows)

  UNetConfig unet;      // kind unet: its settings (labels and time features from the fields above)

  // The U-Net's settings with num_classes, time_freqs and the tokens filled in (over tokens:
  // S states per pixel in, V logits per pixel out).
  UNetConfig unet_config() const {
    UNetConfig u = unet;
    u.num_classes = num_classes;
    u.time_freqs = time_freqs;
    u.time_inputs = time_inputs;
    u.token_states = token_states;
    u.out_channels = token_vocab;
    return u;
  }
  int time_features() const { return time_freqs > 0 ? 2 * time_freqs : 1; }
  bool tokens() const { return token_states > 0; }
  // What x becomes before the time (the first layer's columns for it): angles give sin and cos,
  // tokens their one-hot rows
  int input_rows() const { return tokens() ? dim * token_states : periodic ? 2 * dim * harmonics : dim; }
  // Rows of those held as dense features (tokens are gathered instead)
  int dense_rows() const { return tokens() ? 0 : input_rows(); }
  int in_features() const { return input_rows() + time_inputs * time_features(); }
  int output_rows() const { return tokens() ? dim * token_vocab : dim; }
  void validate() const;  // usage error on a bad size
};

// One named tensor of the flat parameter vector: rows x cols, column-major, at offset.
struct ParamBlock {
  std::string name;
  int rows = 0, cols = 0;
  size_t offset = 0;
  size_t size() const { return size_t(rows) * size_t(cols); }
};
// The layout of either kind (the U-Net's: unet_layout).
std::vector<ParamBlock> param_layout(const NetConfig& cfg);
size_t param_count(const NetConfig& cfg);

template <class S>
class Mlp {
 public:
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  using V = Eigen::Matrix<S, Eigen::Dynamic, 1>;

  explicit Mlp(const NetConfig& cfg);
  const NetConfig& config() const { return cfg_; }
  ParamVec<S>& params() { return params_; }
  const ParamVec<S>& params() const { return params_; }
  // Fan-in scaled normal weights, zero biases, unit layer-norm gains.
  void init(Rng& rng);

  // out = net(x, t_j, y_j) for every column j. labels: one per column in [0, num_classes]
  // (num_classes: the null label), or nullptr (null label). Keeps what backward/jvp need.
  // s: the second time of every column, required exactly when time_inputs is 2.
  void forward(const M& x, const V& t, const int* labels, M& out, const V* s = nullptr);
  // The same output, bit for bit, keeping nothing for backward/jvp (sampling: no activation
  // derivatives computed); backward or jvp after it throws.
  void infer(const M& x, const V& t, const int* labels, M& out, const V* s = nullptr);
  // After forward: grad = d(sum_j gout_j . out_j)/d(params), overwritten (size param_count).
  void backward(const M& gout, ParamVec<S>& grad);
  // After forward on n columns: jout = J(x) dx for k blocks of n tangent columns (d x k n);
  // the k directions of the same point share one batched pass.
  void jvp(const M& dx, M& jout);
  // After forward on n columns: jout = J (dx, dt, ds), the derivative along a tangent in x and
  // in both times (ds only with time_inputs 2), one tangent per column (d x n, n, n).
  void jvp_inputs(const M& dx, const V& dt, const V* ds, M& jout);

 private:
  using MapM = Eigen::Map<M>;
  MapM weight(size_t i) { return MapM(params_.data() + blocks_[i].offset, blocks_[i].rows, blocks_[i].cols); }
  MapM grad_of(ParamVec<S>& g, size_t i) { return MapM(g.data() + blocks_[i].offset, blocks_[i].rows, blocks_[i].cols); }
  void embed_time(const V& t, int row);
  void time_tangent(const V& dt, int row, M& g) const;
  void angle_tangent(const M& dx, M& g) const;
  void jvp_hidden(M& jout);
  void run(const M& x, const V& t, const int* labels, M& out, const V* s);
  void need_derivs() const;
  void activate(M& h, M& d) const;
  void dense_layer(int l);
  void layer_norm(int l);
  void backward_plain(M& dh, ParamVec<S>& grad);
  void backward_residual(M& dh, ParamVec<S>& grad);
  void jvp_plain(M& dh);
  void jvp_residual(M& dh);
  void read_tokens(const M& x);
  void add_token_columns(M& h, Eigen::Index c0, Eigen::Index k);

  NetConfig cfg_;
  std::vector<ParamBlock> blocks_;
  ParamVec<S> params_;
  bool keep_ = true;         // this pass keeps the activation derivatives (forward, not infer)
  bool derivs_ = false;      // the last pass was a finished forward: backward and jvp may follow
  std::vector<int> labels_;  // of the last forward (null label when none given)
  std::vector<int> tok_;     // tokens: the first layer's column of each (position, sequence)
  // Workspaces of the last forward, sized once per batch size
  M inp_;                 // input features (in x n)
  std::vector<M> h_;      // hidden states (plain: activations; residual: stream h_l)
  std::vector<M> d_;      // activation derivatives at the pre-activations
  std::vector<M> yhat_;   // residual: normalized h_{l-1}
  std::vector<M> act_;    // residual: act(gamma yhat + beta)
  std::vector<V> inv_;    // residual: 1 / sigma per column
  M g1_, g2_, t1_, t2_;   // backward / jvp buffers
};

}  // namespace flowkit
