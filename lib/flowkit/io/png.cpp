#include "flowkit/io/png.hpp"

#include <stb/stb_image_write.h>

#include "flowkit/core/core.hpp"

namespace flowkit {
namespace {
// stb_image_write's sink: append each chunk to a std::string.
void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
}
}  // namespace

std::string encode_png(const uint8_t* pixels, int width, int height, int channels) {
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
    throw Error("cannot encode a PNG of " + std::to_string(width) + "x" + std::to_string(height) +
                " pixels with " + std::to_string(channels) + " channels");
  std::string out;
  if (!stbi_write_png_to_func(append_bytes, &out, width, height, channels, pixels,
                              width * channels))
    throw Error("PNG encoding failed for a " + std::to_string(width) + "x" +
                std::to_string(height) + " image");
  return out;
}

}  // namespace flowkit
