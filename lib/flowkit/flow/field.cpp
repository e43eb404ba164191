#include "flowkit/flow/field.hpp"

namespace flowkit {

const Manifold& Field::manifold() const {
  static const Manifold flat;
  return flat;
}

void Field::score(const Mat&, double, Mat&) {
  throw Error("this field (" + describe() + ") has no score");
}

void Field::velocity_divergence(const Mat&, double, Mat&, Vec&) {
  throw Error("this field (" + describe() + ") has no divergence");
}

void Field::velocity_jvp(const Mat&, double, const Mat&, Mat&, Mat&) {
  throw Error("this field (" + describe() + ") has no Jacobian-vector product");
}

void Field::velocity_vjp(const Mat&, double, const Mat&, Mat&, Mat&) {
  throw Error("this field (" + describe() + ") has no vector-Jacobian product");
}

void Field::average_velocity(const Mat&, double, double, Mat&) {
  throw Error("this field (" + describe() + ") has no average velocity (not a MeanFlow or shortcut model)");
}

int Field::velocity_score(const Mat& x, double t, double ts, Mat& v, Mat& s) {
  velocity(x, t, v);
  score(x, ts, s);
  return 2;
}

void Field::set_condition(const std::vector<int>& labels, double) { check_labels(labels); }

void Field::check_labels(const std::vector<int>& labels) const {
  for (int y : labels) {
    if (y >= 0 && !conditional()) throw usage_error("this model (" + describe() + ") is not class-conditional");
    if (y >= num_classes())
      throw usage_error("class " + std::to_string(y) + " is out of range: this model has classes 0.." +
                        std::to_string(num_classes() - 1));
  }
}

}  // namespace flowkit
