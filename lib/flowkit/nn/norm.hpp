// nn: GroupNorm followed by SiLU over a batch of images (the NHWC tensors of conv.hpp):
// y = silu(gamma (x - mu) / sigma + beta), mu and sigma over each image's channels of a group.
// Keeps the normalized input and the SiLU derivative for backward.
#pragma once
#include "flowkit/nn/conv.hpp"

namespace flowkit {

template <class S>
class GroupNormSilu {
 public:
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  using V = Eigen::Matrix<S, Eigen::Dynamic, 1>;
  // c channels in `groups` groups (c divisible by it); gamma, beta (c each) at the offsets.
  GroupNormSilu(int c, int groups, size_t gamma_off, size_t beta_off);
  void forward(const S* p, const M& x, const ImageGeom& g, M& y);
  // Inference (keeps nothing for backward): y = silu(GroupNorm(x + shift)), shift (c x n, one
  // column per image, added to each of its pixels) or null; one affine map + SiLU per image.
  void infer(const S* p, const M& x, const ImageGeom& g, const M* shift, M& y);
  // gy = dL/dy on entry (overwritten: scratch); grad += dL/d(gamma, beta) unless null; gx = dL/dx.
  void backward(const S* p, const ImageGeom& g, M& gy, S* grad, M& gx);
  // After forward: dy = the layer's derivative along dx (forward mode).
  void jvp(const S* p, const ImageGeom& g, const M& dx, M& dy);

 private:
  using CMapV = Eigen::Map<const V>;
  // Per-channel values from per-group ones (v: groups) into out (c).
  template <class E>
  void expand(const E& v, V& out) const;
  void reduce(const V& per_channel, V& out) const;  // group sums of per-channel sums
  // The projection's group means, shared by backward and jvp (norm.cpp)
  template <class E>
  void group_means(S count, const E& inv);

  int c_, groups_;
  size_t gamma_off_, beta_off_;
  M xhat_, d_;
  M inv_;  // groups x n: 1 / sigma
  V sum_, grp_, chan_, chan2_;
};

}  // namespace flowkit
