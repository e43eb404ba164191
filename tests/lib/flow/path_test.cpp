#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/flow/path.hpp"

using namespace flowkit;

namespace {
// Central difference of f at t.
template <class F>
double deriv(F f, double t) {
  const double h = 1e-6;
  return (f(t + h) - f(t - h)) / (2 * h);
}
}  // namespace

TEST_CASE("schedules: boundary values and derivatives", "[path]") {
  for (const char* spec : {"linear", "cosine", "poly:2", "poly:0.5", "poly:3"}) {
    const Schedule s = Schedule::parse(spec);
    INFO(spec);
    CHECK(s.a(0) == Approx(0).margin(1e-12));
    CHECK(s.b(0) == Approx(1));
    CHECK(s.a(1) == Approx(1));
    CHECK(s.b(1) == Approx(0).margin(1e-12));
    for (double t : {0.1, 0.37, 0.5, 0.9}) {
      CHECK(s.da(t) == Approx(deriv([&](double u) { return s.a(u); }, t)).epsilon(1e-6));
      CHECK(s.db(t) == Approx(deriv([&](double u) { return s.b(u); }, t)).epsilon(1e-6));
    }
    CHECK(Schedule::parse(s.name()).name() == s.name());
  }
}

TEST_CASE("schedules: bad names are usage errors that list the choices", "[path]") {
  REQUIRE_THROWS_WITH(Schedule::parse("cosin"), Catch::Contains("linear, cosine, poly:k"));
  REQUIRE_THROWS_AS(Schedule::parse("poly:-1"), Error);
  REQUIRE_THROWS_AS(Schedule::parse("poly:x"), Error);
  try {
    Schedule::parse("nope");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
  }
}

TEST_CASE("conversions agree: noise, data and velocity predictions of one pair", "[path]") {
  // For a single pair (x0, x1), the exact conditional predictions must map to the same
  // velocity and score at x_t = a x1 + b x0.
  Rng rng(1);
  for (const char* spec : {"linear", "cosine", "poly:2"}) {
    const Schedule s = Schedule::parse(spec);
    for (double t : {0.2, 0.5, 0.8}) {
      Mat x0(3, 4), x1(3, 4);
      rng.fill_normal(x0);
      rng.fill_normal(x1);
      const Mat x = float(s.a(t)) * x1 + float(s.b(t)) * x0;
      Eigen::VectorXf tv = Eigen::VectorXf::Constant(4, float(t));
      Mat tv_vel, tv_eps, tv_dat;
      conditional_target(Predict::velocity, s, x0, x1, tv, tv_vel);
      conditional_target(Predict::noise, s, x0, x1, tv, tv_eps);
      conditional_target(Predict::data, s, x0, x1, tv, tv_dat);
      Mat v1, v2, v3;
      prediction_to_velocity(Predict::velocity, s, t, x, tv_vel, v1);
      prediction_to_velocity(Predict::noise, s, t, x, tv_eps, v2);
      prediction_to_velocity(Predict::data, s, t, x, tv_dat, v3);
      CHECK((v1 - v2).cwiseAbs().maxCoeff() < 1e-4);
      CHECK((v1 - v3).cwiseAbs().maxCoeff() < 1e-4);
      Mat s1, s2, s3;
      prediction_to_score(Predict::noise, s, t, x, tv_eps, s1);  // s = -eps / b
      prediction_to_score(Predict::data, s, t, x, tv_dat, s2);
      prediction_to_score(Predict::velocity, s, t, x, tv_vel, s3);
      CHECK((s1 - s2).cwiseAbs().maxCoeff() < 1e-3);
      CHECK((s1 - s3).cwiseAbs().maxCoeff() < 1e-3);
    }
  }
}

TEST_CASE("linear schedule: score from velocity is (t v - x) / (1 - t)", "[path]") {
  const Schedule s = Schedule::parse("linear");
  Mat x(2, 1), v(2, 1), sc;
  x << 0.3f, -1.2f;
  v << 2.0f, 0.5f;
  const double t = 0.25;
  velocity_to_score(s, t, x, v, sc);
  for (int i = 0; i < 2; ++i) CHECK(sc(i, 0) == Approx((t * v(i, 0) - x(i, 0)) / (1 - t)).epsilon(1e-5));
}
