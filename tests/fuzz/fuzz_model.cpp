// fuzz: model files: JSON parsing, then load_field, then one velocity evaluation of a small
// batch, so that a model the loader accepts must also be usable.
#include <nlohmann/json.hpp>

#include "flowkit/field.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;  // not JSON: read_model_json's error, not the loader's
  flowkit::fuzz::expect_clean([&] {
    auto field = flowkit::load_field(doc, "<fuzz>");
    if (field->dim() <= 0) __builtin_trap();  // the loader must reject a dimensionless field
    if (field->dim() > 4096) return;         // valid but too big to evaluate quickly
    flowkit::Mat x = flowkit::Mat::Constant(field->dim(), 3, 0.5f), v;
    field->velocity(x, 0.5, v);
    if (v.rows() != x.rows() || v.cols() != x.cols()) __builtin_trap();
  });
  return 0;
}
