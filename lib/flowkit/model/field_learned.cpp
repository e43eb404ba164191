// field: the learned model. The network sees z = (x - mean) / scale and outputs o in
// normalized units; the prediction in data coordinates is pred = A o + c (model.hpp), and
// the velocity is affine in it: v = c1 x + c2 pred (path.hpp). Hence, by the chain rule,
// J_v = c1 I + c2 A J_o diag(1 / scale) and div v = c1 d + c2 sum_i (A_i / scale_i) (J_o)_ii.
// Classifier-free guidance mixes the predictions: (1 - W) o(null) + W o(y).
#include <algorithm>

#include "flowkit/flow/field.hpp"
#include "flowkit/model/model.hpp"

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
  bool has_score() const override { return !m_->source_data; }
  bool has_divergence() const override { return true; }
  bool has_jvp() const override { return true; }
  bool source_is_gaussian() const override { return !m_->source_data; }
  std::vector<int64_t> sample_shape() const override { return m_->shape; }
  bool conditional() const override { return m_->net.num_classes > 0; }
  int num_classes() const override { return m_->net.num_classes; }
  std::string describe() const override {
    const NetConfig& c = m_->net;
    return "learned (MLP " + std::to_string(c.depth) + "x" + std::to_string(c.width) + " " +
           choice_name(activations(), c.activation) + (c.residual ? " residual" : "") + ", " + m_->schedule.name() +
           ", predicts " + choice_name(predictions(), m_->predict) + ")";
  }

  void set_condition(const std::vector<int>& labels, double guidance) override {
    check_labels(labels);
    if (!conditional()) return;
    labels_ = labels;
    guidance_ = guidance;
  }

  void velocity(const Mat& x, double t, Mat& v) override {
    t = net_time(t, false);
    predict(x, t, pred_);
    prediction_to_velocity(m_->predict, m_->schedule, t, x, pred_, v);
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

 private:
  // The time the network sees: the time its prediction is converted at. A velocity needs no
  // conversion; a noise or data prediction is converted where its division is well
  // conditioned (path.hpp, conversion_time), and a score at t clamped into [kTMin, kTMax]; the
  // network sees that same time, so prediction and conversion agree (doc/MATH.md).
  double net_time(double t, bool for_score) const {
    return for_score ? std::clamp(t, kTMin, kTMax) : conversion_time(m_->predict, m_->schedule, t);
  }

  // The guided network output in normalized units, for every column of x.
  void network(const Mat& x, double t, Mat& out) {
    const Eigen::Index n = x.cols();
    if (x.rows() != dim()) throw Error("points of dimension " + std::to_string(x.rows()) + " for a model of dimension " + std::to_string(dim()));
    z_ = (x.array().colwise() - m_->mean.array()).colwise() * inv_scale_.array();
    tv_.setConstant(n, float(t));
    if (!conditional() || labels_.empty()) {
      net_.forward(z_, tv_, nullptr, out);
      return;
    }
    fill_labels(n);
    net_.forward(z_, tv_, lab_.data(), out);
    if (guidance_ != 1.0) {
      net_.forward(z_, tv_, nullptr, null_out_);
      out = float(guidance_) * out + float(1.0 - guidance_) * null_out_;
    }
  }

  void predict(const Mat& x, double t, Mat& pred) {
    network(x, t, pred);
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
  Mlp<float> net_;
  Vec a_, c_, inv_scale_, tv_;
  Mat z_, pred_, null_out_, dz_, jo_, null_jo_;
  std::vector<int> labels_, lab_;
  double guidance_ = 1.0;
};

}  // namespace

std::unique_ptr<Field> make_learned_field(const nlohmann::json& model, const std::string& where) {
  return std::make_unique<LearnedField>(std::make_shared<const LearnedModel>(model_from_json(model, where)));
}

}  // namespace flowkit
