#include "flowkit/nn/net.hpp"

namespace flowkit {

Net::Net(const NetConfig& cfg) : cfg_(cfg) {
  if (cfg.kind == NetKind::unet)
    unet_ = std::make_unique<UNet<float>>(cfg.unet_config());
  else
    mlp_ = std::make_unique<Mlp<float>>(cfg);
}

void Net::init(Rng& rng) {
  mlp_ ? mlp_->init(rng) : unet_->init(rng);
}

void Net::forward(const Mat& x, const Vec& t, const int* labels, Mat& out, const Vec* s) {
  mlp_ ? mlp_->forward(x, t, labels, out, s) : unet_->forward(x, t, labels, out, s);
}

void Net::infer(const Mat& x, const Vec& t, const int* labels, Mat& out, const Vec* s) {
  mlp_ ? mlp_->infer(x, t, labels, out, s) : unet_->infer(x, t, labels, out, s);
}

void Net::backward(const Mat& gout, Params& grad, bool add) {
  if (unet_) return unet_->backward(gout, grad, add);
  if (!add || grad.size() != params().size()) return mlp_->backward(gout, grad);
  mlp_->backward(gout, part_);
  for (size_t k = 0; k < grad.size(); ++k) grad[k] += part_[k];
}

void Net::jvp(const Mat& dx, Mat& jout) {
  if (!mlp_) throw Error("the U-Net has no forward-mode products (use its VJP)");
  mlp_->jvp(dx, jout);
}

void Net::jvp_inputs(const Mat& dx, const Vec& dt, const Vec* ds, Mat& jout) {
  mlp_ ? mlp_->jvp_inputs(dx, dt, ds, jout) : unet_->jvp(dx, dt, ds, jout);
}

void Net::vjp(const Mat& gout, Mat& gin) {
  if (!unet_) throw Error("the MLP has no reverse-mode input products (use its JVP)");
  unet_->vjp(gout, gin);
}

std::string Net::describe() const {
  const NetConfig& c = cfg_;
  if (unet_)
    return "U-Net " + channel_list_str(c.unet.channels) + " x" + std::to_string(c.unet.blocks) +
           " embed " + std::to_string(c.unet.embed) +
           (c.tokens() ? ", token embedding " + std::to_string(c.unet.token_embed) : "");
  return "MLP " + std::to_string(c.depth) + "x" + std::to_string(c.width) + " " +
         choice_name(activations(), c.activation) + (c.residual ? " residual" : "");
}

}  // namespace flowkit
