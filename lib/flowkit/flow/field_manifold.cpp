// field: the projected field on a manifold and its Riemannian divergence.
#include "flowkit/flow/field_manifold.hpp"

namespace flowkit {

ManifoldField::ManifoldField(std::unique_ptr<Field> inner, const Manifold& m) : inner_(std::move(inner)), m_(m) {
  if (m_.kind == ManifoldKind::sphere && inner_->dim() < 2)
    throw Error("a field on the sphere needs dimension d >= 2 (S^{d-1} in R^d), got " + std::to_string(inner_->dim()));
}

std::unique_ptr<Field> ManifoldField::clone() const {
  return std::make_unique<ManifoldField>(inner_->clone(), m_);
}

std::string ManifoldField::describe() const {
  return inner_->describe() + " on the " + m_.name() + " (source " + m_.source_name() + ")";
}

void ManifoldField::velocity(const Mat& x, double t, Mat& v) {
  inner_->velocity(x, t, v);
  m_.to_tangent(x, v);
}

void ManifoldField::velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) {
  inner_->velocity_divergence(x, t, w_, trj_);
  div = trj_;
  if (m_.kind == ManifoldKind::sphere) {
    // div_M v = tr J_w - x^T J_w x - (d - 1) <x, w>
    inner_->velocity_jvp(x, t, x, v, jx_);
    const float dm1 = float(x.rows() - 1);
    div -= (x.cwiseProduct(jx_).colwise().sum() + dm1 * x.cwiseProduct(w_).colwise().sum()).transpose();
  }
  v = w_;
  m_.to_tangent(x, v);
}

void ManifoldField::velocity_jvp(const Mat& x, double t, const Mat& dx, Mat& v, Mat& jdx) {
  inner_->velocity_jvp(x, t, dx, w_, jdx);
  if (m_.kind == ManifoldKind::sphere) {
    // dx holds k blocks of n tangent columns, all at the same n points
    const Eigen::Index n = x.cols();
    for (Eigen::Index c = 0; c < dx.cols(); ++c) {
      const Eigen::Index p = c % n;
      const float xw = x.col(p).dot(w_.col(p)), a = dx.col(c).dot(w_.col(p)) + x.col(p).dot(jdx.col(c));
      jdx.col(c) -= a * x.col(p) + xw * dx.col(c);
    }
  }
  v = w_;
  m_.to_tangent(x, v);
}

Manifold manifold_from_json(const nlohmann::json& doc, const std::string& where) {
  Manifold m;
  if (!doc.is_object() || !doc.contains("manifold")) return m;
  const auto& k = doc["manifold"];
  const auto& s = doc.contains("source") ? doc["source"] : nlohmann::json("uniform");
  if (!k.is_string() || !s.is_string())
    throw Error(where + ": 'manifold' and 'source' must be strings");
  try {
    m = Manifold::parse(k.get<std::string>());
    if (m.curved()) m.parse_source(s.get<std::string>());
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());  // a bad name in a file is a runtime error, not usage
  }
  return m;
}

void manifold_to_json(const Manifold& m, nlohmann::json& doc) {
  if (!m.curved()) return;
  doc["manifold"] = m.name();
  doc["source"] = m.source_name();
}

}  // namespace flowkit
