// field: the learned model. The network sees z = (x - mean) / scale and outputs o in
// normalized units; the prediction in data coordinates is pred = A o + c (model.hpp), and
// the velocity is affine in it: v = c1 x + c2 pred (path.hpp). Hence, by the chain rule,
// J_v = c1 I + c2 A J_o diag(1 / scale) and div v = c1 d + c2 sum_i (A_i / scale_i) (J_o)_ii.
// Classifier-free guidance mixes the predictions: (1 - W) o(null) + W o(y). A MeanFlow model's
// network takes (z, r, t - r) and gives the average velocity over [r, t] (average_velocity);
// its velocity is u(x, t, t), and it has no score, divergence or Jacobian products; a distilled
// model's (x, t) network gives its one step u(x, 0, 1) at t = 0, and no velocity. The MLP gives
// J_o dz (forward mode); the U-Net gives J_o^T g (reverse mode): J_v^T u = c1 u +
// diag(1 / scale) J_o^T (c2 A u), and its exact divergence takes one reverse pass per coordinate.
#include <algorithm>

#include "flowkit/core/parallel.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/flow/field_manifold.hpp"
#include "flowkit/model/model.hpp"
#include "flowkit/nn/net.hpp"

namespace flowkit {
namespace {

class LearnedField : public Field {
 public:
  explicit LearnedField(std::shared_ptr<const LearnedModel> m) : m_(std::move(m)), net_(m_->net) {
    net_.params() = m_->sampling_weights();
    output_affine(m_->predict, m_->mean, m_->scale, a_, c_);
    inv_scale_ = m_->scale.cwiseInverse();
  }
  int dim() const override { return m_->net.dim; }
  std::unique_ptr<Field> clone() const override {
    auto f = std::make_unique<LearnedField>(m_);
    f->labels_ = labels_;
    f->guidance_ = guidance_;
    return f;
  }
  bool has_score() const override { return !m_->source_data && !mean(); }
  bool has_divergence() const override { return !mean(); }
  bool has_jvp() const override { return net_.has_jvp() && !mean(); }
  bool has_vjp() const override { return net_.has_vjp() && !mean(); }
  bool has_average() const override { return mean(); }
  bool source_is_gaussian() const override { return !m_->source_data; }
  std::vector<int64_t> sample_shape() const override { return m_->shape; }
  bool threads_inside() const override { return m_->net.kind == NetKind::unet; }
  bool conditional() const override { return m_->net.num_classes > 0; }
  int num_classes() const override { return m_->net.num_classes; }
  std::string describe() const override {
    return (mean() ? choice_name(objectives(), m_->objective) : std::string("learned")) + " (" + net_.describe() + ", " + m_->schedule.name() +
           ", predicts " + choice_name(predictions(), m_->predict) + ")";
  }

  void set_condition(const std::vector<int>& labels, double guidance) override {
    check_labels(labels);
    if (!conditional()) return;
    labels_ = labels;
    guidance_ = guidance;
  }

  void velocity(const Mat& x, double t, Mat& v) override {
    if (mean()) return average_velocity(x, t, t, v);
    t = net_time(t, false);
    predict(x, t, pred_);
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
  }

  // The network at (z, r, t - r); a MeanFlow model predicts the velocity (model.cpp checks). A
  // distilled map knows one step only: from 0 to 1, its network at t = 0.
  void average_velocity(const Mat& x, double r, double t, Mat& u) override {
    if (!mean()) return Field::average_velocity(x, r, t, u);
    if (m_->objective == Objective::distill) {
      if (r == t) throw Error("a distilled model (objective distill) has no velocity field: it is one step, from t = 0 to 1");
      if (r != 0.0 || t != 1.0)
        throw Error("a distilled model (objective distill) takes one step, from t = 0 to t = 1 (flow-sample --steps 1); "
                    "asked for [" + std::to_string(r) + ", " + std::to_string(t) + "]");
      return predict(x, 0.0, u);
    }
    predict(x, r, u, t - r);
  }

  void score(const Mat& x, double t, Mat& s) override {
    if (!has_score()) return Field::score(x, t, s);
    predict(x, net_time(t, true), pred_);
    prediction_to_score(m_->predict, m_->schedule, t, x, pred_, s);
  }

  // One network pass gives both: velocity and score are affine in the same prediction.
  int velocity_score(const Mat& x, double t, double ts, Mat& v, Mat& s) override {
    if (!has_score() || net_time(t, false) != net_time(ts, true)) return Field::velocity_score(x, t, ts, v, s);
    t = net_time(t, false);
    predict(x, t, pred_);
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
    prediction_to_score(m_->predict, m_->schedule, t, x, pred_, s);
    return 1;
  }

  void velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) override {
    if (!net_.has_jvp()) return divergence_by_vjp(x, t, v, div);
    const Eigen::Index n = x.cols(), d = dim();
    // One tangent block per coordinate: e_i in x is e_i / scale_i in z
    dz_.setZero(d, d * n);
    for (Eigen::Index i = 0; i < d; ++i) dz_.row(i).segment(i * n, n).setConstant(inv_scale_[i]);
    t = net_time(t, false);
    predict_jvp(x, t, dz_, jo_);
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
    const auto [c1, c2] = affine_coefficients(t);
    div.setConstant(n, float(c1 * double(d)));
    for (Eigen::Index i = 0; i < d; ++i) div += float(c2) * a_[i] * jo_.row(i).segment(i * n, n).transpose();
  }

  void velocity_jvp(const Mat& x, double t, const Mat& dx, Mat& v, Mat& jdx) override {
    dz_ = dx.array().colwise() * inv_scale_.array();
    t = net_time(t, false);
    predict_jvp(x, t, dz_, jo_);
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
    const auto [c1, c2] = affine_coefficients(t);
    jdx = float(c1) * dx + float(c2) * (jo_.array().colwise() * a_.array()).matrix();
  }

  void velocity_vjp(const Mat& x, double t, const Mat& u, Mat& v, Mat& jtu) override {
    t = net_time(t, false);  // the network runs and its output converts at the same time
    const auto cs = affine_coefficients(t);  // named, not bound: C++17 lambdas cannot capture a binding
    const double c1 = cs.first, c2 = cs.second;
    const bool guided = prepare(x, t), mixed = guided && guidance_ != 1.0;
    g_ = (u.array().colwise() * a_.array()) * float(c2);
    pred_.resize(x.rows(), x.cols());
    jo_.resize(x.rows(), x.cols());
    pieces(x.cols(), [&](Eigen::Index c0, Eigen::Index m, Worker& w) {
      w.load(z_, tv_, c0, m);
      w.g = g_.middleCols(c0, m);
      w.net.forward(w.z, w.t, guided ? lab_.data() + c0 : nullptr, w.out);
      w.net.vjp(w.g, w.jo);
      if (mixed) {
        w.net.forward(w.z, w.t, nullptr, w.null_out);
        w.net.vjp(w.g, w.null_jo);
        w.out = float(guidance_) * w.out + float(1.0 - guidance_) * w.null_out;
        w.jo = float(guidance_) * w.jo + float(1.0 - guidance_) * w.null_jo;
      }
      pred_.middleCols(c0, m) = w.out;
      jo_.middleCols(c0, m) = w.jo;
    });
    pred_ = (pred_.array().colwise() * a_.array()).colwise() + c_.array();
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
    jtu = float(c1) * u + (jo_.array().colwise() * inv_scale_.array()).matrix();
  }

 private:
  // z_, tv_ and (when guided: returns true) lab_ for a batch x at time t.
  bool prepare(const Mat& x, double t) {
    if (x.rows() != dim()) throw Error("points of dimension " + std::to_string(x.rows()) + " for a model of dimension " + std::to_string(dim()));
    z_ = (x.array().colwise() - m_->mean.array()).colwise() * inv_scale_.array();
    tv_.setConstant(x.cols(), float(t));
    const bool guided = conditional() && !labels_.empty();
    if (guided) fill_labels(x.cols());
    return guided;
  }

  // Images per piece of a U-Net batch: the U-Net keeps every activation of a forward pass
  // (about 40 tensors of C x H x W per image), so a chunk of 8,192 would need gigabytes; and a
  // piece of 8 keeps a layer's tensors in the caches between layers (MNIST's network: 397 ms
  // per 128 images in pieces of 8, 440 in pieces of 64; bench/NOTES.md, item 23).
  static constexpr Eigen::Index kPiece = 8;

  // A thread's copy of the network and its slices of the batch.
  struct Worker {
    explicit Worker(const LearnedModel& m) : net(m.net) { net.params() = m.sampling_weights(); }
    void load(const Mat& zall, const Vec& tall, Eigen::Index c0, Eigen::Index m) {
      z = zall.middleCols(c0, m);
      t = tall.segment(c0, m);
    }
    Net net;
    Mat z, out, null_out, g, jo, null_jo;
    Vec t, s;  // s: a MeanFlow net's second time
  };

  // f(first column, columns, worker) for pieces of kPiece columns, spread over the threads
  // unless already on one of a team. Each piece's bits do not depend on the thread.
  template <class F>
  void pieces(Eigen::Index n, const F& f) {
    const int64_t count = (n + kPiece - 1) / kPiece;
    const int threads = omp_in_parallel() ? 1 : int(std::min<int64_t>(omp_get_max_threads(), count));
    while (workers_.size() < size_t(std::max(threads, 1))) workers_.push_back(std::make_unique<Worker>(*m_));
    parallel_for(count, threads, Spread::fixed, [&](int64_t i, int thread) {
      const Eigen::Index c0 = i * kPiece;
      f(c0, std::min(kPiece, n - c0), *workers_[size_t(thread)]);
    });
  }

  // The exact divergence by reverse mode: (J_o^T e_i)_i for every coordinate i, each label set
  // of the guidance mix from its own forward pass.
  void divergence_by_vjp(const Mat& x, double t, Mat& v, Vec& div) {
    const Eigen::Index n = x.cols(), d = dim();
    t = net_time(t, false);  // the network runs and its output converts at the same time
    const auto cs = affine_coefficients(t);  // named, not bound: C++17 lambdas cannot capture a binding
    const double c1 = cs.first, c2 = cs.second;
    const bool guided = prepare(x, t), mixed = guided && guidance_ != 1.0;
    div.setConstant(n, float(c1 * double(d)));
    pred_.resize(d, n);
    pieces(n, [&](Eigen::Index c0, Eigen::Index m, Worker& w) {
      w.load(z_, tv_, c0, m);
      for (int pass = 0; pass < (mixed ? 2 : 1); ++pass) {
        const float wt = !mixed ? 1.f : pass == 0 ? float(guidance_) : float(1.0 - guidance_);
        w.net.forward(w.z, w.t, guided && pass == 0 ? lab_.data() + c0 : nullptr, pass == 0 ? w.out : w.null_out);
        for (Eigen::Index i = 0; i < d; ++i) {
          w.g.setZero(d, m);
          w.g.row(i).setOnes();
          w.net.vjp(w.g, w.jo);
          div.segment(c0, m) += (wt * float(c2) * a_[i] * inv_scale_[i]) * w.jo.row(i).transpose();
        }
      }
      if (mixed) w.out = float(guidance_) * w.out + float(1.0 - guidance_) * w.null_out;
      pred_.middleCols(c0, m) = w.out;
    });
    pred_ = (pred_.array().colwise() * a_.array()).colwise() + c_.array();
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
  }

  // The time the network sees: the time its prediction is converted at. A velocity needs no
  // conversion; a noise or data prediction is converted where its division is well
  // conditioned (path.hpp, conversion_time), and a score at t clamped into [kTMin, kTMax]; the
  // network sees that same time, so prediction and conversion agree (doc/MATH.md).
  double net_time(double t, bool for_score) const {
    return for_score ? std::clamp(t, kTMin, kTMax) : conversion_time(m_->predict, m_->schedule, t);
  }

  bool mean() const { return flowkit::average_velocity(m_->objective); }
  bool two() const { return flowkit::two_times(m_->objective); }  // the net's second time input

  // The guided network output in normalized units, for every column of x; `gap` is the second
  // time (t - r) of a MeanFlow net.
  void network(const Mat& x, double t, Mat& out, double gap = 0) {
    if (m_->net.kind == NetKind::unet) return network_pieces(x, t, out, gap);
    const Eigen::Index n = x.cols();
    if (x.rows() != dim()) throw Error("points of dimension " + std::to_string(x.rows()) + " for a model of dimension " + std::to_string(dim()));
    z_ = (x.array().colwise() - m_->mean.array()).colwise() * inv_scale_.array();
    tv_.setConstant(n, float(t));
    const Vec* s = nullptr;
    if (two()) {
      gv_.setConstant(n, float(gap));
      s = &gv_;
    }
    if (!conditional() || labels_.empty()) {
      net_.infer(z_, tv_, nullptr, out, s);
      return;
    }
    fill_labels(n);
    net_.infer(z_, tv_, lab_.data(), out, s);
    if (guidance_ != 1.0) {
      net_.infer(z_, tv_, nullptr, null_out_, s);
      out = float(guidance_) * out + float(1.0 - guidance_) * null_out_;
    }
  }

  // network() for the U-Net, piece by piece.
  void network_pieces(const Mat& x, double t, Mat& out, double gap) {
    const bool guided = prepare(x, t), mixed = guided && guidance_ != 1.0;
    out.resize(x.rows(), x.cols());
    pieces(x.cols(), [&](Eigen::Index c0, Eigen::Index m, Worker& w) {
      w.load(z_, tv_, c0, m);
      const Vec* s = nullptr;
      if (two()) {
        w.s.setConstant(m, float(gap));
        s = &w.s;
      }
      w.net.infer(w.z, w.t, guided ? lab_.data() + c0 : nullptr, w.out, s);
      if (mixed) {
        w.net.infer(w.z, w.t, nullptr, w.null_out, s);
        w.out = float(guidance_) * w.out + float(1.0 - guidance_) * w.null_out;
      }
      out.middleCols(c0, m) = w.out;
    });
  }

  void predict(const Mat& x, double t, Mat& pred, double gap = 0) {
    network(x, t, pred, gap);
    pred = (pred.array().colwise() * a_.array()).colwise() + c_.array();
  }

  // pred_ and jo = J_o dz (guided, one batched pass per label set).
  void predict_jvp(const Mat& x, double t, const Mat& dz, Mat& jo) {
    const bool guided = conditional() && !labels_.empty();
    const Eigen::Index n = x.cols();
    z_ = (x.array().colwise() - m_->mean.array()).colwise() * inv_scale_.array();
    tv_.setConstant(n, float(t));
    if (guided) fill_labels(n);
    net_.forward(z_, tv_, guided ? lab_.data() : nullptr, pred_);
    net_.jvp(dz, jo);
    if (guided && guidance_ != 1.0) {
      net_.forward(z_, tv_, nullptr, null_out_);
      net_.jvp(dz, null_jo_);
      pred_ = float(guidance_) * pred_ + float(1.0 - guidance_) * null_out_;
      jo = float(guidance_) * jo + float(1.0 - guidance_) * null_jo_;
    }
    pred_ = (pred_.array().colwise() * a_.array()).colwise() + c_.array();
  }

  // Labels per column: one per column, or one for all; -1 is the null label.
  void fill_labels(Eigen::Index n) {
    if (labels_.size() != 1 && Eigen::Index(labels_.size()) != n)
      throw Error("got " + std::to_string(labels_.size()) + " labels for " + std::to_string(n) + " points");
    lab_.resize(size_t(n));
    for (Eigen::Index j = 0; j < n; ++j) {
      const int y = labels_[labels_.size() == 1 ? 0 : size_t(j)];
      lab_[size_t(j)] = y < 0 ? num_classes() : y;
    }
  }

  // v = c1 x + c2 pred at time t, read off the conversion itself.
  std::pair<double, double> affine_coefficients(double t) const {
    Mat x = Mat::Constant(1, 1, 1.0f), p = Mat::Zero(1, 1), v;
    prediction_to_velocity(m_->predict, m_->schedule, t, x, p, v);
    const double c1 = v(0, 0);
    x(0, 0) = 0;
    p(0, 0) = 1;
    prediction_to_velocity(m_->predict, m_->schedule, t, x, p, v);
    return {c1, v(0, 0)};
  }

  std::shared_ptr<const LearnedModel> m_;
  Net net_;
  Vec a_, c_, inv_scale_, tv_, gv_;
  Mat z_, pred_, null_out_, dz_, jo_, null_jo_, g_;
  std::vector<int> labels_, lab_;
  double guidance_ = 1.0;
  std::vector<std::unique_ptr<Worker>> workers_;  // the U-Net's, one per thread
};

}  // namespace

std::unique_ptr<Field> make_learned_field(LearnedModel m) {
  const Manifold manifold = m.manifold;
  auto f = std::make_unique<LearnedField>(std::make_shared<const LearnedModel>(std::move(m)));
  if (!manifold.curved()) return f;
  return std::make_unique<ManifoldField>(std::move(f), manifold);  // the output projected onto the tangent space
}

std::unique_ptr<Field> make_learned_field(const nlohmann::json& model, const std::string& where) {
  return make_learned_field(model_from_json(model, where));
}

}  // namespace flowkit
