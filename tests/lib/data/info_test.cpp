// data/info: the number of levels of quantized data (for dequantized densities, MATH.md).
#include "flowkit/data/info.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace flowkit;

TEST_CASE("quantization levels: k / (L - 1) values give L, anything else 0", "[data]") {
  auto levels = [](int q, int count, float shift = 0) {
    std::vector<float> v;
    for (int i = 0; i < count; ++i) v.push_back(float(i % (q + 1)) / float(q) + shift);
    return quantization_levels(v.data(), v.size());
  };
  CHECK(levels(16, 100) == 17);    // the 8x8 digits: k / 16
  CHECK(levels(255, 1000) == 256); // 8-bit images: k / 255
  CHECK(levels(1, 10) == 2);
  CHECK(levels(16, 100, 0.01f) == 0);  // shifted: not levels of [0, 1]
  const std::vector<float> gauss = {0.31f, -1.2f, 0.7f};
  CHECK(quantization_levels(gauss.data(), gauss.size()) == 0);
  CHECK(quantization_levels(gauss.data(), 0) == 0);
}
