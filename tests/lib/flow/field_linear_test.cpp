#include <catch2/catch.hpp>

#include "flowkit/flow/field_linear.hpp"

using namespace flowkit;
using nlohmann::json;

TEST_CASE("linear: velocity A x + b, divergence trace A, Jacobian A", "[field]") {
  const json doc = {{"format", "flowkit-model"}, {"version", 1}, {"type", "linear"},
                    {"A", {{0.0, -1.0}, {1.0, -0.5}}}, {"b", {0.25, -1.0}}};
  auto f = load_field(doc, "rot.json");
  REQUIRE(f->dim() == 2);
  Mat x(2, 3), dx(2, 3);
  x << 1, 2, -1, 0, 3, 0.5;
  dx << 1, 0, 2, 0, 1, -1;
  Mat v, jdx;
  Vec div;
  f->velocity_divergence(x, 0.3, v, div);
  CHECK(v(0, 1) == Approx(-3 + 0.25));
  CHECK(v(1, 1) == Approx(2 - 1.5 - 1));
  CHECK(div[2] == Approx(-0.5));
  f->velocity_jvp(x, 0.3, dx, v, jdx);
  CHECK(jdx(0, 2) == Approx(1));
  CHECK(jdx(1, 2) == Approx(2 + 0.5));
  CHECK_FALSE(f->has_score());
  Mat s;
  REQUIRE_THROWS_WITH(f->score(x, 0.5, s), Catch::Contains("has no score"));
  CHECK(f->describe() == "linear field u = A x + b in 2-D");
}

TEST_CASE("linear: b is optional, and bad shapes are named", "[field]") {
  json doc = {{"format", "flowkit-model"}, {"version", 1}, {"type", "linear"}, {"A", {{-1.0}}}};
  auto f = load_field(doc, "ou.json");
  Mat x = Mat::Constant(1, 2, 2.0f), v;
  f->velocity(x, 0, v);
  CHECK(v(0, 1) == -2);
  doc["b"] = {1.0, 2.0};
  REQUIRE_THROWS_WITH(load_field(doc, "ou.json"), "ou.json: \"b\" has 2 numbers, want 1");
  doc["A"] = {{1.0, 2.0}};
  REQUIRE_THROWS_WITH(load_field(doc, "ou.json"), "ou.json: \"A\" is 1 x 2, want a square matrix");
  doc.erase("A");
  REQUIRE_THROWS_WITH(load_field(doc, "ou.json"), "ou.json: model has no \"A\"");
}
