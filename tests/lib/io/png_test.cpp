#include "flowkit/io/png.hpp"

#include <stb/stb_image.h>

#include <catch2/catch.hpp>

#include "flowkit/core/core.hpp"

using namespace flowkit;

namespace {
// Decodes PNG bytes with stb_image: the pixels, and the size through w, h
std::vector<uint8_t> decode(const std::string& png, int& w, int& h, int channels) {
  int n = 0;
  uint8_t* p = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()), int(png.size()),
                                     &w, &h, &n, channels);
  REQUIRE(p != nullptr);
  std::vector<uint8_t> out(p, p + size_t(w) * size_t(h) * size_t(channels));
  stbi_image_free(p);
  return out;
}
}  // namespace

TEST_CASE("png: RGB pixels survive an encode/decode round trip exactly", "[plot]") {
  const int w = 5, h = 3;
  std::vector<uint8_t> px(w * h * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 37 % 256);
  const std::string png = encode_png(px.data(), w, h, 3);
  CHECK(png.substr(1, 3) == "PNG");
  int dw = 0, dh = 0;
  CHECK(decode(png, dw, dh, 3) == px);
  CHECK(dw == w);
  CHECK(dh == h);
}

TEST_CASE("png: grey images keep one channel", "[plot]") {
  std::vector<uint8_t> px = {0, 64, 128, 255};
  int w = 0, h = 0;
  CHECK(decode(encode_png(px.data(), 2, 2, 1), w, h, 1) == px);
  CHECK(w == 2);
}

TEST_CASE("png: empty or malformed sizes are errors", "[plot]") {
  std::vector<uint8_t> px(12);
  CHECK_THROWS_AS(encode_png(px.data(), 0, 2, 3), Error);
  CHECK_THROWS_AS(encode_png(px.data(), 2, 2, 5), Error);
}
