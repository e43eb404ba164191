// nn: the convolutional U-Net vector field net(x, t[, y]) over batches of images, one column
// per image (H, W, C order: the NHWC tensors of conv.hpp). Levels of residual blocks
// (GroupNorm, SiLU, 3x3 conv, + the projected time/class embedding, GroupNorm, SiLU, 3x3 conv,
// + skip), a stride-2 convolution down between levels, nearest 2x up-sampling + 3x3 conv up,
// the down path's output of each level concatenated on the way up. Forward, reverse mode for
// the parameters and the input (VJP). Parameters in one flat vector with named blocks, like
// the MLP's. Templated on the scalar: float for use, double for the gradient checks.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "flowkit/nn/conv.hpp"
#include "flowkit/nn/mlp.hpp"
#include "flowkit/nn/norm.hpp"
#include "flowkit/nn/params.hpp"

namespace flowkit {

// The U-Net's architecture: everything a model file needs to rebuild it besides the labels.
struct UNetConfig {
  int image_channels = 1;  // C: 1 or 3
  int height = 0, width = 0;
  std::vector<int> channels{32, 64};  // per level; the image halves from one level to the next
  int blocks = 1;                     // residual blocks per level (down and up)
  int embed = 64;                     // width of the time/class embedding
  int groups = 4;                     // GroupNorm groups: every channel count divisible by it
  int time_freqs = 8;                 // Fourier features sin, cos(pi 2^k t), k < time_freqs
  int num_classes = 0;                // > 0: label embedding with num_classes + 1 rows (last: null)

  int levels() const { return int(channels.size()); }
  int dim() const { return image_channels * height * width; }
  void validate() const;  // usage error naming what it cannot take
};

// "32,64" -> {32, 64} (usage error on anything else).
std::vector<int> parse_channel_list(const std::string& s);
std::string channel_list_str(const std::vector<int>& c);

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

  // out = net(x, t_j, y_j) for every column j (d x n, d = C H W). labels: one per column in
  // [0, num_classes] (num_classes: the null label), or nullptr (null label).
  void forward(const M& x, const V& t, const int* labels, M& out);
  // After forward: grad = d(sum_j gout_j . out_j)/d(params), overwritten (size param count).
  void backward(const M& gout, ParamVec<S>& grad);
  // After forward: gin = J(x)^T gout, column by column (d x n).
  void vjp(const M& gout, M& gin);

  struct Impl;

 private:
  void reverse(const M& gout, S* grad, M* gin);
  UNetConfig cfg_;
  ParamVec<S> params_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit
