// field: u(x, t) = A x + b, with divergence trace A and Jacobian A.
#include "flowkit/flow/field_linear.hpp"

#include "flowkit/flow/field_json.hpp"

#include <cfloat>

namespace flowkit {

LinearField::LinearField(const MatD& A, const VecD& b) : A_(A.cast<float>()), b_(b.cast<float>()) {
  if (A.rows() != A.cols() || A.rows() != b.size() || A.rows() == 0)
    throw Error("linear field: A must be d x d and b of length d");
}

std::unique_ptr<LinearField> LinearField::from_json(const nlohmann::json& doc, const std::string& where) {
  const MatD A = detail::json_matrix(detail::member(doc, "A", where), "\"A\"", where);
  if (A.rows() != A.cols())
    throw Error(where + ": \"A\" is " + std::to_string(A.rows()) + " x " + std::to_string(A.cols()) +
                ", want a square matrix");
  VecD b = VecD::Zero(A.rows());
  if (doc.contains("b")) {
    b = detail::json_vector(doc["b"], "\"b\"", where);
    if (b.size() != A.rows())
      throw Error(where + ": \"b\" has " + std::to_string(b.size()) + " numbers, want " +
                  std::to_string(A.rows()));
  }
  // Finite as doubles, but the field computes in float: 1e39 would be inf there
  if (!((A.array().abs() <= FLT_MAX).all() && (b.array().abs() <= FLT_MAX).all()))
    throw Error(where + ": \"A\" and \"b\" must be within float's range (|value| < 3.4e38)");
  return std::make_unique<LinearField>(A, b);
}

void LinearField::velocity(const Mat& x, double, Mat& v) {
  v.noalias() = A_ * x;
  v.colwise() += b_;
}

void LinearField::velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) {
  velocity(x, t, v);
  div.setConstant(x.cols(), A_.trace());
}

void LinearField::velocity_jvp(const Mat& x, double t, const Mat& dx, Mat& v, Mat& jdx) {
  velocity(x, t, v);
  jdx.noalias() = A_ * dx;
}

std::string LinearField::describe() const {
  return "linear field u = A x + b in " + std::to_string(dim()) + "-D";
}

}  // namespace flowkit
