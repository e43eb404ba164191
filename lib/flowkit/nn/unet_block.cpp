#include "flowkit/nn/unet_block.hpp"

namespace flowkit {

template <class S>
ResBlock<S>::ResBlock(int cin, int cout, int embed, int groups, const ResBlockOffsets& o)
    : cin_(cin),
      cout_(cout),
      embed_(embed),
      o_(o),
      norm1_(cin, groups, o.norm1_gamma, o.norm1_beta),
      norm2_(cout, groups, o.norm2_gamma, o.norm2_beta),
      conv1_(cin, cout, 3, 1, o.conv1_w, o.conv1_b),
      conv2_(cout, cout, 3, 1, o.conv2_w, o.conv2_b) {
  if (cin != cout) skip_.emplace(cin, cout, 1, 1, o.skip_w, o.skip_b);
}

template <class S>
void ResBlock<S>::forward(const S* p, const M& x, const ImageGeom& g, const M& s) {
  using CMapM = Eigen::Map<const M>;
  norm1_.forward(p, x, g, a1_);
  conv1_.forward(p, a1_, g, h_);
  // The embedding's projection, one column per image, added to each of its pixels
  proj_.noalias() = CMapM(p + o_.emb_w, cout_, embed_) * s;
  proj_.colwise() += CMapM(p + o_.emb_b, cout_, 1).col(0);
  const Eigen::Index hw = g.per_image();
  for (int i = 0; i < g.n; ++i) h_.middleCols(i * hw, hw).colwise() += proj_.col(i);
  norm2_.forward(p, h_, g, a2_);
  conv2_.forward(p, a2_, g, out_);
  if (skip_) {
    skip_->forward(p, x, g, gskip_);
    out_ += gskip_;
  } else {
    out_ += x;
  }
}

template <class S>
void ResBlock<S>::infer(const S* p, const M& x, const ImageGeom& g, const M& s) {
  using CMapM = Eigen::Map<const M>;
  norm1_.infer(p, x, g, nullptr, a1_);
  conv1_.infer(p, a1_, g, h_);
  proj_.noalias() = CMapM(p + o_.emb_w, cout_, embed_) * s;
  proj_.colwise() += CMapM(p + o_.emb_b, cout_, 1).col(0);
  norm2_.infer(p, h_, g, &proj_, a2_);
  if (skip_) {
    skip_->infer(p, x, g, out_);
  } else {
    out_ = x;
  }
  conv2_.infer_add(p, a2_, g, out_);
}

template <class S>
void ResBlock<S>::backward(const S* p, const M& x, const ImageGeom& g, const M& s, M& gy, S* grad,
                           M* gs, M& gx) {
  using CMapM = Eigen::Map<const M>;
  using MapM = Eigen::Map<M>;
  conv2_.backward(p, a2_, g, gy, grad, &g2_);
  norm2_.backward(p, g, g2_, grad, gh_);
  if (grad) {
    const Eigen::Index hw = g.per_image();
    proj_.resize(cout_, g.n);
    for (int i = 0; i < g.n; ++i) proj_.col(i) = gh_.middleCols(i * hw, hw).rowwise().sum();
    MapM(grad + o_.emb_w, cout_, embed_).noalias() += proj_ * s.transpose();
    MapM(grad + o_.emb_b, cout_, 1).col(0) += proj_.rowwise().sum();
    if (gs) gs->noalias() += CMapM(p + o_.emb_w, cout_, embed_).transpose() * proj_;
  }
  conv1_.backward(p, a1_, g, gh_, grad, &g1_);
  norm1_.backward(p, g, g1_, grad, gx);
  if (skip_) {
    skip_->backward(p, x, g, gy, grad, &gskip_);
    gx += gskip_;
  } else {
    gx += gy;
  }
}

// The forward pass's chain along (dx, js): the embedding's projection W_e js is constant over
// each image's pixels, the biases drop out.
template <class S>
void ResBlock<S>::jvp(const S* p, const M& dx, const ImageGeom& g, const M& js) {
  using CMapM = Eigen::Map<const M>;
  norm1_.jvp(p, g, dx, g1_);
  conv1_.tangent(p, g1_, g, gh_);
  proj_.noalias() = CMapM(p + o_.emb_w, cout_, embed_) * js;
  const Eigen::Index hw = g.per_image();
  for (int i = 0; i < g.n; ++i) gh_.middleCols(i * hw, hw).colwise() += proj_.col(i);
  norm2_.jvp(p, g, gh_, g2_);
  conv2_.tangent(p, g2_, g, jout_);
  if (skip_) {
    skip_->tangent(p, dx, g, gskip_);
    jout_ += gskip_;
  } else {
    jout_ += dx;
  }
}

template class ResBlock<float>;
template class ResBlock<double>;

}  // namespace flowkit
