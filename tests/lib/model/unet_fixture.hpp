// Test helper of the model tests: a small class-conditional U-Net model on 4 x 6 RGB images,
// with initialized weights.
#pragma once
#include "flowkit/model/model.hpp"
#include "flowkit/nn/net.hpp"

namespace flowkit::test {
inline LearnedModel unet_model() {
  LearnedModel m;
  m.net.kind = NetKind::unet;
  m.net.dim = 4 * 6 * 3;
  m.net.num_classes = 2;
  m.net.unet.channels = {4, 8};
  m.net.unet.groups = 2;
  m.net.unet.embed = 6;
  m.net.unet.height = 4;
  m.net.unet.width = 6;
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
