// optim: learning-rate schedules, clipping, Adam on a quadratic, EMA.
#include <catch2/catch.hpp>
#include <cmath>

#include "flowkit/nn/optim.hpp"

using namespace flowkit;

TEST_CASE("learning rate: warm-up, then constant, cosine or linear decay to 0", "[optim]") {
  OptimConfig c;
  c.lr = 0.01;
  c.warmup = 10;
  c.total_steps = 110;
  c.decay = Decay::cosine;
  CHECK(learning_rate(c, 0) == Approx(0.001));
  CHECK(learning_rate(c, 9) == Approx(0.01));
  CHECK(learning_rate(c, 10) == Approx(0.01));
  CHECK(learning_rate(c, 60) == Approx(0.005));  // half-way through the decay
  CHECK(learning_rate(c, 110) == Approx(0.0).margin(1e-15));
  c.decay = Decay::linear;
  CHECK(learning_rate(c, 35) == Approx(0.0075));
  c.decay = Decay::constant;
  CHECK(learning_rate(c, 100) == Approx(0.01));
}

TEST_CASE("gradient clipping scales to the norm and reports the old one", "[optim]") {
  Params g = {3, 4};
  CHECK(clip_grad_norm(g, 1.0) == Approx(5.0));
  CHECK(g[0] == Approx(0.6));
  CHECK(g[1] == Approx(0.8));
  Params h = {0.3f, 0.4f};
  clip_grad_norm(h, 1.0);
  CHECK(h[0] == Approx(0.3));
}

TEST_CASE("Adam's first step moves every weight by lr against its gradient's sign", "[optim]") {
  OptimConfig c;
  c.lr = 0.1;
  c.decay = Decay::constant;
  Adam adam(c, 2);
  Params p = {1, -2}, g = {5, -0.01f};
  adam.step(p, g, 0);
  CHECK(p[0] == Approx(0.9).epsilon(1e-5));
  CHECK(p[1] == Approx(-1.9).epsilon(1e-4));
}

TEST_CASE("Adam minimizes a quadratic", "[optim]") {
  OptimConfig c;
  c.lr = 0.05;
  c.total_steps = 2000;
  Adam adam(c, 3);
  Params p = {5, -3, 1}, g(3);
  const float target[3] = {1, 2, -1};
  for (int s = 0; s < 2000; ++s) {
    for (int i = 0; i < 3; ++i) g[size_t(i)] = 2 * (p[size_t(i)] - target[i]);
    adam.step(p, g, s);
  }
  for (int i = 0; i < 3; ++i) CHECK(p[size_t(i)] == Approx(target[i]).margin(1e-3));
}

TEST_CASE("AdamW decays the weights decoupled; Adam adds L2 to the gradient", "[optim]") {
  OptimConfig c;
  c.lr = 0.1;
  c.decay = Decay::constant;
  c.weight_decay = 0.5;
  c.kind = Optimizer::adamw;
  Adam w(c, 1);
  Params p = {2}, g = {0};
  w.step(p, g, 0);  // zero gradient: only the decay, p (1 - lr wd)
  CHECK(p[0] == Approx(2 * (1 - 0.05)));
  c.kind = Optimizer::adam;
  Adam a(c, 1);
  Params q = {2};
  a.step(q, g, 0);  // gradient wd p > 0: a step of lr against it
  CHECK(q[0] == Approx(1.9));
}

TEST_CASE("EMA warms up its rate, then averages with the given decay", "[optim]") {
  Params ema = {0}, p = {1};
  ema_update(ema, p, 0.99, 0);  // rate min(0.99, 1/10)
  CHECK(ema[0] == Approx(0.9));
  Params e2 = {0};
  ema_update(e2, p, 0.99, 100000);
  CHECK(e2[0] == Approx(0.01));
}

TEST_CASE("bad optimizer settings are usage errors", "[optim]") {
  OptimConfig c;
  c.lr = -1;
  CHECK_THROWS_AS(c.validate(), Error);
  c.lr = 1e-3;
  c.clip = -1;
  CHECK_THROWS_AS(c.validate(), Error);
}
