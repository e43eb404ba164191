// field: the exact marginal field of a Gaussian-mixture target sum_k w_k N(m_k, diag(S_k))
// under any schedule (doc/MATH.md, "Exact oracles"): velocity, score, divergence and the
// log density of p_t in closed form, with log-sum-exp posterior weights.
#pragma once
#include <algorithm>

#include "flowkit/flow/field.hpp"
#include "flowkit/flow/path.hpp"

namespace flowkit {

struct Gmm {
  VecD weights;    // K, positive, summing to 1
  MatD means;      // d x K
  MatD variances;  // d x K, positive (diagonal covariances)
  std::vector<int> labels;  // empty, or the class of each component (class-conditional)
};

class GmmField : public Field {
 public:
  GmmField(Gmm g, Schedule s);
  // {"type": "gmm", "schedule": "linear", "weights": [..], "means": [[..]], "variances": [[..]]},
  // optionally "labels": [..] (a class for each component)
  static std::unique_ptr<GmmField> from_json(const nlohmann::json& doc, const std::string& where);

  int dim() const override { return int(g_.means.rows()); }
  void velocity(const Mat& x, double t, Mat& v) override;
  std::unique_ptr<Field> clone() const override { return std::make_unique<GmmField>(g_, s_); }
  bool has_score() const override { return true; }
  void score(const Mat& x, double t, Mat& s) override;
  bool has_divergence() const override { return true; }
  void velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) override;
  std::string describe() const override;
  bool conditional() const override { return !g_.labels.empty(); }
  int num_classes() const override {
    return conditional() ? *std::max_element(g_.labels.begin(), g_.labels.end()) + 1 : 0;
  }
  void set_condition(const std::vector<int>& labels, double guidance) override;

  // log p_t(x) for every column.
  void log_density(const Mat& x, double t, Vec& logp);
  // n exact samples of the target p_1.
  Mat sample(int64_t n, Rng& rng) const;

  const Gmm& gmm() const { return g_; }
  const Schedule& schedule() const { return s_; }

 private:
  void prepare(double t);          // the per-component coefficients at time t
  void posterior(const Mat& x, bool masked);  // r_ (K x n) and lse_ (n)
  void evaluate(const Mat& x, bool masked, Mat* v, Mat* s, Vec* div);
  void guided(const Mat& x, double t, Mat* v, Mat* s, Vec* div);
  int label(Eigen::Index column) const;
  void delta(const Mat& x, int k); // d_ = x - a m_k

  Gmm g_;
  Schedule s_;
  // Coefficients at the time of the last prepare(): a m_k, a' m_k, 1 / C_k, C_k' / (2 C_k)
  Mat am_, dam_, inv_c_, half_dc_;
  Vec lognorm_;  // log w_k - 1/2 sum_j log(2 pi C_kj)
  // Workspaces
  Mat d_, r_, tmp_, vk_, gv_, gs_;
  Vec gdiv_;
  // Condition: a label per column (or one for all; -1 unconditional) and the guidance weight
  std::vector<int> labels_;
  double guidance_ = 1.0;
  Vec lse_;
  Eigen::RowVectorXf mx_, sum_;
};

}  // namespace flowkit
