#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/flow/field_gmm.hpp"
#include "flowkit/flow/path.hpp"

using namespace flowkit;
using nlohmann::json;

namespace {

json mixture_doc(const std::string& schedule) {
  return {{"format", "flowkit-model"}, {"version", 1}, {"type", "gmm"}, {"schedule", schedule},
          {"weights", {0.5, 0.3, 0.2}},
          {"means", {{1.0, 0.5}, {-1.0, 1.0}, {0.0, -1.5}}},
          {"variances", {{0.1, 0.2}, {0.3, 0.05}, {0.2, 0.2}}}};
}

std::unique_ptr<GmmField> mixture(const std::string& schedule) {
  return GmmField::from_json(mixture_doc(schedule), "test.json");
}

Mat probe_points() {
  Mat x(2, 5);
  x << 0.3, -1.2, 0.9, 0.0, 2.0, -0.4, 1.1, 0.2, -1.0, 2.5;
  return x;
}

// log p_t at one point (double precision not needed: central differences of size h).
double logp(GmmField& f, const Vec& x, double t) {
  Vec out;
  f.log_density(Mat(x), t, out);
  return out[0];
}

const char* kSchedules[] = {"linear", "cosine", "poly:2"};

}  // namespace

TEST_CASE("gmm: the score is the gradient of log p_t", "[field]") {
  for (const char* sch : kSchedules) {
    auto f = mixture(sch);
    for (double t : {0.3, 0.7, 0.95}) {
      INFO(sch << " t " << t);
      const Mat x = probe_points();
      Mat s;
      f->score(x, t, s);
      for (int i = 0; i < x.cols(); ++i)
        for (int j = 0; j < 2; ++j) {
          const float h = 1e-3f;
          Vec xp = x.col(i), xm = x.col(i);
          xp[j] += h;
          xm[j] -= h;
          const double fd = (logp(*f, xp, t) - logp(*f, xm, t)) / (2 * h);
          CHECK(s(j, i) == Approx(fd).margin(2e-3 * (1 + std::abs(fd))));
        }
    }
  }
}

TEST_CASE("gmm: velocity and divergence satisfy the continuity equation", "[field]") {
  // d/dt log p_t(x) = -div v - v . grad log p_t
  for (const char* sch : kSchedules) {
    auto f = mixture(sch);
    for (double t : {0.2, 0.5, 0.8}) {
      INFO(sch << " t " << t);
      const Mat x = probe_points();
      Mat v, s;
      Vec div;
      f->velocity_divergence(x, t, v, div);
      f->score(x, t, s);
      for (int i = 0; i < x.cols(); ++i) {
        const double dt = 2e-3;
        const double fd = (logp(*f, x.col(i), t + dt) - logp(*f, x.col(i), t - dt)) / (2 * dt);
        const double rhs = -div[i] - v.col(i).dot(s.col(i));
        CHECK(rhs == Approx(fd).margin(5e-3 * (1 + std::abs(fd))));
      }
    }
  }
}

TEST_CASE("gmm: the divergence is the trace of the velocity's Jacobian", "[field]") {
  for (const char* sch : kSchedules) {
    auto f = mixture(sch);
    for (double t : {0.1, 0.6, 0.9, 1.0}) {
      INFO(sch << " t " << t);
      const Mat x = probe_points();
      Mat v, vp, vm;
      Vec div;
      f->velocity_divergence(x, t, v, div);
      Mat v2;
      f->velocity(x, t, v2);
      CHECK((v - v2).cwiseAbs().maxCoeff() < 1e-5);
      Vec trace = Vec::Zero(x.cols());
      const float h = 1e-3f;
      for (int j = 0; j < 2; ++j) {
        Mat xp = x, xm = x;
        xp.row(j).array() += h;
        xm.row(j).array() -= h;
        f->velocity(xp, t, vp);
        f->velocity(xm, t, vm);
        trace += ((vp.row(j) - vm.row(j)) / (2 * h)).transpose();
      }
      for (int i = 0; i < x.cols(); ++i) CHECK(div[i] == Approx(trace[i]).margin(2e-3 * (1 + std::abs(trace[i]))));
    }
  }
}

TEST_CASE("gmm: velocity_to_score of path.hpp turns its velocity into its score", "[field]") {
  for (const char* sch : kSchedules) {
    auto f = mixture(sch);
    for (double t : {0.1, 0.5, 0.9}) {
      INFO(sch << " t " << t);
      const Mat x = probe_points();
      Mat v, s, s2;
      f->velocity(x, t, v);
      f->score(x, t, s);
      velocity_to_score(f->schedule(), t, x, v, s2);
      CHECK((s - s2).cwiseAbs().maxCoeff() < 1e-3 * (1 + s.cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("gmm: closed forms at the ends of the path", "[field]") {
  auto f = mixture("linear");
  const Mat x = probe_points();
  // t = 0: p_0 = N(0, I), posterior = prior weights, v = sum_k w_k m_k - x, s = -x
  Mat v, s;
  f->velocity(x, 0, v);
  f->score(x, 0, s);
  Eigen::Vector2f mean(0.5f * 1 + 0.3f * -1 + 0, 0.5f * 0.5f + 0.3f * 1 + 0.2f * -1.5f);
  CHECK(((v.colwise() - mean) + x).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((s + x).cwiseAbs().maxCoeff() < 1e-5);
  // t = 1: log p_1 is the mixture's log density
  Vec lp;
  f->log_density(x, 1, lp);
  const double x0 = x(0, 0), x1 = x(1, 0);
  auto comp = [&](double w, double m0, double m1, double s0, double s1) {
    return w * std::exp(-0.5 * ((x0 - m0) * (x0 - m0) / s0 + (x1 - m1) * (x1 - m1) / s1)) /
           (2 * M_PI * std::sqrt(s0 * s1));
  };
  const double p = comp(0.5, 1, 0.5, 0.1, 0.2) + comp(0.3, -1, 1, 0.3, 0.05) + comp(0.2, 0, -1.5, 0.2, 0.2);
  CHECK(lp[0] == Approx(std::log(p)).epsilon(1e-5));
}

TEST_CASE("gmm: far from every component the field stays finite (log-sum-exp)", "[field]") {
  auto f = mixture("cosine");
  Mat x(2, 2);
  x << 1000, -300, -1000, 50;
  Mat v, s;
  Vec div;
  for (double t : {0.0, 0.5, 0.999, 1.0}) {
    f->velocity_divergence(x, t, v, div);
    f->score(x, t, s);
    CHECK(v.allFinite());
    CHECK(s.allFinite());
    CHECK(div.allFinite());
  }
}

TEST_CASE("gmm: exact samples have the mixture's moments", "[field]") {
  auto f = mixture("linear");
  Rng rng(3);
  const Mat x = f->sample(200000, rng);
  const Eigen::Vector2d mean = x.cast<double>().rowwise().mean();
  CHECK(mean[0] == Approx(0.2).margin(0.01));
  CHECK(mean[1] == Approx(0.25).margin(0.01));
}

TEST_CASE("gmm: model documents with errors say what is wrong", "[field]") {
  auto bad = [](const std::function<void(json&)>& edit, const std::string& msg) {
    json d = mixture_doc("linear");
    edit(d);
    REQUIRE_THROWS_WITH(load_field(d, "m.json"), Catch::Contains(msg));
  };
  bad([](json& d) { d.erase("means"); }, "m.json: model has no \"means\"");
  bad([](json& d) { d["weights"] = {0.5, 0.5}; }, "\"means\" has 3 rows, want 2");
  bad([](json& d) { d["weights"][1] = -1; }, "\"weights\" entry 1 is not positive");
  bad([](json& d) { d["variances"][2] = {0.1, 0.0}; }, "\"variances\" row 2 has an entry <= 0");
  bad([](json& d) { d["variances"][0] = {0.1}; }, "\"variances\" row 0 has 1 numbers, want 2");
  bad([](json& d) { d["means"][1][0] = "x"; }, "\"means\" row 1 entry 0 is not a finite number");
  bad([](json& d) { d["schedule"] = "cosin"; }, "unknown schedule 'cosin'");
  bad([](json& d) { d["type"] = "gauss"; }, "unknown model type \"gauss\"; one of learned, gmm, linear");
  bad([](json& d) { d["version"] = 2; }, "model version 2 is not supported");
  bad([](json& d) { d.erase("format"); }, "not a flowkit model");
  bad([](json& d) { d["format"] = "other"; }, "not a flowkit model");
  auto f = load_field(mixture_doc("poly:2"), "m.json");
  CHECK(f->describe() == "gmm (3 components in 2-D, poly:2)");
  CHECK(f->has_score());
  CHECK(f->has_divergence());
  REQUIRE_THROWS_AS(f->set_condition({1}, 1.0), Error);
}

TEST_CASE("gmm: with component labels it is class-conditional, with guidance", "[field]") {
  json doc = mixture_doc("cosine");
  doc["labels"] = {0, 1, 1};
  auto f = load_field(doc, "c.json");
  REQUIRE(f->conditional());
  CHECK(f->num_classes() == 2);
  CHECK(f->describe() == "gmm (3 components in 2-D, cosine, 2 classes)");
  // Class 1 alone: the mixture of components 1 and 2, weights renormalized
  json one = mixture_doc("cosine");
  one["weights"] = {0.3, 0.2};
  one["means"] = {{-1.0, 1.0}, {0.0, -1.5}};
  one["variances"] = {{0.3, 0.05}, {0.2, 0.2}};
  auto f1 = load_field(one, "one.json");
  const Mat x = probe_points();
  Mat v_all, v1, v, s1, s;
  Vec d1, d;
  f->velocity(x, 0.6, v_all);
  f1->velocity(x, 0.6, v1);
  f1->score(x, 0.6, s1);
  f1->velocity_divergence(x, 0.6, v1, d1);
  f->set_condition({1}, 1.0);
  f->velocity(x, 0.6, v);
  f->score(x, 0.6, s);
  CHECK((v - v1).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((s - s1).cwiseAbs().maxCoeff() < 1e-4);
  f->velocity_divergence(x, 0.6, v, d);
  CHECK((d - d1).cwiseAbs().maxCoeff() < 1e-4);
  // Guidance W: W u(x, t, y) + (1 - W) u(x, t); a label per column, -1 unconditional
  f->set_condition({1, -1, 1, 1, -1}, 2.5);
  f->velocity(x, 0.6, v);
  CHECK((v.col(0) - (2.5f * v1.col(0) - 1.5f * v_all.col(0))).cwiseAbs().maxCoeff() < 1e-4);
  CHECK((v.col(1) - v_all.col(1)).cwiseAbs().maxCoeff() < 1e-6);
  REQUIRE_THROWS_WITH(f->set_condition({2}, 1.0), Catch::Contains("out of range"));
  doc["labels"] = {0, 2, 2};
  REQUIRE_THROWS_WITH(load_field(doc, "c.json"), "c.json: class 1 has no component in \"labels\"");
  doc["labels"] = {0, 1};
  REQUIRE_THROWS_WITH(load_field(doc, "c.json"), Catch::Contains("want one per component (3)"));
}

TEST_CASE("sigma_min: every conversion gives the blurred path's exact mixture score and velocity", "[field]") {
  // Training with --sigma-min s draws x_t = a x1 + b x0 + s eps: for a mixture target the
  // marginal is the mixture with C_k = a^2 S_k + b^2 + s^2 (the oracle below), and a perfect
  // network learns its velocity, E[x0 | x_t] = -b score and E[x1 | x_t] = (x + B^2 score) / a
  // with B^2 = b^2 + s^2 (MATH.md).
  const Mat x = probe_points();
  for (const char* name : kSchedules) {
    Schedule s = Schedule::parse(name);
    s.sigma_min = 0.3;
    const auto base = mixture(name);
    GmmField f(base->gmm(), s);
    for (double t : {0.2, 0.5, 0.8, 0.95}) {
      INFO(name << " at t = " << t);
      Mat v, score, got;
      f.velocity(x, t, v);
      f.score(x, t, score);
      const float scale = score.cwiseAbs().maxCoeff(), vscale = v.cwiseAbs().maxCoeff();
      velocity_to_score(s, t, x, v, got);
      CHECK((got - score).cwiseAbs().maxCoeff() < 1e-4f * scale);
      const Mat eps = float(-s.b(t)) * score, x1hat = (x + float(s.noise_var(t)) * score) / float(s.a(t));
      prediction_to_velocity(Predict::noise, s, t, x, eps, got);
      CHECK((got - v).cwiseAbs().maxCoeff() < 1e-4f * vscale);
      prediction_to_velocity(Predict::data, s, t, x, x1hat, got);
      CHECK((got - v).cwiseAbs().maxCoeff() < 1e-4f * vscale);
      prediction_to_score(Predict::data, s, t, x, x1hat, got);
      CHECK((got - score).cwiseAbs().maxCoeff() < 1e-4f * scale);
      // The conversion that forgets sigma_min is far off: the test can fail
      Schedule plain = s;
      plain.sigma_min = 0;
      velocity_to_score(plain, t, x, v, got);
      CHECK((got - score).cwiseAbs().maxCoeff() > 0.05f * scale);
    }
  }
}
