// density: the augmented ODE [dx/dt; d(int div)/dt] = [v; div v] through solve.hpp.
#include "flowkit/flow/density.hpp"

#include <cmath>

namespace flowkit {

const ChoiceTable<Divergence>& divergences() {
  static const ChoiceTable<Divergence> t = {
      {"auto", Divergence::automatic, "exact up to 256 dimensions, hutchinson above"},
      {"exact", Divergence::exact, "trace of the Jacobian (d JVPs; closed form for oracles)"},
      {"hutchinson", Divergence::hutchinson, "unbiased estimate e^T J e with --probes probes"}};
  return t;
}

const ChoiceTable<Probe>& probes() {
  static const ChoiceTable<Probe> t = {{"rademacher", Probe::rademacher, "entries +1 or -1"},
                                       {"gaussian", Probe::gaussian, "entries N(0, 1)"}};
  return t;
}

namespace {

// The augmented system on y = [x; running divergence integral] ((d + 1) x n).
class DivergenceSystem : public OdeSystem {
 public:
  DivergenceSystem(Field& f, Divergence div, Probe probe, int probes, int64_t n, Rng& rng)
      : f_(f), d_(f.dim()), div_(div), x_(d_, n), v_(d_, n), jdx_(d_, n), e_(probes) {
    if (div_ != Divergence::hutchinson) return;
    for (Mat& e : e_) {
      e.resize(d_, n);
      if (probe == Probe::gaussian) rng.fill_normal(e);
      else
        for (int64_t i = 0; i < e.size(); ++i) e.data()[i] = rng.rademacher();
    }
  }

  void eval(double t, const Mat& y, Mat& dy) override {
    x_ = y.topRows(d_);
    if (div_ == Divergence::exact) {
      f_.velocity_divergence(x_, t, v_, divv_);
      dy.topRows(d_) = v_;
      dy.row(d_) = divv_.transpose();
      return;
    }
    dy.row(d_).setZero();
    for (const Mat& e0 : e_) {
      // On the sphere the probes are projected onto the tangent space at x: E[(P e)^T J (P e)]
      // = tr(P J P), the Riemannian divergence of a tangent field
      const Mat& e = tangent_probe(e0);
      if (f_.has_jvp())
        f_.velocity_jvp(x_, t, e, v_, jdx_);
      else
        f_.velocity_vjp(x_, t, e, v_, jdx_);  // e^T J^T e = e^T J e
      dy.row(d_) += (e.cwiseProduct(jdx_)).colwise().sum() / float(e_.size());
    }
    dy.topRows(d_) = v_;
  }

  void retract(Mat& y) override { f_.manifold().project(y.topRows(d_)); }

 private:
  const Mat& tangent_probe(const Mat& e) {
    if (f_.manifold().kind != ManifoldKind::sphere) return e;
    ep_ = e;
    f_.manifold().to_tangent(x_, ep_);
    return ep_;
  }

  Field& f_;
  int d_;
  Divergence div_;
  Mat x_, v_, jdx_, ep_;
  Vec divv_;
  std::vector<Mat> e_;
};

// Checks that the field has a density to evaluate and the points fit it.
void require_density(const Field& f, const Mat& x) {
  if (!f.source_is_gaussian() && !f.manifold().curved())
    throw Error("this model (" + f.describe() +
                ") starts from a data set, not N(0, I): its source has no density, so log p is undefined");
  if (x.rows() != f.dim())
    throw Error("points of dimension " + std::to_string(x.rows()) + " for a model of dimension " +
                std::to_string(f.dim()));
  if (f.manifold().curved()) f.manifold().require_points(x, "points for a model on the " + f.manifold().name());
}

SolveStats integrate_augmented(Field& f, Mat& y, const DensityOptions& o, Rng& rng, double t0, double t1) {
  SolveOptions ode = o.ode;
  ode.t0 = t0;
  ode.t1 = t1;
  require_manifold_solver(f.manifold(), ode.solver);
  DivergenceSystem sys(f, resolve_divergence(f, o), o.probe, o.probes, y.cols(), rng);
  return integrate(sys, y, ode);
}

// A point whose flow diverged (its column frozen at +inf by the solver) has a density below
// what float holds: log p = -inf, never NaN.
void mark_diverged(const Mat& y, Vec& logp) {
  for (Eigen::Index j = 0; j < y.cols(); ++j)
    if (diverged_column(y, j) || std::isnan(logp[j])) logp[j] = -INFINITY;
}

// log p_0: N(0, I), or the manifold's source law.
Vec source_log_density(const Field& f, const Mat& x0) {
  return f.manifold().curved() ? f.manifold().source_log_density(x0) : log_normal(x0);
}

}  // namespace

Divergence resolve_divergence(const Field& f, const DensityOptions& o) {
  if (f.has_average())
    throw Error("this model (" + f.describe() + ") learned average velocities over steps (MeanFlow, shortcut) or a one-step map (distilled), not a flow: "
                "it has no exact log density");
  Divergence d = o.divergence;
  if (d == Divergence::automatic)
    d = f.dim() <= kExactDivergenceMaxDim || !(f.has_jvp() || f.has_vjp()) ? Divergence::exact
                                                                           : Divergence::hutchinson;
  if (d == Divergence::exact && !f.has_divergence())
    throw Error("this model (" + f.describe() + ") has no exact divergence; use --divergence hutchinson");
  if (d == Divergence::hutchinson && !f.has_jvp() && !f.has_vjp())
    throw Error("this model (" + f.describe() + ") has no Jacobian-vector product; use --divergence exact");
  if (d == Divergence::hutchinson && o.probes < 1) throw usage_error("--probes must be at least 1");
  return d;
}

Vec log_normal(const Mat& z) {
  const double c = 0.5 * double(z.rows()) * std::log(2.0 * M_PI);
  Vec out(z.cols());
  for (int64_t i = 0; i < z.cols(); ++i) out[i] = float(-0.5 * z.col(i).cast<double>().squaredNorm() - c);
  return out;
}

SolveStats log_density(Field& f, const Mat& x, const DensityOptions& o, Rng& rng, Vec& logp) {
  require_density(f, x);
  Mat y(x.rows() + 1, x.cols());
  y.topRows(x.rows()) = x;
  y.row(x.rows()).setZero();
  SolveStats st = integrate_augmented(f, y, o, rng, 1.0, 0.0);
  // y_d(0) = -integral_0^1 div v dt
  logp = source_log_density(f, y.topRows(x.rows())) + y.row(x.rows()).transpose();
  mark_diverged(y, logp);
  return st;
}

SolveStats sample_with_log_density(Field& f, Mat& x, const DensityOptions& o, Rng& rng, Vec& logp) {
  require_density(f, x);
  Mat y(x.rows() + 1, x.cols());
  y.topRows(x.rows()) = x;
  y.row(x.rows()).setZero();
  Vec start = source_log_density(f, x);
  SolveStats st = integrate_augmented(f, y, o, rng, 0.0, 1.0);
  x = y.topRows(x.rows());
  logp = start - y.row(x.rows()).transpose();
  mark_diverged(y, logp);
  return st;
}

double bits_per_dim(double logp, int d, int levels) {
  const double nll = -logp + (levels >= 2 ? d * std::log(double(levels - 1)) : 0.0);
  return nll / (d * std::log(2.0));
}

}  // namespace flowkit
