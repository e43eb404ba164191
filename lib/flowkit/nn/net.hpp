// nn: the float network a learned model holds, of either kind (NetConfig::kind): the MLP or
// the U-Net behind one interface, so that training, the field and the model file hold either.
#pragma once
#include <memory>

#include "flowkit/nn/mlp.hpp"
#include "flowkit/nn/unet.hpp"

namespace flowkit {

class Net {
 public:
  explicit Net(const NetConfig& cfg);
  const NetConfig& config() const { return cfg_; }
  Params& params() { return mlp_ ? mlp_->params() : unet_->params(); }
  const Params& params() const { return mlp_ ? mlp_->params() : unet_->params(); }
  void init(Rng& rng);

  // As Mlp: out = net(x, t_j, y_j); labels one per column in [0, num_classes] or nullptr;
  // s the second time of each column (time_inputs 2 only).
  void forward(const Mat& x, const Vec& t, const int* labels, Mat& out, const Vec* s = nullptr);
  // The same output for use (sampling): the U-Net's inference pass (UNet::infer), the MLP's
  // (Mlp::infer: no activation derivatives). No backward, jvp or vjp after it.
  void infer(const Mat& x, const Vec& t, const int* labels, Mat& out, const Vec* s = nullptr);
  // After forward: grad = d(sum_j gout_j . out_j)/d(params), overwritten, or added to grad
  // when add.
  void backward(const Mat& gout, Params& grad, bool add = false);
  // Forward-mode products in x (the MLP): jout = J dx for k blocks of n tangent columns.
  bool has_jvp() const { return bool(mlp_); }
  void jvp(const Mat& dx, Mat& jout);
  // After forward: the derivative along a tangent in x and in the times, one per column
  // (Mlp::jvp_inputs, UNet::jvp).
  void jvp_inputs(const Mat& dx, const Vec& dt, const Vec* ds, Mat& jout);
  // Reverse-mode products (the U-Net): gin = J^T gout, column by column.
  bool has_vjp() const { return bool(unet_); }
  void vjp(const Mat& gout, Mat& gin);
  // "MLP 3x128 silu" or "U-Net 32,64 x1 embed 64".
  std::string describe() const;

 private:
  NetConfig cfg_;
  std::unique_ptr<Mlp<float>> mlp_;
  std::unique_ptr<UNet<float>> unet_;
  Params part_;  // the MLP's gradient before it is added
};

}  // namespace flowkit
