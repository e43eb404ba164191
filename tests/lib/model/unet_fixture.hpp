// Test helper of the model tests: a small class-conditional U-Net model on 4 x 6 RGB images,
// with initialized weights, and its network's settings.
#pragma once
#include "flowkit/model/model.hpp"
#include "flowkit/nn/net.hpp"

namespace flowkit::test {
// Its network: 2 classes, channels 4 and 8, 2 groups, embedding 6 (the caller sets dim and
// the input: image channels or tokens)
inline NetConfig small_unet_config() {
  NetConfig c;
  c.kind = NetKind::unet;
  c.num_classes = 2;
  c.unet.channels = {4, 8};
  c.unet.groups = 2;
  c.unet.embed = 6;
  c.unet.height = 4;
  c.unet.width = 6;
  return c;
}

inline LearnedModel unet_model() {
  LearnedModel m;
  m.net = small_unet_config();
  m.net.dim = 4 * 6 * 3;
  m.net.unet.image_channels = 3;
  m.shape = {4, 6, 3};
  m.mean = Vec::Zero(m.net.dim);
  m.scale = Vec::Ones(m.net.dim);
  Net net(m.net);
  Rng r(1);
  net.init(r);
  m.weights = net.params();
  return m;
}
}  // namespace flowkit::test
