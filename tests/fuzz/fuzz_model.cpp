// fuzz: model files, as the programs read them: read_model_json on the file, load_field, then
// one velocity evaluation of a small batch, so that a model the loader accepts is also usable.
#include "flowkit/flow/field.hpp"
#include "flowkit/model/field_file.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = flowkit::fuzz::write_scratch("model.json", data, size);
  flowkit::fuzz::expect_clean([&] {
    auto field = flowkit::load_field(flowkit::read_model_json(path), path);
    if (field->dim() <= 0) __builtin_trap();  // the loader must reject a dimensionless field
    if (field->dim() > 4096) return;         // valid but too big to evaluate quickly
    flowkit::Mat x = flowkit::Mat::Constant(field->dim(), 3, 0.5f), v;
    field->velocity(x, 0.5, v);
    if (v.rows() != x.rows() || v.cols() != x.cols()) __builtin_trap();
  });
  return 0;
}
