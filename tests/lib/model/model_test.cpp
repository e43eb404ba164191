// model: the model file round-trips exactly, and loading says precisely what is wrong.
#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/model/model.hpp"
#include "load_error.hpp"

using namespace flowkit;
using nlohmann::json;
using flowkit::test::load_error;

namespace {
LearnedModel small_model() {
  LearnedModel m;
  m.net.dim = 2;
  m.net.width = 8;
  m.net.depth = 2;
  m.shape = {2};
  m.mean = Vec::Constant(2, 0.5f);
  m.scale = Vec::Constant(2, 2.0f);
  m.schedule = Schedule::parse("poly:2");
  m.predict = Predict::data;
  Mlp<float> net(m.net);
  Rng r(1);
  net.init(r);
  m.weights = net.params();
  m.ema = m.weights;
  for (float& w : m.ema) w *= 0.5f;
  return m;
}

}  // namespace

TEST_CASE("base64 of float32 round-trips every bit pattern, with padding", "[model]") {
  for (size_t n : {0, 1, 2, 3, 7}) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = float(i) * -1.25e-7f + 3.0f;
    CHECK(base64_to_floats(floats_to_base64(v), "x") == v);
  }
  CHECK(floats_to_base64({1.0f}) == "AACAPw==");  // 0x3F800000 little-endian
  CHECK_THROWS_WITH(base64_to_floats("AAC*Pw==", "x"), Catch::Contains("bad base64 character at offset 3"));
  CHECK_THROWS_WITH(base64_to_floats("AACAPw=", "x"), Catch::Contains("not a multiple of 4"));
}

TEST_CASE("a model file round-trips exactly", "[model]") {
  const LearnedModel m = small_model();
  const json j = model_to_json(m);
  CHECK(j["format"] == "flowkit-model");
  CHECK(j["version"] == 1);
  CHECK(j["type"] == "learned");
  CHECK(j["schedule"] == "poly:2");
  CHECK(j["sampling_weights"] == "ema");
  const LearnedModel back = model_from_json(json::parse(j.dump()), "m.json");
  CHECK(back.weights == m.weights);
  CHECK(back.ema == m.ema);
  CHECK(back.sampling_weights() == m.ema);
  CHECK(model_to_json(back).dump() == j.dump());
}

TEST_CASE("loading names what is wrong in a model file", "[model]") {
  const json good = model_to_json(small_model());
  auto with = [&](const std::function<void(json&)>& f) {
    json j = good;
    f(j);
    return load_error(j);
  };
  CHECK(load_error(good).empty());
  CHECK_THAT(with([](json& j) { j["format"] = "npy"; }), Catch::Contains("format is 'npy'"));
  CHECK_THAT(with([](json& j) { j["version"] = 2; }), Catch::Contains("model version 2 is not supported"));
  CHECK_THAT(with([](json& j) { j.erase("weights"); }), Catch::Contains("missing field 'weights'"));
  CHECK_THAT(with([](json& j) { j["architecture"].erase("width"); }), Catch::Contains("missing field 'architecture.width'"));
  CHECK_THAT(with([](json& j) { j["architecture"]["activation"] = "swish"; }),
             Catch::Contains("unknown activation 'swish'; one of silu"));
  CHECK_THAT(with([](json& j) { j["predict"] = "score"; }), Catch::Contains("unknown prediction 'score'"));
  CHECK_THAT(with([](json& j) { j["shape"] = {3}; }), Catch::Contains("does not hold 'dim' 2"));
  CHECK_THAT(with([](json& j) { j["normalization"]["scale"] = {1, 0}; }), Catch::Contains("scale' must be positive"));
  CHECK_THAT(with([](json& j) { j["weights"][2]["shape"] = {8, 9}; }),
             Catch::Contains("tensor 'hidden1.W' has shape [8,9], expected [8,8]"));
  CHECK_THAT(with([](json& j) { j["weights"][1]["data"] = floats_to_base64({1, 2}); }),
             Catch::Contains("tensor 'in.b' holds 2 values, expected 8"));
  CHECK_THAT(with([](json& j) { j["ema_weights"][0]["data"] = floats_to_base64(std::vector<float>(8 * 18, NAN)); }),
             Catch::Contains("tensor 'in.W' value 0 is not finite"));
  CHECK_THAT(with([](json& j) { j["weights"].erase(3); }), Catch::Contains("must list 6 tensors"));
  CHECK_THAT(with([](json& j) { j["schedule"] = "poly:x"; }), Catch::Contains("bad schedule"));
  // Sizes whose product wraps around 2^64 to 'dim' (here (2^63 + 1) x 2 = 2 mod 2^64), and
  // counts past 32 bits that an int would cut to their low bits
  CHECK_THAT(with([](json& j) { j["shape"] = {(uint64_t(1) << 63) + 1, 2}; }), Catch::Contains("does not hold 'dim' 2"));
  CHECK_THAT(with([](json& j) { j["shape"] = {(int64_t(1) << 62) + 1, 4, 2}; }), Catch::Contains("does not hold 'dim' 2"));
  CHECK_THAT(with([](json& j) { j["architecture"]["width"] = (int64_t(1) << 32) + 8; }),
             Catch::Contains("'architecture.width' must be an integer of 32 bits"));
  CHECK_THAT(with([](json& j) { j["architecture"]["num_classes"] = 2147483647; }),
             Catch::Contains("the number of classes must be in 0..1048576"));
}

TEST_CASE("a hostile architecture is refused before its parameters are allocated", "[model]") {
  // A file of a few kilobytes that declares width 65536 and depth 1000 (4 * 10^12 parameters):
  // the tensors' count, declared shapes and base64 lengths are checked against the layout first
  json j = model_to_json(small_model());
  j["architecture"]["width"] = 65536;
  j["architecture"]["depth"] = 1000;
  CHECK_THAT(load_error(j), Catch::Contains("'weights' must list 2002 tensors for this architecture, found 6"));
  j["architecture"]["depth"] = 2;  // 8.6 * 10^9 parameters
  CHECK_THAT(load_error(j), Catch::Contains("tensor 'in.W' has shape [8,18], expected [65536,18]"));
  j["weights"][0]["shape"] = {65536, 18};  // the shape edited too: the bytes still say 144 values
  CHECK_THAT(load_error(j), Catch::Contains("tensor 'in.W' holds 144 values, expected 1179648"));
}
