#include "flowkit/nn/norm.hpp"

namespace flowkit {
namespace {
constexpr double kGnEps = 1e-5;
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

// Image by image: the mean and spread of each group, xhat, then a = gamma xhat + beta,
// y = a sigmoid(a) and d = silu'(a) = s + y (1 - s).
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
    const auto xi = x.middleCols(i * hw, hw);
    auto hi = xhat_.middleCols(i * hw, hw);
    sum_ = xi.rowwise().sum();
    reduce(sum_, grp_);
    expand(grp_ / count, chan_);
    hi = xi.colwise() - chan_;
    sum_ = hi.array().square().rowwise().sum().matrix();
    reduce(sum_, grp_);
    inv_.col(i) = (grp_.array() / count + S(kGnEps)).rsqrt();
    expand(inv_.col(i), chan_);
    hi.array().colwise() *= chan_.array();
    auto a = y.middleCols(i * hw, hw).array();
    auto d = d_.middleCols(i * hw, hw).array();
    a = (hi.array().colwise() * gamma.array()).colwise() + beta.array();
    d = a.logistic();
    a = a * d;
    d = d + a * (S(1) - d);
  }
}

// Per image: the group means of x + shift, the spreads about them, then a = scale x + offset
// with scale = gamma / sigma and offset = beta + scale (shift - mu) per channel, y = silu(a).
template <class S>
void GroupNormSilu<S>::infer(const S* p, const M& x, const ImageGeom& g, const M* shift, M& y) {
  if (x.rows() != c_ || x.cols() != g.pixels() || (shift && shift->rows() != c_))
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
    Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>> a(y.data() + j0 * c_, hw * c_);
    a *= a.logistic();
  }
}

// ga = gy d; dgamma = sum ga xhat, dbeta = sum ga; gx = inv (gh - mean gh - xhat mean(gh xhat))
// with gh = gamma ga, the means over each image's group.
template <class S>
void GroupNormSilu<S>::backward(const S* p, const ImageGeom& g, M& gy, S* grad, M& gx) {
  const CMapV gamma(p + gamma_off_, c_);
  const Eigen::Index hw = g.per_image();
  const S count = S(hw * (c_ / groups_));
  gy.array() *= d_.array();
  if (grad) {
    Eigen::Map<V>(grad + gamma_off_, c_) += (gy.array() * xhat_.array()).rowwise().sum().matrix();
    Eigen::Map<V>(grad + beta_off_, c_) += gy.rowwise().sum();
  }
  gy.array().colwise() *= gamma.array();
  gx.resize(c_, gy.cols());
  for (int i = 0; i < g.n; ++i) {
    const auto gi = gy.middleCols(i * hw, hw);
    const auto hi = xhat_.middleCols(i * hw, hw);
    sum_ = gi.rowwise().sum();
    reduce(sum_, grp_);
    expand(grp_ / count, chan_);
    sum_ = (gi.array() * hi.array()).rowwise().sum().matrix();
    reduce(sum_, grp_);
    expand(grp_ / count, chan2_);
    auto out = gx.middleCols(i * hw, hw).array();
    out = (gi.array().colwise() - chan_.array()) - (hi.array().colwise() * chan2_.array());
    expand(inv_.col(i), chan_);
    out.colwise() *= chan_.array();
  }
}

template class GroupNormSilu<float>;
template class GroupNormSilu<double>;

}  // namespace flowkit
