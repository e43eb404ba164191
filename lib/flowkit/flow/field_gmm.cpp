// field: the Gaussian-mixture oracle. Component k at time t is N(a m_k, C_k) with
// C_k = a^2 S_k + b^2; v_k = a' m_k + C_k' / (2 C_k) (x - a m_k); s_k = -(x - a m_k) / C_k.
#include "flowkit/flow/field_gmm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "flowkit/flow/field_json.hpp"

namespace flowkit {
GmmField::GmmField(Gmm g, Schedule s) : g_(std::move(g)), s_(s) {
  const auto K = g_.weights.size();
  if (K == 0 || g_.means.cols() != K || g_.variances.cols() != K ||
      g_.variances.rows() != g_.means.rows() || g_.means.rows() == 0)
    throw Error("gmm: weights (K), means (d x K) and variances (d x K) do not fit");
  if ((g_.weights.array() <= 0).any() || (g_.variances.array() <= 0).any())
    throw Error("gmm: weights and variances must be positive");
  g_.weights /= g_.weights.sum();
}

namespace {
// "labels": a class 0, 1, .. for each component; every class up to the largest has one.
std::vector<int> json_labels(const nlohmann::json& j, Eigen::Index K, const std::string& where) {
  const VecD v = detail::json_vector(j, "\"labels\"", where);
  if (v.size() != K)
    throw Error(where + ": \"labels\" has " + std::to_string(v.size()) + " entries, want one per component (" +
                std::to_string(K) + ")");
  std::vector<int> labels;
  for (Eigen::Index k = 0; k < K; ++k) {
    if (v[k] < 0 || v[k] != std::floor(v[k]) || v[k] > 1e6)
      throw Error(where + ": \"labels\" entry " + std::to_string(k) + " is not a class number 0, 1, ..");
    labels.push_back(int(v[k]));
  }
  const int classes = *std::max_element(labels.begin(), labels.end()) + 1;
  for (int c = 0; c < classes; ++c)
    if (std::find(labels.begin(), labels.end(), c) == labels.end())
      throw Error(where + ": class " + std::to_string(c) + " has no component in \"labels\"");
  return labels;
}
}  // namespace

std::unique_ptr<GmmField> GmmField::from_json(const nlohmann::json& doc, const std::string& where) {
  using namespace detail;
  const auto& sj = member(doc, "schedule", where);
  if (!sj.is_string()) throw Error(where + ": \"schedule\" must be a string such as \"linear\"");
  Schedule sched;
  try {
    sched = Schedule::parse(sj.get<std::string>());
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  Gmm g;
  g.weights = json_vector(member(doc, "weights", where), "\"weights\"", where);
  const auto K = g.weights.size();
  if (K == 0) throw Error(where + ": \"weights\" is empty");
  for (Eigen::Index k = 0; k < K; ++k)
    if (!(g.weights[k] > 0))
      throw Error(where + ": \"weights\" entry " + std::to_string(k) + " is not positive");
  g.means = json_matrix(member(doc, "means", where), "\"means\"", where, K).transpose();
  g.variances =
      json_matrix(member(doc, "variances", where), "\"variances\"", where, K, g.means.rows()).transpose();
  for (Eigen::Index k = 0; k < K; ++k)
    if (!(g.variances.col(k).array() > 0).all())
      throw Error(where + ": \"variances\" row " + std::to_string(k) + " has an entry <= 0");
  if (doc.contains("labels")) g.labels = json_labels(doc["labels"], K, where);
  return std::make_unique<GmmField>(std::move(g), sched);
}

void GmmField::prepare(double t) {
  if (!std::isfinite(s_.da(t))) t = kTMin;  // poly:k with k < 1 is singular at t = 0
  const double a = s_.a(t), b = s_.b(t), da = s_.da(t), db = s_.db(t);
  const MatD C = (a * a) * g_.variances.array() + s_.noise_var(t);
  const MatD dC = (2 * a * da) * g_.variances.array() + 2 * b * db;
  am_ = (a * g_.means).cast<float>();
  dam_ = (da * g_.means).cast<float>();
  inv_c_ = C.cwiseInverse().cast<float>();
  half_dc_ = (dC.array() / (2 * C.array())).matrix().cast<float>();
  lognorm_ = (g_.weights.array().log() -
              0.5 * ((2 * M_PI * C.array()).log().colwise().sum().transpose()))
                 .cast<float>();
}

void GmmField::delta(const Mat& x, int k) { d_ = x.colwise() - am_.col(k); }

void GmmField::posterior(const Mat& x, bool masked) {
  const int K = int(g_.weights.size());
  r_.resize(K, x.cols());
  for (int k = 0; k < K; ++k) {
    delta(x, k);
    r_.row(k) = lognorm_[k] - 0.5f * (d_.array().square().colwise() * inv_c_.col(k).array()).colwise().sum();
  }
  // Class-conditional: only the components of each column's class (label -1: all)
  if (masked)
    for (Eigen::Index i = 0; i < x.cols(); ++i) {
      const int y = label(i);
      for (int k = 0; k < K && y >= 0; ++k)
        if (g_.labels[size_t(k)] != y) r_(k, i) = -std::numeric_limits<float>::infinity();
    }
  // Log-sum-exp over components, for all columns at once
  mx_ = r_.colwise().maxCoeff();
  r_ = (r_.array().rowwise() - mx_.array()).exp();
  sum_ = r_.colwise().sum();
  r_.array().rowwise() /= sum_.array();
  lse_ = (mx_.array() + sum_.array().log()).transpose();
}

// v = sum_k r_k v_k, s = sum_k r_k s_k and div v = sum_k r_k [ sum_j C_kj' / (2 C_kj) + (s_k - s) . v_k ]
// (div needs v), at the time of the last prepare().
void GmmField::evaluate(const Mat& x, bool masked, Mat* v, Mat* s, Vec* div) {
  posterior(x, masked);
  const int K = int(g_.weights.size());
  Mat& sc = s ? *s : tmp_;
  if (s || div) {
    sc.setZero(x.rows(), x.cols());
    for (int k = 0; k < K; ++k) {
      delta(x, k);
      sc.array() -= (d_.array().colwise() * inv_c_.col(k).array()).rowwise() * r_.row(k).array();
    }
  }
  if (!v) return;
  v->setZero(x.rows(), x.cols());
  if (div) div->setZero(x.cols());
  for (int k = 0; k < K; ++k) {
    delta(x, k);
    vk_ = (d_.array().colwise() * half_dc_.col(k).array()).colwise() + dam_.col(k).array();
    v->array() += vk_.array().rowwise() * r_.row(k).array();
    if (!div) continue;
    // (s_k - s) . v_k, with s_k = -(x - a m_k) / C_k
    d_ = -(d_.array().colwise() * inv_c_.col(k).array()).matrix() - sc;
    div->array() += r_.row(k).transpose().array() *
                    (half_dc_.col(k).sum() + (d_.array() * vk_.array()).colwise().sum().transpose());
  }
}

// With a condition: W f(x, t, y) + (1 - W) f(x, t) for each of v, s and div.
void GmmField::guided(const Mat& x, double t, Mat* v, Mat* s, Vec* div) {
  prepare(t);
  const bool cond = std::any_of(labels_.begin(), labels_.end(), [](int y) { return y >= 0; });
  if (!cond || guidance_ != 1.0) evaluate(x, false, v, s, div);
  if (!cond) return;
  if (guidance_ == 1.0) return evaluate(x, true, v, s, div);
  const float w = float(guidance_);
  if (v) gv_ = *v;
  if (s) gs_ = *s;
  if (div) gdiv_ = *div;
  evaluate(x, true, v, s, div);
  if (v) *v = w * *v + (1 - w) * gv_;
  if (s) *s = w * *s + (1 - w) * gs_;
  if (div) *div = w * *div + (1 - w) * gdiv_;
}

void GmmField::velocity(const Mat& x, double t, Mat& v) { guided(x, t, &v, nullptr, nullptr); }
void GmmField::score(const Mat& x, double t, Mat& s) { guided(x, t, nullptr, &s, nullptr); }
void GmmField::velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) { guided(x, t, &v, nullptr, &div); }

int GmmField::label(Eigen::Index i) const {
  if (labels_.empty()) return -1;
  return labels_[labels_.size() == 1 ? 0 : size_t(i)];
}

void GmmField::set_condition(const std::vector<int>& labels, double guidance) {
  check_labels(labels);
  if (!conditional()) return;
  labels_ = labels;
  guidance_ = guidance;
}

void GmmField::log_density(const Mat& x, double t, Vec& logp) {
  prepare(t);
  posterior(x, false);
  logp = lse_;
}

Mat GmmField::sample(int64_t n, Rng& rng) const {
  Mat x(g_.means.rows(), n);
  rng.fill_normal(x);
  for (int64_t i = 0; i < n; ++i) {
    // Component by inverse CDF of the weights
    double u = rng.uniform(), acc = 0;
    Eigen::Index k = 0;
    for (; k + 1 < g_.weights.size(); ++k) {
      acc += g_.weights[k];
      if (u < acc) break;
    }
    x.col(i) = (g_.means.col(k).array() + g_.variances.col(k).array().sqrt() * x.col(i).cast<double>().array())
                   .cast<float>();
  }
  return x;
}

std::string GmmField::describe() const {
  return "gmm (" + std::to_string(g_.weights.size()) + " components in " + std::to_string(dim()) + "-D, " +
         s_.name() + (conditional() ? ", " + std::to_string(num_classes()) + " classes" : "") + ")";
}

}  // namespace flowkit
