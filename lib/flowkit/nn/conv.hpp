// nn: the convolutional layers of the U-Net over batches of images in NHWC order. A tensor of
// c channels over n images of h x w pixels is a c x (n h w) matrix, column (i h + y) w + x:
// a d x n batch of images stored H, W, C is already this matrix. Forward keeps nothing the
// caller does not hold (but double's forward_up, its up-sampled input); backward adds the parameter gradients into `grad` (when not null) and
// overwrites the input gradient (when asked). Workspaces are sized on the first call.
#pragma once
#include <memory>
#include <vector>

#include "flowkit/core/core.hpp"

namespace flowkit {

class DnnlConv;

// n images of h x w pixels.
struct ImageGeom {
  int n = 0, h = 0, w = 0;
  Eigen::Index per_image() const { return Eigen::Index(h) * w; }
  Eigen::Index pixels() const { return Eigen::Index(n) * h * w; }
  ImageGeom half() const { return {n, h / 2, w / 2}; }
  ImageGeom twice() const { return {n, 2 * h, 2 * w}; }
};

// A k x k convolution (k = 1 or 3, padding (k - 1) / 2) with stride 1 or 2: weight cout x
// (k k cin), column (ky k + kx) cin + c, at w_off; bias cout at b_off. 3x3 by im2col + GEMM
// over chunks of images; in float, 3x3 goes through oneDNN (bench/NOTES.md, item 18).
template <class S>
class Conv {
 public:
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  Conv(int cin, int cout, int k, int stride, size_t w_off, size_t b_off);
  int cin() const { return cin_; }
  int cout() const { return cout_; }
  ImageGeom out_geom(const ImageGeom& g) const { return stride_ == 1 ? g : g.half(); }
  // y = conv(x) + b (y resized: cout x out pixels).
  void forward(const S* p, const M& x, const ImageGeom& g, M& y);
  // Given gy = dL/dy: grad += dL/d(weight, bias) unless null; gx = dL/dx unless null.
  void backward(const S* p, const M& x, const ImageGeom& g, const M& gy, S* grad, M* gx);
  // y = conv(upsample2(x)) + b (stride 1; g: x's geometry, y: twice its size), and its
  // backward (gx: x's gradient); in float one 4x4 stride-2 deconvolution (conv_dnnl.hpp).
  void forward_up(const S* p, const M& x, const ImageGeom& g, M& y);
  void backward_up(const S* p, const M& x, const ImageGeom& g, const M& gy, S* grad, M* gx);
  // Inference (keeps nothing for backward): y = conv(x) + b.
  void infer(const S* p, const M& x, const ImageGeom& g, M& y);
  // Inference: y += conv(x) + b, y already the output's size.
  void infer_add(const S* p, const M& x, const ImageGeom& g, M& y);
  // Inference: y = conv(upsample2(x)) + b, as forward_up.
  void infer_up(const S* p, const M& x, const ImageGeom& g, M& y);
  // Forward-mode products: dy = conv(dx), and conv(upsample2(dx)) (the layer's derivative
  // along dx: the bias left out). Keep nothing and need no forward before them.
  void tangent(const S* p, const M& dx, const ImageGeom& g, M& dy);
  void tangent_up(const S* p, const M& dx, const ImageGeom& g, M& dy);

 private:
  using MapM = Eigen::Map<M>;
  using CMapM = Eigen::Map<const M>;
  void check_up(const M& x, const ImageGeom& g) const;  // usage for forward_up and the like
  // y = conv(x) + b by im2col + GEMM (or one GEMM for 1x1); b null: no bias.
  void apply(const S* w, const S* b, const M& x, const ImageGeom& g, M& y);
  void im2col(const M& x, const ImageGeom& g, int i0, int m);
  void col2im(const ImageGeom& g, int i0, int m, M& gx) const;
  int images_per_chunk(const ImageGeom& g) const;

  int cin_, cout_, k_, stride_;
  size_t w_off_, b_off_;
  M col_, dcol_, up_, tmp_;  // up_: double's up-sampled input
  std::vector<S> zero_;  // cout zeros: oneDNN's bias for the tangents
  std::shared_ptr<DnnlConv> fast_;  // float 3x3: oneDNN
};

// Nearest-neighbour 2x up-sampling (y: c x 4 pixels) and its adjoint (gx: the sum of the four).
template <class S>
void upsample2(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& x, const ImageGeom& g,
               Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& y);
template <class S>
void upsample2_adjoint(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& gy,
                       const ImageGeom& g, Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& gx);

}  // namespace flowkit
