// nn: the convolutional U-Net vector field net(x, t[, y]) over batches of images, one column
// per image (H, W, C order: the NHWC tensors of conv.hpp). Levels of residual blocks
// (GroupNorm, SiLU, 3x3 conv, + the projected time/class embedding, GroupNorm, SiLU, 3x3 conv,
// + skip), a stride-2 convolution down between levels, nearest 2x up-sampling + 3x3 conv up,
// the down path's output of each level concatenated on the way up. Over tokens (a discrete
// model, UNetConfig::token_states), an input stage in front: each pixel's token looked up in a
// learned table (tok.E) gives the E-channel image the network sees, and the output has
// out_channels = V channels, the logits of each pixel. Forward, reverse mode for
// the parameters and the input (VJP), forward mode in the input and the times (JVP, MeanFlow's
// target). Parameters in one flat vector with named blocks, like
// the MLP's. Templated on the scalar: float for use, double for the gradient checks. Its
// kernels run on the calling thread (the same bits at any thread count): the callers split
// batches over threads and into pieces of a few images (training's shards of pieces of 16,
// the field's pieces of 8). infer() is the forward pass for sampling: nothing kept, adds fused.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "flowkit/nn/conv.hpp"
#include "flowkit/nn/mlp.hpp"
#include "flowkit/nn/norm.hpp"
#include "flowkit/nn/params.hpp"
#include "flowkit/nn/unet_config.hpp"

namespace flowkit {

std::vector<ParamBlock> unet_layout(const UNetConfig& cfg);
size_t unet_param_count(const UNetConfig& cfg);

template <class S>
class UNet {
 public:
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  using V = Eigen::Matrix<S, Eigen::Dynamic, 1>;

  explicit UNet(const UNetConfig& cfg);
  ~UNet();
  UNet(const UNet&) = delete;
  UNet& operator=(const UNet&) = delete;
  const UNetConfig& config() const { return cfg_; }
  ParamVec<S>& params() { return params_; }
  const ParamVec<S>& params() const { return params_; }
  // Fan-in scaled normal weights, zero biases, unit GroupNorm gains; each block's second
  // convolution and the output convolution start at zero (every block starts as its skip).
  void init(Rng& rng);

  // out = net(x, t_j, y_j) for every column j (x: d x n, d = C H W; out: outputs() H W x n). labels: one per column in
  // [0, num_classes] (num_classes: the null label), or nullptr (null label). s: the second
  // time of each column, given exactly when time_inputs is 2 (its features follow t's).
  void forward(const M& x, const V& t, const int* labels, M& out, const V* s = nullptr);
  // The same output for use (sampling): keeps nothing for backward, fuses the adds into the
  // norms and convolutions, up-samples by deconvolution (float); agrees with forward to
  // rounding. A backward, vjp or jvp after it is an error.
  void infer(const M& x, const V& t, const int* labels, M& out, const V* s = nullptr);
  // After forward: grad = d(sum_j gout_j . out_j)/d(params), overwritten (size param count),
  // or added to grad when add.
  void backward(const M& gout, ParamVec<S>& grad, bool add = false);
  // After forward: gin = J(x)^T gout, column by column (d x n).
  void vjp(const M& gout, M& gin);
  // After forward: jout = the derivative of out along dx (d x n) and dt (n), and ds (n, the
  // second time's; with time_inputs 2 only), column by column (forward mode, images only).
  // A backward may follow it.
  void jvp(const M& dx, const V& dt, const V* ds, M& jout);

  struct Impl;

 private:
  void run(const M& x, const V& t, const V* s, const int* labels, M& out, bool keep);
  void reverse(const M& gout, S* grad, M* gin);
  UNetConfig cfg_;
  ParamVec<S> params_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit
