// fuzz: IDX files (MNIST), plain or gzipped: as images alone, and as images with themselves as
// labels (so the label checks run on hostile headers too).
#include "flowkit/data/data.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = flowkit::fuzz::write_scratch("images.idx", data, size);
  flowkit::fuzz::expect_clean([&] { flowkit::load_idx(path, ""); });
  flowkit::fuzz::expect_clean([&] { flowkit::load_idx(path, path); });
  return 0;
}
