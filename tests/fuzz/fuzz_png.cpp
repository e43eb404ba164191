// fuzz: image loading (stb_image through the image-folder loader): one file in a folder,
// loaded with the file's own channels and converted to grey.
#include "flowkit/data/data.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  flowkit::fuzz::write_scratch("a.png", data, size);
  flowkit::fuzz::expect_clean([&] { flowkit::load_image_folder(flowkit::fuzz::scratch_dir(), 0); });
  flowkit::fuzz::expect_clean([&] { flowkit::load_image_folder(flowkit::fuzz::scratch_dir(), 1); });
  return 0;
}
