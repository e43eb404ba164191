#include "flowkit/field.hpp"

namespace flowkit {

void Field::score(const Mat&, double, Mat&) {
  throw Error("this field (" + describe() + ") has no score");
}

void Field::velocity_divergence(const Mat&, double, Mat&, Vec&) {
  throw Error("this field (" + describe() + ") has no divergence");
}

void Field::velocity_jvp(const Mat&, double, const Mat&, Mat&, Mat&) {
  throw Error("this field (" + describe() + ") has no Jacobian-vector product");
}

void Field::set_condition(const std::vector<int>& labels, double) {
  for (int y : labels)
    if (y >= 0) throw usage_error("this model (" + describe() + ") is not class-conditional");
}

}  // namespace flowkit
