// field: the linear field u(x, t) = A x + b. The zero field with SDE noise is Brownian motion,
// A = -theta I an Ornstein-Uhlenbeck process, an antisymmetric A a rotation.
#pragma once
#include "flowkit/flow/field.hpp"

namespace flowkit {

class LinearField : public Field {
 public:
  LinearField(const MatD& A, const VecD& b);
  // {"type": "linear", "A": [[..], ..], "b": [..]} ("b" optional, zero by default).
  static std::unique_ptr<LinearField> from_json(const nlohmann::json& doc, const std::string& where);

  int dim() const override { return int(A_.rows()); }
  void velocity(const Mat& x, double t, Mat& v) override;
  std::unique_ptr<Field> clone() const override { return std::make_unique<LinearField>(*this); }
  bool has_divergence() const override { return true; }
  void velocity_divergence(const Mat& x, double t, Mat& v, Vec& div) override;
  bool has_jvp() const override { return true; }
  void velocity_jvp(const Mat& x, double t, const Mat& dx, Mat& v, Mat& jdx) override;
  std::string describe() const override;

  const Mat& A() const { return A_; }
  const Vec& b() const { return b_; }

 private:
  Mat A_;
  Vec b_;
};

}  // namespace flowkit
