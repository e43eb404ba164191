// nn: a 3x3 convolution (pad 1, stride 1 or 2) in float through oneDNN, on NHWC tensors as
// conv.hpp stores them: 3 to 4.5 times the im2col + SGEMM rate on this machine (bench/NOTES.md,
// item 18). Primitives are built for a geometry on first use and kept (the last four); the
// argument maps are kept too, so a call allocates nothing of ours. Backward needs no forward
// before it: the weights' reorder is its own. With `up`, nearest 2x up-sampling + the 3x3
// convolution run as one stride-2 4x4 deconvolution of the low-resolution input (4 taps per
// output pixel instead of 9; bench/NOTES.md, item 23), in training and inference alike.
// Inference (sampling) has its own primitives: forward_inference, and the residual's add fused
// as a sum post-op.
#pragma once
#include <memory>

#include "flowkit/nn/conv.hpp"

namespace flowkit {

class DnnlConv {
 public:
  DnnlConv(int cin, int cout, int stride);
  ~DnnlConv();
  DnnlConv(const DnnlConv&) = delete;
  DnnlConv& operator=(const DnnlConv&) = delete;
  // y = conv(x) + b; w: cout x (9 cin), column (ky 3 + kx) cin + c (HWIO). With up (stride 1
  // only): y = conv(upsample2(x)) + b, g being x's geometry.
  void forward(const float* w, const float* b, const float* x, const ImageGeom& g, float* y,
               bool up = false);
  // dw, db += the weight and bias gradients (when dw is not null); gx = the input gradient
  // (when not null).
  void backward(const float* w, const float* x, const ImageGeom& g, const float* gy, float* dw,
                float* db, float* gx, bool up = false);
  // Inference: y = conv(x) + b, or y += conv(x) + b when accumulate; with up, y =
  // conv(upsample2(x)) + b (stride 1 only; g: the low-resolution input's geometry).
  void infer(const float* w, const float* b, const float* x, const ImageGeom& g, float* y,
             bool accumulate, bool up);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowkit
