// io: PNG encoding of 8-bit pixel buffers (stb_image_write), in memory so that the
// caller can write the bytes atomically (cli::write_output).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace flowkit {

// Encodes width x height pixels of `channels` bytes each (1 grey, 3 RGB, 4 RGBA), rows top
// to bottom, as a PNG file's bytes.
std::string encode_png(const uint8_t* pixels, int width, int height, int channels);

}  // namespace flowkit
