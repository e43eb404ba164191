// fuzz: safetensors model files, as the programs read them: the byte-level reader on the
// bytes, then read_model on the file (mapped, checked, mapped onto the architecture) and one
// velocity evaluation of a small batch, so that a model the loader accepts is also usable.
#include "flowkit/flow/field.hpp"
#include "flowkit/io/safetensors.hpp"
#include "flowkit/model/field_file.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  flowkit::fuzz::expect_clean([&] {
    const auto f = flowkit::safetensors::File::parse(flowkit::fuzz::bytes(data, size), "m.safetensors");
    std::vector<float> v;
    for (const auto& t : f.tensors()) {  // every accepted tensor's bytes are readable
      v.resize(t.count());
      t.copy_to(v.data());
    }
  });
  const std::string path = flowkit::fuzz::write_scratch("model.safetensors", data, size);
  flowkit::fuzz::expect_clean([&] {
    auto field = flowkit::read_model(path).field;
    if (field->dim() <= 0) __builtin_trap();
    if (field->dim() > 4096) return;
    flowkit::Mat x = flowkit::Mat::Constant(field->dim(), 3, 0.5f), v;
    field->velocity(x, 0.5, v);
    if (v.rows() != x.rows() || v.cols() != x.cols()) __builtin_trap();
  });
  return 0;
}
