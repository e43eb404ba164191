// field: a field restricted to a curved manifold (manifold.hpp): any field w (learned, linear)
// whose velocity is projected onto the tangent space, v = proj_x(w), with the Riemannian
// divergence and the Jacobian-vector products of that projected field. On the sphere, for
// v = w - <x, w> x at |x| = 1: div_M v = tr J_w - x^T J_w x - (d - 1) <x, w> (doc/MATH.md).
#pragma once
#include "flowkit/flow/field.hpp"

namespace flowkit {

class ManifoldField : public Field {
 public:
  ManifoldField(std::unique_ptr<Field> inner, const Manifold& m);

  int dim() const override { return inner_->dim(); }
  const Manifold& manifold() const override { return m_; }
  void velocity(const Mat& x, double t, Mat& v) override;
  std::unique_ptr<Field> clone() const override;
  // The exact divergence needs tr J_w and, on the sphere, one product J_w x.
  bool has_divergence() const override {
    return inner_->has_divergence() && (m_.kind != ManifoldKind::sphere || inner_->has_jvp());
  }
  void velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) override;
  bool has_jvp() const override { return inner_->has_jvp(); }
  // J_v dx = J_w dx - (<dx, w> + <x, J_w dx>) x - <x, w> dx on the sphere.
  void velocity_jvp(const Mat& x, double t, const Mat& dx, Mat& v, Mat& jdx) override;
  bool source_is_gaussian() const override { return false; }
  std::vector<int64_t> sample_shape() const override { return inner_->sample_shape(); }
  std::string describe() const override;
  bool conditional() const override { return inner_->conditional(); }
  int num_classes() const override { return inner_->num_classes(); }
  void set_condition(const std::vector<int>& labels, double guidance) override {
    inner_->set_condition(labels, guidance);
  }

 private:
  std::unique_ptr<Field> inner_;
  Manifold m_;
  Mat w_, jx_;
  Vec trj_;
};

// The manifold a model document names ("manifold": "sphere" | "torus", absent: euclidean) with
// its source ("source": "uniform" | "wrapped-normal:S"); errors name `where`.
Manifold manifold_from_json(const nlohmann::json& doc, const std::string& where);
// Writes "manifold" and "source" into a model document (nothing for euclidean space).
void manifold_to_json(const Manifold& m, nlohmann::json& doc);

}  // namespace flowkit
