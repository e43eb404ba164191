#include "flowkit/nn/conv.hpp"

#include <algorithm>
#include <type_traits>

#include "flowkit/nn/conv_dnnl.hpp"

namespace flowkit {
namespace {
// Output pixels per im2col chunk: the column matrix (9 cin rows) stays in L2/L3 while its GEMM
// reads it, and the GEMM is still wide (bench/NOTES.md, item 18).
constexpr Eigen::Index kChunkPixels = 2048;
}  // namespace

template <class S>
Conv<S>::Conv(int cin, int cout, int k, int stride, size_t w_off, size_t b_off)
    : cin_(cin), cout_(cout), k_(k), stride_(stride), w_off_(w_off), b_off_(b_off), zero_(size_t(cout), S(0)) {
  if ((k != 1 && k != 3) || (stride != 1 && stride != 2) || (k == 1 && stride != 1))
    throw Error("convolution: only 3x3 (stride 1 or 2) and 1x1 (stride 1) are supported");
  if constexpr (std::is_same_v<S, float>)
    if (k == 3) fast_ = std::make_shared<DnnlConv>(cin, cout, stride);
}

template <class S>
int Conv<S>::images_per_chunk(const ImageGeom& g) const {
  const Eigen::Index per = out_geom(g).per_image();
  return int(std::clamp<Eigen::Index>(kChunkPixels / std::max<Eigen::Index>(per, 1), 1, g.n));
}

// Columns of the m images from i0: col(t cin + c, p) = x(c, input pixel under tap t of p).
template <class S>
void Conv<S>::im2col(const M& x, const ImageGeom& g, int i0, int m) {
  const ImageGeom o = out_geom(g);
  const Eigen::Index kc = Eigen::Index(k_) * k_ * cin_;
  col_.resize(kc, m * o.per_image());
  for (int i = 0; i < m; ++i)
    for (int yo = 0; yo < o.h; ++yo)
      for (int xo = 0; xo < o.w; ++xo) {
        S* dst = col_.data() + kc * ((Eigen::Index(i) * o.h + yo) * o.w + xo);
        for (int t = 0; t < k_ * k_; ++t, dst += cin_) {
          const int y = stride_ * yo + t / k_ - 1, xx = stride_ * xo + t % k_ - 1;
          if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) {
            std::fill(dst, dst + cin_, S(0));
          } else {
            const Eigen::Index col = (Eigen::Index(i0 + i) * g.h + y) * g.w + xx;
            std::copy_n(x.data() + col * cin_, cin_, dst);
          }
        }
      }
}

// The adjoint of im2col: gx(c, input pixel) += dcol over every tap that read it.
template <class S>
void Conv<S>::col2im(const ImageGeom& g, int i0, int m, M& gx) const {
  const ImageGeom o = out_geom(g);
  const Eigen::Index kc = Eigen::Index(k_) * k_ * cin_;
  gx.middleCols(i0 * g.per_image(), m * g.per_image()).setZero();
  for (int i = 0; i < m; ++i)
    for (int yo = 0; yo < o.h; ++yo)
      for (int xo = 0; xo < o.w; ++xo) {
        const S* src = dcol_.data() + kc * ((Eigen::Index(i) * o.h + yo) * o.w + xo);
        for (int t = 0; t < k_ * k_; ++t, src += cin_) {
          const int y = stride_ * yo + t / k_ - 1, xx = stride_ * xo + t % k_ - 1;
          if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) continue;
          S* dst = gx.data() + ((Eigen::Index(i0 + i) * g.h + y) * g.w + xx) * cin_;
          for (int c = 0; c < cin_; ++c) dst[c] += src[c];
        }
      }
}

template <class S>
void Conv<S>::forward(const S* p, const M& x, const ImageGeom& g, M& y) {
  if (x.rows() != cin_ || x.cols() != g.pixels())
    throw Error("convolution input has the wrong shape");
  y.resize(cout_, out_geom(g).pixels());
  if constexpr (std::is_same_v<S, float>)
    if (fast_) return fast_->forward(p + w_off_, p + b_off_, x.data(), g, y.data());
  apply(p + w_off_, p + b_off_, x, g, y);
}

template <class S>
void Conv<S>::apply(const S* wp, const S* bp, const M& x, const ImageGeom& g, M& y) {
  const CMapM w(wp, cout_, Eigen::Index(k_) * k_ * cin_);
  const ImageGeom o = out_geom(g);
  y.resize(cout_, o.pixels());
  if (k_ == 1) {
    y.noalias() = w * x;
    if (bp) y.colwise() += CMapM(bp, cout_, 1).col(0);
    return;
  }
  const int step = images_per_chunk(g);
  for (int i0 = 0; i0 < g.n; i0 += step) {
    const int m = std::min(step, g.n - i0);
    im2col(x, g, i0, m);
    auto yc = y.middleCols(i0 * o.per_image(), m * o.per_image());
    if (bp) {
      for (Eigen::Index j = 0; j < yc.cols(); ++j) yc.col(j) = CMapM(bp, cout_, 1).col(0);
      yc.noalias() += w * col_;
    } else {
      yc.noalias() = w * col_;
    }
  }
}


template <class S>
void Conv<S>::tangent(const S* p, const M& dx, const ImageGeom& g, M& dy) {
  if (dx.rows() != cin_ || dx.cols() != g.pixels())
    throw Error("convolution tangent has the wrong shape");
  if constexpr (std::is_same_v<S, float>)
    if (fast_) {
      dy.resize(cout_, out_geom(g).pixels());
      return fast_->infer(p + w_off_, zero_.data(), dx.data(), g, dy.data(), false, false);
    }
  apply(p + w_off_, nullptr, dx, g, dy);
}

template <class S>
void Conv<S>::tangent_up(const S* p, const M& dx, const ImageGeom& g, M& dy) {
  check_up(dx, g);
  if constexpr (std::is_same_v<S, float>) {
    dy.resize(cout_, g.twice().pixels());
    return fast_->infer(p + w_off_, zero_.data(), dx.data(), g, dy.data(), false, true);
  }
  upsample2(dx, g, tmp_);
  apply(p + w_off_, nullptr, tmp_, g.twice(), dy);
}

template <class S>
void Conv<S>::backward(const S* p, const M& x, const ImageGeom& g, const M& gy, S* grad, M* gx) {
  const ImageGeom o = out_geom(g);
  if (gy.rows() != cout_ || gy.cols() != o.pixels())
    throw Error("convolution output gradient has the wrong shape");
  const Eigen::Index kc = Eigen::Index(k_) * k_ * cin_;
  const CMapM w(p + w_off_, cout_, kc);
  if (gx) gx->resize(cin_, g.pixels());
  if constexpr (std::is_same_v<S, float>)
    if (fast_)
      return fast_->backward(p + w_off_, x.data(), g, gy.data(), grad ? grad + w_off_ : nullptr,
                             grad ? grad + b_off_ : nullptr, gx ? gx->data() : nullptr);
  if (grad) MapM(grad + b_off_, cout_, 1).col(0) += gy.rowwise().sum();
  if (k_ == 1) {
    if (grad) MapM(grad + w_off_, cout_, kc).noalias() += gy * x.transpose();
    if (gx) gx->noalias() = w.transpose() * gy;
    return;
  }
  const int step = images_per_chunk(g);
  for (int i0 = 0; i0 < g.n; i0 += step) {
    const int m = std::min(step, g.n - i0);
    const auto gc = gy.middleCols(i0 * o.per_image(), m * o.per_image());
    if (grad) {
      im2col(x, g, i0, m);
      MapM(grad + w_off_, cout_, kc).noalias() += gc * col_.transpose();
    }
    if (gx) {
      dcol_.noalias() = w.transpose() * gc;
      col2im(g, i0, m, *gx);
    }
  }
}

template <class S>
void Conv<S>::infer(const S* p, const M& x, const ImageGeom& g, M& y) {
  if constexpr (std::is_same_v<S, float>)
    if (fast_) {
      if (x.rows() != cin_ || x.cols() != g.pixels())
        throw Error("convolution input has the wrong shape");
      y.resize(cout_, out_geom(g).pixels());
      return fast_->infer(p + w_off_, p + b_off_, x.data(), g, y.data(), false, false);
    }
  forward(p, x, g, y);
}

template <class S>
void Conv<S>::infer_add(const S* p, const M& x, const ImageGeom& g, M& y) {
  const ImageGeom o = out_geom(g);
  if (x.rows() != cin_ || x.cols() != g.pixels() || y.rows() != cout_ || y.cols() != o.pixels())
    throw Error("convolution input or output has the wrong shape");
  if constexpr (std::is_same_v<S, float>)
    if (fast_) return fast_->infer(p + w_off_, p + b_off_, x.data(), g, y.data(), true, false);
  if (k_ == 1) {  // a GEMM into y
    y.noalias() += CMapM(p + w_off_, cout_, cin_) * x;
    y.colwise() += CMapM(p + b_off_, cout_, 1).col(0);
    return;
  }
  forward(p, x, g, tmp_);
  y += tmp_;
}

template <class S>
void Conv<S>::check_up(const M& x, const ImageGeom& g) const {
  if (stride_ != 1 || k_ != 3) throw Error("convolution: up-sampling takes a 3x3 stride-1 one");
  if (x.rows() != cin_ || x.cols() != g.pixels())
    throw Error("convolution input has the wrong shape");
}

template <class S>
void Conv<S>::forward_up(const S* p, const M& x, const ImageGeom& g, M& y) {
  check_up(x, g);
  if constexpr (std::is_same_v<S, float>) {
    y.resize(cout_, g.twice().pixels());
    return fast_->forward(p + w_off_, p + b_off_, x.data(), g, y.data(), true);
  }
  upsample2(x, g, up_);
  forward(p, up_, g.twice(), y);
}

template <class S>
void Conv<S>::backward_up(const S* p, const M& x, const ImageGeom& g, const M& gy, S* grad,
                          M* gx) {
  check_up(x, g);
  if (gy.rows() != cout_ || gy.cols() != g.twice().pixels())
    throw Error("convolution output gradient has the wrong shape");
  if constexpr (std::is_same_v<S, float>) {
    if (gx) gx->resize(cin_, g.pixels());
    return fast_->backward(p + w_off_, x.data(), g, gy.data(), grad ? grad + w_off_ : nullptr,
                           grad ? grad + b_off_ : nullptr, gx ? gx->data() : nullptr, true);
  }
  upsample2(x, g, up_);
  backward(p, up_, g.twice(), gy, grad, gx ? &tmp_ : nullptr);
  if (gx) upsample2_adjoint(tmp_, g, *gx);
}

template <class S>
void Conv<S>::infer_up(const S* p, const M& x, const ImageGeom& g, M& y) {
  if constexpr (std::is_same_v<S, float>) {
    check_up(x, g);
    y.resize(cout_, g.twice().pixels());
    return fast_->infer(p + w_off_, p + b_off_, x.data(), g, y.data(), false, true);
  }
  forward_up(p, x, g, y);
}

template <class S>
void upsample2(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& x, const ImageGeom& g,
               Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& y) {
  const ImageGeom o = g.twice();
  y.resize(x.rows(), o.pixels());
  for (int i = 0; i < g.n; ++i)
    for (int yy = 0; yy < o.h; ++yy)
      for (int xx = 0; xx < o.w; ++xx)
        y.col((Eigen::Index(i) * o.h + yy) * o.w + xx) =
            x.col((Eigen::Index(i) * g.h + yy / 2) * g.w + xx / 2);
}

template <class S>
void upsample2_adjoint(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& gy,
                       const ImageGeom& g, Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& gx) {
  const ImageGeom o = g.twice();
  gx.setZero(gy.rows(), g.pixels());
  for (int i = 0; i < g.n; ++i)
    for (int yy = 0; yy < o.h; ++yy)
      for (int xx = 0; xx < o.w; ++xx)
        gx.col((Eigen::Index(i) * g.h + yy / 2) * g.w + xx / 2) +=
            gy.col((Eigen::Index(i) * o.h + yy) * o.w + xx);
}

template class Conv<float>;
template class Conv<double>;
template void upsample2(const Mat&, const ImageGeom&, Mat&);
template void upsample2(const MatD&, const ImageGeom&, MatD&);
template void upsample2_adjoint(const Mat&, const ImageGeom&, Mat&);
template void upsample2_adjoint(const MatD&, const ImageGeom&, MatD&);

}  // namespace flowkit
