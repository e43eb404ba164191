#include <catch2/catch.hpp>

#include "flowkit/data/quantize.hpp"

using namespace flowkit;

TEST_CASE("quantize: equal bins over the window, the outside in the edge bins", "[discrete]") {
  Mat x(2, 5);
  x << -4.0f, -3.9375f, 0.0f, 3.99f, 9.0f,  // bins of width 1/16 on [-4, 4) with K = 128
      -5.0f, 1.0f, -0.01f, 4.0f, 2.0f;
  const VecD lo = VecD::Constant(2, -4), hi = VecD::Constant(2, 4);
  const Tokens t = quantize_points(x, 128, lo, hi);
  Tokens want(2, 5);
  want << 0, 1, 64, 127, 127, 0, 80, 63, 127, 96;
  CHECK(t == want);
  CHECK_THROWS_WITH(quantize_points(x, 1, lo, hi), Catch::Contains("--levels must be 2..65536"));
  CHECK_THROWS_WITH(quantize_points(x, 8, hi, lo), Catch::Contains("lo < hi"));
}

TEST_CASE("quantize: pixels as K grey levels, the byte's floor(b K / 256)", "[discrete]") {
  Mat x(1, 256);
  for (int b = 0; b < 256; ++b) x(0, b) = float(b) / 255.0f;  // every byte, as flow-data reads it
  for (int K : {2, 16, 256}) {
    const Tokens t = quantize_pixels(x, K);
    for (int b = 0; b < 256; ++b) CHECK(t(0, b) == b * K / 256);
  }
  const Tokens t16 = quantize_pixels(x, 16);
  CHECK(t16(0, 15) == 0);  // the top 4 bits
  CHECK(t16(0, 16) == 1);
  CHECK(t16(0, 255) == 15);
  Mat off(1, 3);
  off << -0.5f, 1.5f, 0.6f / 255.0f;  // clamped; 0.6 of a byte rounds to 1 (levels 256)
  const Tokens c = quantize_pixels(off, 256);
  CHECK(c(0, 0) == 0);
  CHECK(c(0, 1) == 255);
  CHECK(c(0, 2) == 1);
  CHECK_THROWS_WITH(quantize_pixels(x, 257), Catch::Contains("--levels of pixels must be 2..256"));
  CHECK_THROWS_WITH(quantize_pixels(x, 1), Catch::Contains("--levels of pixels must be 2..256"));
}
