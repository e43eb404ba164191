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
