// model: a U-Net model file round-trips, and its architecture section is checked field by field.
#include <catch2/catch.hpp>

#include "flowkit/flow/discrete.hpp"
#include "flowkit/flow/field.hpp"
#include "flowkit/model/discrete_load.hpp"
#include "flowkit/model/field_file.hpp"
#include "flowkit/model/model.hpp"
#include "load_error.hpp"
#include "unet_fixture.hpp"
#include "flowkit/nn/net.hpp"

using namespace flowkit;
using nlohmann::json;
using flowkit::test::load_error;
using flowkit::test::unet_model;
using flowkit::test::small_unet_config;


TEST_CASE("a U-Net model file round-trips and rebuilds the same network", "[model][unet]") {
  const LearnedModel m = unet_model();
  const json j = model_to_json(m);
  CHECK(j["architecture"] == json{{"kind", "unet"},
                                  {"channels", {4, 8}},
                                  {"blocks", 1},
                                  {"embed", 6},
                                  {"groups", 2},
                                  {"time_freqs", 8},
                                  {"num_classes", 2}});
  const LearnedModel back = model_from_json(json::parse(j.dump()), "m.json");
  CHECK(back.weights == m.weights);
  CHECK(back.net.kind == NetKind::unet);
  CHECK(back.net.unet.channels == m.net.unet.channels);
  CHECK(back.net.unet.image_channels == 3);
  CHECK(back.net.unet.height == 4);
  CHECK(back.net.unet.width == 6);
  Net a(m.net), b(back.net);
  a.params() = m.weights;
  b.params() = back.weights;
  Mat x = Mat::Random(m.net.dim, 2), ya, yb;
  const Vec t = Vec::Constant(2, 0.25f);
  a.forward(x, t, nullptr, ya);
  b.forward(x, t, nullptr, yb);
  CHECK(ya == yb);
}

TEST_CASE("a U-Net architecture with a missing, unknown or bad field is a clear error",
          "[model][unet]") {
  const json good = model_to_json(unet_model());
  json j = good;
  j["architecture"].erase("embed");
  CHECK_THAT(load_error(j), Catch::Contains("missing field 'architecture.embed'"));
  j = good;
  j["architecture"]["width"] = 8;
  CHECK_THAT(load_error(j), Catch::Contains("unknown field 'architecture.width'"));
  j = good;
  j["architecture"]["kind"] = "transformer";
  CHECK_THAT(load_error(j), Catch::Contains("unknown network kind 'transformer'"));
  j = good;
  j["architecture"]["channels"] = {4, 5};
  CHECK_THAT(load_error(j), Catch::Contains("multiple of --groups"));
  j = good;
  j["shape"] = {72};
  CHECK_THAT(load_error(j), Catch::Contains("needs an image 'shape'"));
  j = good;
  j["architecture"]["channels"] = {4, 8, 8};  // 4 x 6 images do not halve twice
  CHECK_THAT(load_error(j), Catch::Contains("divide by 4"));
}

TEST_CASE("a U-Net field: exact divergence and VJP match finite differences, guided or not, for "
          "every prediction and at the ends of time",
          "[model][unet]") {
  // Noise and data predictions are converted at an adjusted time near t = 0 and t = 1
  // (conversion_time): the reverse-mode paths must run the network and convert its output at
  // that same time, as velocity() does, or the density is wrong by orders of magnitude there.
  for (const auto& p : predictions())
    for (double t : {0.4, 1e-3, 0.999}) {
      LearnedModel m = unet_model();
      m.predict = p.value;
      m.mean = Vec::LinSpaced(m.net.dim, -0.5, 0.5);
      m.scale = Vec::LinSpaced(m.net.dim, 0.5, 2);
      Rng r(9);
      for (float& w : m.weights) w += 0.1f * float(r.normal());  // the zero-initialized layers too
      auto f = load_field(model_to_json(m), "m.json");
      REQUIRE(f->has_vjp());
      REQUIRE_FALSE(f->has_jvp());
      const int n = 70;  // nine pieces of the field's batch, the last one short
      Mat x(m.net.dim, n), u(m.net.dim, n), e(m.net.dim, n);
      r.fill_normal(x);
      r.fill_normal(u);
      r.fill_normal(e);
      for (double guidance : {1.0, 2.5}) {
        INFO(p.name << " t = " << t << " guidance " << guidance);
        f->set_condition({1}, guidance);
        Mat v, v2, jtu, vp, vm;
        Vec div;
        f->velocity_divergence(x, t, v, div);
        f->velocity(x, t, v2);
        CHECK((v - v2).norm() <= 1e-6 * v2.norm());
        f->velocity_vjp(x, t, u, v, jtu);
        CHECK((v - v2).norm() <= 1e-6 * v2.norm());
        // u . (J e) by central differences against (J^T u) . e
        const float h = 1e-2f;
        f->velocity(x + h * e, t, vp);
        f->velocity(x - h * e, t, vm);
        const Vec fd = ((vp - vm) / (2 * h)).cwiseProduct(u).colwise().sum().transpose();
        const Vec an = jtu.cwiseProduct(e).colwise().sum().transpose();
        CHECK((an - fd).norm() < 2e-3 * fd.norm());
        // The divergence: the trace, coordinate by coordinate, for a few points
        Vec fdiv = Vec::Zero(3);
        for (Eigen::Index i = 0; i < x.rows(); ++i) {
          Mat xp = x.leftCols(3), xm = x.leftCols(3);
          xp.row(i).array() += h;
          xm.row(i).array() -= h;
          f->velocity(xp, t, vp);
          f->velocity(xm, t, vm);
          fdiv += ((vp.row(i) - vm.row(i)) / (2 * h)).transpose();
        }
        CHECK((div.head(3) - fdiv).norm() < 2e-3 * fdiv.norm() + 1e-3);
      }
    }
}

TEST_CASE("a U-Net field gives the same bits at 1 and 2 threads", "[model][unet]") {
  // The field cuts a batch into pieces of 8 images, each through one thread's copy of the
  // network: the pieces, and so the bits, must not depend on which thread ran them
  LearnedModel m = unet_model();
  m.predict = Predict::noise;
  Rng r(23);
  for (float& w : m.weights) w += 0.05f * float(r.normal());
  auto f = load_field(model_to_json(m), "m.json");
  const int n = 37;  // five pieces, the last one short
  Mat x(m.net.dim, n), u(m.net.dim, n);
  r.fill_normal(x);
  r.fill_normal(u);
  f->set_condition({1}, 2.0);
  Mat v[2], vv[2], jtu[2];
  Vec div[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    auto g = f->clone();  // a fresh field: its workers are made at this thread count
    g->velocity(x, 0.3, v[threads - 1]);
    g->velocity_vjp(x, 0.3, u, vv[threads - 1], jtu[threads - 1]);
    g->velocity_divergence(x.leftCols(17), 0.3, vv[threads - 1], div[threads - 1]);
  }
  set_threads(1);
  CHECK(v[0].allFinite());
  CHECK(v[0] == v[1]);
  CHECK(jtu[0] == jtu[1]);
  CHECK(div[0] == div[1]);
  // and each piece is its own: the first 8 images alone give the batch's first 8 columns
  Mat head;
  f->clone()->velocity(x.leftCols(8), 0.3, head);
  CHECK(head == v[0].leftCols(8));
}

TEST_CASE("a discrete U-Net model file round-trips and gives the same posteriors", "[model][unet][discrete]") {
  // 4 x 6 token images, V = 4 grey levels and MASK, class-conditional
  LearnedModel m;
  m.discrete.vocab = 4;
  m.discrete.source = DiscreteSource::mask;
  m.discrete.kappa = Schedule::parse("poly:2");
  m.net = small_unet_config();
  m.net.dim = 24;
  m.net.token_states = 5;
  m.net.token_vocab = 4;
  m.net.unet.token_embed = 3;
  m.shape = {4, 6};
  Net net(m.net);
  Rng r(3);
  net.init(r);
  for (float& w : net.params()) w += 0.1f * float(r.normal());  // zero-started layers made live
  m.weights = net.params();
  const json j = json::parse(model_to_json(m).dump());
  CHECK(j["type"] == "discrete");
  CHECK(j["vocab"] == 4);
  CHECK(j["source"] == "mask");
  CHECK(j["kappa"] == "poly:2");
  CHECK(j["architecture"]["kind"] == "unet");
  CHECK(j["architecture"]["token_embed"] == 3);
  const auto model = load_discrete(j, "m.json");
  CHECK(model->length() == 24);
  CHECK(model->num_classes() == 2);
  // 20 images (more than one piece of 16) against the softmax of the network's own logits
  const int n = 20;
  Tokens xt(24, n);
  for (Eigen::Index k = 0; k < xt.size(); ++k) xt.data()[k] = int32_t(r.below(5));
  Vec t(n);
  std::vector<int> labels(n);
  for (int k = 0; k < n; ++k) t[k] = float(r.uniform()), labels[size_t(k)] = k % 3;
  Mat post, logits, whole, piece, want;
  model->posterior(xt, t, labels.data(), post);
  // piece by piece, each with its own times and labels: the same bits (a batch of 4 images may
  // take another of Eigen's product kernels than one of 16, so the whole batch agrees to rounding)
  logits.resize(4 * 24, n);
  for (int c0 : {0, 16}) {
    const int m = std::min(16, n - c0);
    net.infer(xt.middleCols(c0, m).cast<float>(), t.segment(c0, m), labels.data() + c0, piece);
    logits.middleCols(c0, m) = piece;
  }
  softmax_columns(Eigen::Map<const Mat>(logits.data(), 4, 24 * n), want);
  REQUIRE(post.rows() == 4);
  REQUIRE(post.cols() == 24 * n);
  CHECK(post == want);
  net.infer(xt.cast<float>(), t, labels.data(), whole);
  CHECK((whole - logits).cwiseAbs().maxCoeff() < 1e-5f);
  CHECK((post.colwise().sum().array() - 1).abs().maxCoeff() < 1e-5);
  // A damaged token embedding is named
  json bad = j;
  bad["architecture"]["token_embed"] = 4;
  CHECK(load_error(bad).find("tok.E") != std::string::npos);

  // The threaded sampler takes a U-Net's images 16 at a time, chunk k from Rng(seed, k): 20
  // images are two chunks for the threads (not one chunk of 2,048), the same bits at 1 and 2
  DiscreteSampling s{6};
  s.labels = labels.data();
  const Tokens two = sample_tokens(*model, n, s, 9, 2);
  CHECK(sample_tokens(*model, n, s, 9, 1) == two);
  Rng r0(9, 0), r1(9, 1);
  CHECK(sample_tokens(*model, 16, s, r0) == two.leftCols(16));
  DiscreteSampling tail = s;
  tail.labels = labels.data() + 16;
  CHECK(sample_tokens(*model, 4, tail, r1) == two.rightCols(4));
}
