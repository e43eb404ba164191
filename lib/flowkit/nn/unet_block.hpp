// nn: the U-Net's residual block (private to unet.cpp and its tests): y = conv2(gnsilu2(
// conv1(gnsilu1(x)) + W_e s + b_e)) + skip(x), s = silu(embedding) one column per image, the
// skip a 1x1 convolution when the channel count changes. Owns its output and workspaces.
// Forward, reverse and forward-mode (JVP) passes.
#pragma once
#include <optional>

#include "flowkit/nn/conv.hpp"
#include "flowkit/nn/norm.hpp"

namespace flowkit {

// Where the block's tensors sit in the flat parameter vector.
struct ResBlockOffsets {
  size_t norm1_gamma, norm1_beta, conv1_w, conv1_b, emb_w, emb_b, norm2_gamma, norm2_beta, conv2_w,
      conv2_b;
  size_t skip_w = 0, skip_b = 0;  // when cin != cout
};

template <class S>
class ResBlock {
 public:
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  ResBlock(int cin, int cout, int embed, int groups, const ResBlockOffsets& o);
  const M& out() const { return out_; }
  // out() = block(x); s: embed x n.
  void forward(const S* p, const M& x, const ImageGeom& g, const M& s);
  // Inference: out() = block(x), keeping nothing for backward (the embedding's add folded into
  // the second norm, the skip's into the second convolution).
  void infer(const S* p, const M& x, const ImageGeom& g, const M& s);
  // gy = dL/d out (overwritten: scratch). grad += parameter gradients and gs += dL/ds unless
  // grad is null; gx = dL/dx.
  void backward(const S* p, const M& x, const ImageGeom& g, const M& s, M& gy, S* grad, M* gs,
                M& gx);
  // After forward: jout() = the block's derivative along dx (its input's tangent) and js (the
  // embedding's, embed x n). Its buffers are the reverse pass's, free until backward.
  void jvp(const S* p, const M& dx, const ImageGeom& g, const M& js);
  const M& jout() const { return jout_; }

 private:
  int cin_, cout_, embed_;
  ResBlockOffsets o_;
  GroupNormSilu<S> norm1_, norm2_;
  Conv<S> conv1_, conv2_;
  std::optional<Conv<S>> skip_;
  M a1_, h_, a2_, out_, proj_, g1_, g2_, gh_, gskip_, jout_;
};

}  // namespace flowkit
