#include "flowkit/nn/norm.hpp"

namespace flowkit {
namespace {
constexpr double kGnEps = 1e-5;

// A matrix's coefficients as one array (linear access: vector lanes throughout).
template <class S>
Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>> flat(Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& m) {
  return {m.data(), m.size()};
}
}  // namespace

template <class S>
GroupNormSilu<S>::GroupNormSilu(int c, int groups, size_t gamma_off, size_t beta_off)
    : c_(c), groups_(groups), gamma_off_(gamma_off), beta_off_(beta_off) {
  if (groups < 1 || c % groups != 0)
    throw usage_error(std::to_string(c) + " channels do not split into " + std::to_string(groups) +
                      " groups");
}

template <class S>
template <class E>
void GroupNormSilu<S>::expand(const E& v, V& out) const {
  const int cg = c_ / groups_;
  out.resize(c_);
  for (int k = 0; k < groups_; ++k) out.segment(k * cg, cg).setConstant(v[k]);
}

template <class S>
void GroupNormSilu<S>::reduce(const V& per_channel, V& out) const {
  const int cg = c_ / groups_;
  out.resize(groups_);
  for (int k = 0; k < groups_; ++k) out[k] = per_channel.segment(k * cg, cg).sum();
}

// From per-channel sums of v (sum_) and of v xhat (chan2_) over an image: their group means
// per channel in chan_ and chan2_, and 1 / sigma per channel (inv: per group) in sum_.
template <class S>
template <class E>
void GroupNormSilu<S>::group_means(S count, const E& inv) {
  reduce(sum_, grp_);
  expand(grp_ / count, chan_);
  reduce(chan2_, grp_);
  expand(grp_ / count, chan2_);
  expand(inv, sum_);
}

// Image by image: the mean and spread of each group, xhat, then a = gamma xhat + beta,
// y = a sigmoid(a) and d = silu'(a) = s + y (1 - s). Every pass runs pixel by pixel down a
// pixel's contiguous channels (vector lanes; a rowwise() reduction of this shape is scalar).
template <class S>
void GroupNormSilu<S>::forward(const S* p, const M& x, const ImageGeom& g, M& y) {
  if (x.rows() != c_ || x.cols() != g.pixels()) throw Error("group norm input has the wrong shape");
  const CMapV gamma(p + gamma_off_, c_), beta(p + beta_off_, c_);
  const Eigen::Index hw = g.per_image();
  const S count = S(hw * (c_ / groups_));
  xhat_.resize(c_, x.cols());
  d_.resize(c_, x.cols());
  y.resize(c_, x.cols());
  inv_.resize(groups_, g.n);
  for (int i = 0; i < g.n; ++i) {
    const Eigen::Index j0 = i * hw, j1 = j0 + hw;
    sum_.setZero(c_);
    for (Eigen::Index j = j0; j < j1; ++j) sum_ += x.col(j);
    reduce(sum_, grp_);
    expand(grp_ / count, chan_);
    sum_.setZero(c_);
    for (Eigen::Index j = j0; j < j1; ++j) {
      xhat_.col(j) = x.col(j) - chan_;
      sum_.array() += xhat_.col(j).array().square();
    }
    reduce(sum_, grp_);
    inv_.col(i) = (grp_.array() / count + S(kGnEps)).rsqrt();
    expand(inv_.col(i), chan_);
    for (Eigen::Index j = j0; j < j1; ++j) {
      xhat_.col(j).array() *= chan_.array();
      y.col(j).array() = xhat_.col(j).array() * gamma.array() + beta.array();
    }
  }
  auto a = flat(y);
  auto d = flat(d_);
  d = a.logistic();
  a *= d;
  d += a * (S(1) - d);
}

// Per image: the group means of x + shift, the spreads about them, then a = scale x + offset
// with scale = gamma / sigma and offset = beta + scale (shift - mu) per channel, y = silu(a).
template <class S>
void GroupNormSilu<S>::infer(const S* p, const M& x, const ImageGeom& g, const M* shift, M& y) {
  if (x.rows() != c_ || x.cols() != g.pixels() ||
      (shift && (shift->rows() != c_ || shift->cols() != g.n)))
    throw Error("group norm input has the wrong shape");
  const CMapV gamma(p + gamma_off_, c_), beta(p + beta_off_, c_);
  const Eigen::Index hw = g.per_image();
  const S count = S(hw * (c_ / groups_));
  y.resize(c_, x.cols());
  // Pixel by pixel, so that each pass runs down a pixel's contiguous channels in vector lanes
  // (a rowwise() reduction of this shape compiles to scalar code)
  for (int i = 0; i < g.n; ++i) {
    const Eigen::Index j0 = i * hw;
    sum_.setZero(c_);
    for (Eigen::Index j = j0; j < j0 + hw; ++j) sum_ += x.col(j);
    if (shift) sum_ += S(hw) * shift->col(i);
    reduce(sum_, grp_);
    expand(grp_ / count, chan_);            // mu, per channel
    if (shift) chan_ -= shift->col(i);      // mu - shift: x + shift - mu = x - chan_
    sum_.setZero(c_);
    for (Eigen::Index j = j0; j < j0 + hw; ++j) sum_.array() += (x.col(j) - chan_).array().square();
    reduce(sum_, grp_);
    expand((grp_.array() / count + S(kGnEps)).rsqrt().matrix(), chan2_);
    chan2_.array() *= gamma.array();                                 // scale
    chan_ = beta.array() - chan2_.array() * chan_.array();           // offset
    for (Eigen::Index j = j0; j < j0 + hw; ++j)
      y.col(j).array() = x.col(j).array() * chan2_.array() + chan_.array();
    auto a = flat(y).segment(j0 * c_, hw * c_);
    a *= a.logistic();
  }
}

// ga = gy d; dgamma = sum ga xhat, dbeta = sum ga; gx = inv (gh - mean gh - xhat mean(gh xhat))
// with gh = gamma ga, the means over each image's group. Pixel by pixel, as forward.
template <class S>
void GroupNormSilu<S>::backward(const S* p, const ImageGeom& g, M& gy, S* grad, M& gx) {
  const CMapV gamma(p + gamma_off_, c_);
  const Eigen::Index hw = g.per_image();
  const S count = S(hw * (c_ / groups_));
  flat(gy) *= flat(d_);
  if (grad) {
    Eigen::Map<V> dgamma(grad + gamma_off_, c_), dbeta(grad + beta_off_, c_);
    for (Eigen::Index j = 0; j < gy.cols(); ++j) {
      dgamma.array() += gy.col(j).array() * xhat_.col(j).array();
      dbeta += gy.col(j);
    }
  }
  gx.resize(c_, gy.cols());
  for (int i = 0; i < g.n; ++i) {
    const Eigen::Index j0 = i * hw, j1 = j0 + hw;
    sum_.setZero(c_);
    chan2_.setZero(c_);
    for (Eigen::Index j = j0; j < j1; ++j) {
      gy.col(j).array() *= gamma.array();
      sum_ += gy.col(j);
      chan2_.array() += gy.col(j).array() * xhat_.col(j).array();
    }
    group_means(count, inv_.col(i));  // mean gh, mean gh xhat, 1 / sigma
    for (Eigen::Index j = j0; j < j1; ++j)
      gx.col(j).array() =
          (gy.col(j).array() - chan_.array() - xhat_.col(j).array() * chan2_.array()) * sum_.array();
  }
}

// dxhat = inv (dx - mean dx - xhat mean(dx xhat)) over each image's group, then dy = d gamma
// dxhat: the same projection as backward's, applied before the scale instead of after.
template <class S>
void GroupNormSilu<S>::jvp(const S* p, const ImageGeom& g, const M& dx, M& dy) {
  if (dx.rows() != c_ || dx.cols() != xhat_.cols() || dx.cols() != g.pixels())
    throw Error("group norm tangent has the wrong shape");
  const CMapV gamma(p + gamma_off_, c_);
  const Eigen::Index hw = g.per_image();
  const S count = S(hw * (c_ / groups_));
  dy.resize(c_, dx.cols());
  for (int i = 0; i < g.n; ++i) {
    const Eigen::Index j0 = i * hw, j1 = j0 + hw;
    sum_.setZero(c_);
    chan2_.setZero(c_);
    for (Eigen::Index j = j0; j < j1; ++j) {
      sum_ += dx.col(j);
      chan2_.array() += dx.col(j).array() * xhat_.col(j).array();
    }
    group_means(count, inv_.col(i));  // mean dx, mean dx xhat, 1 / sigma
    sum_.array() *= gamma.array();  // gamma / sigma
    for (Eigen::Index j = j0; j < j1; ++j)
      dy.col(j).array() = (dx.col(j).array() - chan_.array() - xhat_.col(j).array() * chan2_.array()) *
                          sum_.array() * d_.col(j).array();
  }
}

template class GroupNormSilu<float>;
template class GroupNormSilu<double>;

}  // namespace flowkit
