// model: the safetensors form of a model holds the same bits and configuration as the JSON
// form, in C order, and a file that does not fit the architecture is refused by name.
#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>

#include "flowkit/model/model_safetensors.hpp"
#include "unet_fixture.hpp"

using namespace flowkit;
using nlohmann::json;
namespace st = flowkit::safetensors;

namespace {
LearnedModel model(bool residual, int classes) {
  LearnedModel m;
  m.net.dim = 3;
  m.net.width = 5;
  m.net.depth = 2;
  m.net.residual = residual;
  m.net.num_classes = classes;
  m.net.activation = Activation::selu;
  m.shape = {3};
  m.mean = Vec::Constant(3, 0.25f);
  m.scale = Vec::Constant(3, 1.5f);
  m.schedule = Schedule::parse("cosine");
  m.predict = Predict::noise;
  Mlp<float> net(m.net);
  Rng r(7);
  net.init(r);
  m.weights = net.params();
  m.ema = m.weights;
  for (float& w : m.ema) w *= -0.5f;
  m.training = {{"steps", 10}};
  return m;
}

std::string bytes_of(const LearnedModel& m) {
  std::ostringstream os;
  write_model_safetensors(os, m);
  return os.str();
}

// A file whose tensors are those of `m` with one header entry replaced.
std::string error_of(const std::string& bytes) {
  try {
    model_from_safetensors(st::File::parse(bytes, "m.safetensors"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("safetensors model: the same weights, EMA and configuration as the JSON form", "[safetensors]") {
  for (bool residual : {false, true})
    for (int classes : {0, 3}) {
      const LearnedModel m = model(residual, classes);
      json config;
      const LearnedModel back = model_from_safetensors(st::File::parse(bytes_of(m), "m.safetensors"), &config);
      CHECK(back.weights == m.weights);
      CHECK(back.ema == m.ema);
      CHECK(model_to_json(back).dump() == model_to_json(m).dump());
      CHECK_FALSE(config.contains("weights"));
      CHECK(config["architecture"]["activation"] == "selu");
    }
}

TEST_CASE("safetensors model: tensors are C order [rows, cols], columns 1-D", "[safetensors]") {
  const LearnedModel m = model(false, 0);
  const st::File f = st::File::parse(bytes_of(m), "m.safetensors");
  const st::Tensor* w = f.find("weights.in.W");  // width x (dim + time features)
  REQUIRE(w);
  const int in = m.net.in_features();
  CHECK(w->shape == std::vector<int64_t>{5, in});
  std::vector<float> v(w->count());
  w->copy_to(v.data());
  // row 1, column 2 of the column-major block
  CHECK(v[size_t(1 * in + 2)] == m.weights[size_t(2 * 5 + 1)]);
  CHECK(f.find("weights.in.b")->shape == std::vector<int64_t>{5});
  CHECK(f.find("ema.out.W")->shape == std::vector<int64_t>{3, 5});
  CHECK(f.metadata().count("flowkit") == 1);
}

TEST_CASE("safetensors model: a file that does not fit the architecture is refused by name", "[safetensors]") {
  LearnedModel m = model(false, 0);
  std::string b = bytes_of(m);
  // The configuration says width 5; a file claiming width 6 has the wrong tensor shapes
  LearnedModel wide = m;
  wide.net.width = 6;
  Mlp<float> net(wide.net);
  wide.weights = net.params();
  wide.ema.clear();
  std::ostringstream os;
  {
    json config = model_to_json(m);
    config.erase("weights");
    config.erase("ema_weights");
    std::vector<st::Out> out;
    std::vector<std::vector<float>> scratch;
    scratch.reserve(64);
    blocks_to_tensors("weights", param_layout(wide.net), wide.weights, out, scratch);
    st::write(os, out, {{"flowkit", config.dump()}});
  }
  CHECK(error_of(os.str()) == "m.safetensors: tensor 'weights.in.W' has shape [6,19], expected [5,19]");
  // A model without its metadata, and one with a stray tensor
  std::ostringstream bare;
  const float x = 1;
  st::write(bare, {{"x", {1}, &x}}, {});
  CHECK(error_of(bare.str()) == "m.safetensors: not a flowkit model (no \"flowkit\" key in the header's __metadata__)");
  std::ostringstream stray;
  json config = model_to_json(m);
  config.erase("weights");
  config.erase("ema_weights");
  st::write(stray, {{"x", {1}, &x}}, {{"flowkit", config.dump()}});
  CHECK(error_of(stray.str()) == "m.safetensors: tensor 'x' is not part of this model's architecture");
  // A non-finite weight
  m.weights[3] = std::nanf("");
  CHECK_THAT(error_of(bytes_of(m)), Catch::Contains("tensor 'weights.in.W' value") && Catch::Contains("is not finite"));
}

TEST_CASE("safetensors model: a field reads only the set it samples with", "[safetensors]") {
  LearnedModel m = model(true, 2);
  const st::File f = st::File::parse(bytes_of(m), "m.safetensors");
  const LearnedModel ema_only = model_from_safetensors(f, nullptr, true);
  CHECK(ema_only.weights.empty());
  CHECK(ema_only.sampling_weights() == m.ema);
  m.use_ema = false;
  const LearnedModel plain = model_from_safetensors(st::File::parse(bytes_of(m), "m.safetensors"), nullptr, true);
  CHECK(plain.ema.empty());
  CHECK(plain.sampling_weights() == m.weights);
}

TEST_CASE("safetensors model: a U-Net round-trips bit for bit and rebuilds the same network", "[safetensors][unet]") {
  LearnedModel m = test::unet_model();
  m.ema = m.weights;
  for (float& w : m.ema) w = 0.5f * w + 0.125f;
  const LearnedModel back = model_from_safetensors(st::File::parse(bytes_of(m), "m.safetensors"));
  CHECK(back.weights == m.weights);
  CHECK(back.ema == m.ema);
  CHECK(back.net.kind == NetKind::unet);
  CHECK(back.net.unet.channels == m.net.unet.channels);
  CHECK(back.shape == m.shape);
  CHECK(model_to_json(back) == model_to_json(m));
}

TEST_CASE("safetensors model: a hostile architecture is refused before anything its size is allocated",
          "[safetensors][unet]") {
  // The metadata of a small U-Net's file edited to channels [2048, 4096] (1.2 * 10^8
  // parameters): refused by the first tensor's shape, before the parameters are allocated
  const std::string b = bytes_of(test::unet_model());
  const st::File f = st::File::parse(b, "m.safetensors");
  json config = json::parse(f.metadata().at("flowkit"));
  config["architecture"]["channels"] = {2048, 4096};
  std::vector<st::Out> out;
  std::vector<std::vector<float>> copies;
  copies.reserve(f.tensors().size());
  for (const st::Tensor& t : f.tensors()) {
    copies.emplace_back(t.count());
    t.copy_to(copies.back().data());
    out.push_back({t.name, t.shape, copies.back().data()});
  }
  std::ostringstream os;
  st::write(os, out, {{"flowkit", config.dump()}});
  CHECK_THAT(error_of(os.str()), Catch::Contains("expected [2048,"));
}
