// field_learned: velocity, score, divergence and JVP of a learned model in data coordinates
// (normalization undone), checked against finite differences and the MATH.md conversions.
#include <catch2/catch.hpp>

#include "flowkit/flow/field.hpp"
#include "flowkit/model/model.hpp"

using namespace flowkit;

namespace {
LearnedModel random_model(Predict p, bool residual, int classes, int d = 3) {
  LearnedModel m;
  m.net.dim = d;
  m.net.width = 16;
  m.net.depth = 2;
  m.net.residual = residual;
  m.net.num_classes = classes;
  m.net.activation = Activation::tanh;
  m.predict = p;
  m.shape = {d};
  m.mean = Vec::LinSpaced(d, -1, 2);
  m.scale = Vec::LinSpaced(d, 0.5, 3);
  Mlp<float> net(m.net);
  Rng r(5);
  net.init(r);
  m.weights = net.params();
  return m;
}

Mat points(int d, int n, uint64_t seed) {
  Rng r(seed);
  Mat x(d, n);
  r.fill_normal(x);
  return x * 1.5f;
}

// Central differences of the velocity along each coordinate: the Jacobian's diagonal sum.
Vec fd_divergence(Field& f, const Mat& x, double t) {
  const float h = 1e-2f;
  Vec div = Vec::Zero(x.cols());
  Mat vp, vm;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    Mat xp = x, xm = x;
    xp.row(i).array() += h;
    xm.row(i).array() -= h;
    f.velocity(xp, t, vp);
    f.velocity(xm, t, vm);
    div += ((vp.row(i) - vm.row(i)) / (2 * h)).transpose();
  }
  return div;
}
}  // namespace

TEST_CASE("learned field: divergence and JVP match finite differences in data coordinates", "[model]") {
  for (const auto& p : predictions())
    for (bool residual : {false, true}) {
      auto f = load_field(model_to_json(random_model(p.value, residual, 0)), "m.json");
      const Mat x = points(3, 9, 1);
      const double t = 0.37;
      Mat v, v2, jdx;
      Vec div;
      f->velocity_divergence(x, t, v, div);
      f->velocity(x, t, v2);
      INFO(p.name << " residual " << residual);
      CHECK((v - v2).norm() < 1e-6 * v.norm());
      const Vec fd = fd_divergence(*f, x, t);
      CHECK((div - fd).norm() < 2e-3 * fd.norm() + 1e-4);
      // JVP along random directions
      const Mat dx = points(3, 9, 2);
      f->velocity_jvp(x, t, dx, v2, jdx);
      const float h = 1e-2f;
      Mat vp, vm;
      f->velocity(x + h * dx, t, vp);
      f->velocity(x - h * dx, t, vm);
      const Mat fdj = (vp - vm) / (2 * h);
      CHECK((jdx - fdj).norm() < 2e-3 * fdj.norm());
    }
}

TEST_CASE("learned field: the score and velocity conversions agree (MATH.md)", "[model]") {
  for (Predict p : {Predict::noise, Predict::data}) {
    auto f = load_field(model_to_json(random_model(p, false, 0)), "m.json");
    const Schedule s;
    const Mat x = points(3, 7, 3);
    const double t = 0.6, a = s.a(t), b = s.b(t), da = s.da(t), db = s.db(t);
    Mat v, sc;
    f->velocity(x, t, v);
    f->score(x, t, sc);
    // v = (a'/a) x + (a' b^2 / a - b b') s
    const Mat want = float(da / a) * x + float(da * b * b / a - b * db) * sc;
    CHECK((v - want).norm() < 1e-4 * v.norm());
  }
}

TEST_CASE("learned field: velocity_score is velocity and score from one network pass", "[model]") {
  for (const auto& p : predictions()) {
    auto f = load_field(model_to_json(random_model(p.value, false, 0)), "m.json");
    const Mat x = points(3, 11, 4);
    Mat v, s, v1, s1;
    f->velocity(x, 0.42, v);
    f->score(x, 0.42, s);
    INFO(p.name);
    CHECK(f->velocity_score(x, 0.42, 0.42, v1, s1) == 1);
    CHECK(v1 == v);  // bit for bit: the same prediction converted twice
    CHECK(s1 == s);
    // Different times (the SDE clamps the score's): two evaluations, each at its own time
    f->score(x, 0.5, s);
    CHECK(f->velocity_score(x, 0.42, 0.5, v1, s1) == 2);
    CHECK(v1 == v);
    CHECK(s1 == s);
  }
}

TEST_CASE("learned field: classifier-free guidance mixes null and class velocities", "[model]") {
  auto f = load_field(model_to_json(random_model(Predict::velocity, false, 4)), "m.json");
  REQUIRE(f->conditional());
  CHECK(f->num_classes() == 4);
  const Mat x = points(3, 5, 4);
  const double t = 0.5;
  Mat vnull, vy, vw;
  f->velocity(x, t, vnull);  // no labels: the unconditional field
  f->set_condition({2}, 1.0);
  f->velocity(x, t, vy);
  CHECK((vy - vnull).norm() > 1e-3);
  f->set_condition({2, 2, 2, 2, 2}, 3.0);
  f->velocity(x, t, vw);
  CHECK((vw - (3 * vy - 2 * vnull)).norm() < 1e-4 * vw.norm());
  f->set_condition({-1}, 3.0);  // the null label
  f->velocity(x, t, vw);
  CHECK((vw - vnull).norm() < 1e-5 * vw.norm());
  // Divergence of the guided field against differences
  f->set_condition({1}, 2.5);
  Vec div;
  f->velocity_divergence(x, t, vw, div);
  const Vec fd = fd_divergence(*f, x, t);
  CHECK((div - fd).norm() < 2e-3 * fd.norm() + 1e-4);
  auto g = f->clone();
  Mat vc;
  g->velocity(x, t, vc);
  CHECK(vc == vw);
  CHECK_THROWS_AS(f->set_condition({4}, 1.0), Error);
}

TEST_CASE("learned field: shape, source and description come from the model", "[model]") {
  LearnedModel m = random_model(Predict::velocity, false, 0, 4);
  m.shape = {2, 2};
  m.source_data = true;
  auto f = load_field(model_to_json(m), "m.json");
  CHECK(f->sample_shape() == std::vector<int64_t>{2, 2});
  CHECK_FALSE(f->source_is_gaussian());
  CHECK_FALSE(f->has_score());
  CHECK(f->has_divergence());
  CHECK(f->describe().find("MLP 2x16 tanh") != std::string::npos);
}
