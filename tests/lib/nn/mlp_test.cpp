// nn: reverse mode and forward mode against central finite differences, in double.
#include <algorithm>
#include <catch2/catch.hpp>

#include "flowkit/nn/mlp.hpp"

using namespace flowkit;
using MlpD = Mlp<double>;

namespace {
struct Case {
  MlpD net;
  MatD x, gout;
  VecD t;
  std::vector<int> labels;
};

// harmonics > 0: periodic input (the torus) with sin kx, cos kx for k = 1..harmonics.
Case make_case(Activation act, bool residual, int classes, int harmonics = 0) {
  NetConfig c;
  c.dim = 3;
  c.width = 6;
  c.depth = 3;
  c.activation = act;
  c.residual = residual;
  c.num_classes = classes;
  c.periodic = harmonics > 0;  // the torus: the input features are sin kx and cos kx
  c.harmonics = std::max(harmonics, 1);
  c.time_freqs = residual ? 0 : 2;
  Case k{MlpD(c), MatD(), MatD(), VecD(), {}};
  Rng rng(7);
  k.net.init(rng);
  for (auto& p : k.net.params()) p += 0.1 * rng.normal();  // gains and biases off their defaults
  const int n = 5;
  k.x = MatD(3, n);
  k.gout = MatD(3, n);
  k.t = VecD(n);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < 3; ++i) k.x(i, j) = rng.normal(), k.gout(i, j) = rng.normal();
    k.t[j] = rng.uniform();
    k.labels.push_back(classes > 0 ? int(rng.below(uint64_t(classes) + 1)) : 0);
  }
  return k;
}

double loss(Case& k) {
  MatD out;
  k.net.forward(k.x, k.t, k.labels.data(), out);
  return (out.array() * k.gout.array()).sum();
}

double rel_err(const VecD& a, const VecD& b) { return (a - b).norm() / std::max(a.norm(), 1e-300); }
}  // namespace

TEST_CASE("backward matches finite differences for every activation and block kind", "[nn]") {
  for (const auto& a : activations())
    for (int residual = 0; residual < 6; ++residual)  // 2..5: periodic input, 1 or 3 harmonics
      for (int classes : {0, 3}) {
        Case k = make_case(a.value, residual % 2, classes, residual / 2 == 0 ? 0 : 2 * (residual / 2) - 1);
        MatD out;
        k.net.forward(k.x, k.t, k.labels.data(), out);
        ParamVec<double> g;
        k.net.backward(k.gout, g);
        VecD fd(g.size()), an = Eigen::Map<VecD>(g.data(), Eigen::Index(g.size()));
        const double h = 1e-6;
        for (size_t i = 0; i < g.size(); ++i) {
          double& p = k.net.params()[i];
          const double keep = p;
          p = keep + h;
          const double lp = loss(k);
          p = keep - h;
          const double lm = loss(k);
          p = keep;
          fd[Eigen::Index(i)] = (lp - lm) / (2 * h);
        }
        INFO(a.name << " residual " << residual << " classes " << classes);
        CHECK(rel_err(an, fd) < 1e-6);
      }
}

// The label embedding E (width x (classes + 1), one column per label, the last the null label):
// a column whose label is not in the batch gets exactly zero gradient, every used column a
// non-zero one (the embedding adds E[:, y] to the first hidden layer's pre-activation).
TEST_CASE("unused label rows get exactly zero gradient, used rows a non-zero one", "[nn]") {
  for (const auto& a : activations())
    for (int residual = 0; residual < 2; ++residual) {
      Case k = make_case(a.value, residual, 4);
      MatD out;
      ParamVec<double> g;
      k.labels = {0, 1, 2, 3, 4};  // first a batch that uses every label, into the same vector g
      k.net.forward(k.x, k.t, k.labels.data(), out);
      k.net.backward(k.gout, g);
      k.labels = {0, 2, 2, 4, 0};  // labels 1 and 3 unused; 4 is the null label
      k.net.forward(k.x, k.t, k.labels.data(), out);
      k.net.backward(k.gout, g);
      const auto layout = param_layout(k.net.config());
      const ParamBlock& e = layout.back();
      REQUIRE(e.name == "label.E");
      REQUIRE(e.cols == 5);
      INFO(a.name << " residual " << residual);
      for (int y = 0; y < e.cols; ++y) {
        const Eigen::Map<const VecD> col(g.data() + e.offset + size_t(y) * size_t(e.rows), e.rows);
        INFO("label " << y << " gradient norm " << col.norm());
        if (y == 1 || y == 3)
          CHECK(col.cwiseAbs().maxCoeff() == 0.0);
        else
          CHECK(col.norm() > 1e-3);
      }
    }
}

TEST_CASE("jvp matches finite differences, several directions in one pass", "[nn]") {
  for (const auto& a : activations())
    for (int residual = 0; residual < 6; ++residual) {  // 2..5: periodic input, 1 or 3 harmonics
      Case k = make_case(a.value, residual % 2, 2, residual / 2 == 0 ? 0 : 2 * (residual / 2) - 1);
      const Eigen::Index n = k.x.cols(), dirs = 3;
      Rng rng(11);
      MatD dx(3, dirs * n), jout, out, op, om;
      for (Eigen::Index i = 0; i < dx.size(); ++i) dx.data()[i] = rng.normal();
      // Finite differences, direction by direction
      MatD fd(3, dirs * n);
      const double h = 1e-6;
      for (Eigen::Index b = 0; b < dirs; ++b) {
        MatD xp = k.x + h * dx.middleCols(b * n, n), xm = k.x - h * dx.middleCols(b * n, n);
        k.net.forward(xp, k.t, k.labels.data(), op);
        k.net.forward(xm, k.t, k.labels.data(), om);
        fd.middleCols(b * n, n) = (op - om) / (2 * h);
      }
      k.net.forward(k.x, k.t, k.labels.data(), out);
      k.net.jvp(dx, jout);
      INFO(a.name << " residual " << residual % 2 << " harmonics " << residual / 2 * 2 - 1);
      CHECK((jout - fd).norm() / fd.norm() < 1e-6);
    }
}

// MeanFlow's target needs the derivative along (dx, dt, ds) in x and both times, through the
// time features (sin/cos of pi 2^k t, or raw t) of each: against central differences of the
// forward pass moved along the whole tangent, for every activation, block kind, periodic
// input, and one or two times (with one time, ds is absent).
TEST_CASE("jvp_inputs matches finite differences in x and both times", "[nn]") {
  for (const auto& a : activations())
    for (int variant = 0; variant < 8; ++variant) {
      const bool residual = variant % 2, periodic = (variant / 2) % 2, two = variant / 4;
      NetConfig c;
      c.dim = 3;
      c.width = 6;
      c.depth = 3;
      c.activation = a.value;
      c.residual = residual;
      c.num_classes = 2;
      c.periodic = periodic;
      c.time_freqs = residual && !two ? 0 : 3;  // raw t, and features up to pi 4 t
      c.time_inputs = two ? 2 : 1;
      MlpD net(c);
      Rng rng(5 + uint64_t(variant));
      net.init(rng);
      for (auto& p : net.params()) p += 0.1 * rng.normal();
      const Eigen::Index n = 6;
      MatD x(3, n), dx(3, n), out, op, om, jout;
      VecD t(n), s(n), dt(n), ds(n);
      std::vector<int> labels;
      for (Eigen::Index j = 0; j < n; ++j) {
        for (int i = 0; i < 3; ++i) x(i, j) = rng.normal(), dx(i, j) = rng.normal();
        t[j] = rng.uniform(), s[j] = rng.uniform(), dt[j] = rng.normal(), ds[j] = rng.normal();
        labels.push_back(int(rng.below(3)));
      }
      const double h = 1e-6;
      const VecD* sp = two ? &s : nullptr;
      VecD tp = t + h * dt, tm = t - h * dt, spp = s + h * ds, smm = s - h * ds;
      net.forward(x + h * dx, tp, labels.data(), op, two ? &spp : nullptr);
      net.forward(x - h * dx, tm, labels.data(), om, two ? &smm : nullptr);
      const MatD fd = (op - om) / (2 * h);
      net.forward(x, t, labels.data(), out, sp);
      net.jvp_inputs(dx, dt, two ? &ds : nullptr, jout);
      INFO(a.name << " residual " << residual << " periodic " << periodic << " times " << c.time_inputs);
      CHECK((jout - fd).norm() / fd.norm() < 1e-6);
      // The time part alone is not negligible: the test would miss a wrong time tangent otherwise
      MatD jx;
      net.jvp_inputs(dx, VecD::Zero(n), nullptr, jx);
      CHECK((jout - jx).norm() / fd.norm() > 1e-2);
    }
}

TEST_CASE("float and double networks agree, and the layout is one flat vector", "[nn]") {
  NetConfig c;
  c.dim = 2;
  c.width = 16;
  c.depth = 2;
  c.num_classes = 4;
  const auto layout = param_layout(c);
  CHECK(layout.front().name == "in.W");
  CHECK(layout.back().name == "label.E");
  CHECK(param_count(c) == size_t(16 * 18 + 16 + 16 * 16 + 16 + 2 * 16 + 2 + 16 * 5));
  Mlp<float> f(c);
  Mlp<double> d(c);
  Rng rng(3);
  f.init(rng);
  for (size_t i = 0; i < f.params().size(); ++i) d.params()[i] = f.params()[i];
  Mat x = Mat::Random(2, 7);
  Vec t = (Vec::Random(7).array() + 1) / 2;
  Mat of;
  MatD od;
  f.forward(x, t, nullptr, of);
  d.forward(x.cast<double>(), t.cast<double>(), nullptr, od);
  CHECK((of.cast<double>() - od).norm() / od.norm() < 1e-5);
}

TEST_CASE("a wide batch goes through the layers in column blocks: the same bits at any thread count", "[nn]") {
  NetConfig c;
  c.dim = 2;
  c.width = 60;  // not a multiple of the SIMD width
  c.depth = 3;
  c.num_classes = 3;
  Mlp<float> f(c);
  Rng rng(5);
  f.init(rng);
  for (auto& p : f.params()) p += float(0.1 * rng.normal());
  const int n = 1300;  // blocks of 256 columns, the last one partial; enough work for 2 threads
  Mat x = Mat::Random(2, n);
  Vec t = (Vec::Random(n).array() + 1) / 2;
  std::vector<int> labels(n);
  for (int j = 0; j < n; ++j) labels[size_t(j)] = int(rng.below(4));  // no period a block could hide
  Mat one, two;
  set_threads(1);
  f.forward(x, t, labels.data(), one);
  set_threads(2);
  f.forward(x, t, labels.data(), two);
  set_threads(1);
  CHECK((one.array() == two.array()).all());
  // Against slices of at most one block each: every block sees its own columns and labels
  for (int c0 = 0; c0 < n; c0 += 100) {
    const int k = std::min(100, n - c0);
    Mat part;
    f.forward(x.middleCols(c0, k), t.segment(c0, k), labels.data() + c0, part);
    CAPTURE(c0);
    CHECK((part - one.middleCols(c0, k)).norm() <= 1e-6 * part.norm());
  }
}

// The inference pass (sampling) skips the activation derivatives: the same output as forward for
// every activation and block kind, in float on a wide batch (column blocks of the dense layers)
// and on periodic and labelled inputs; a backward or JVP after it is refused, not run on stale
// derivatives.
TEST_CASE("the MLP's inference pass gives the forward pass's output and refuses a backward after it", "[nn]") {
  for (const auto& a : activations())
    for (int residual = 0; residual < 2; ++residual) {
      NetConfig c;
      c.dim = 2;
      c.width = 60;
      c.depth = 3;
      c.activation = a.value;
      c.residual = residual;
      c.num_classes = 3;
      c.periodic = residual == 0;
      c.harmonics = 2;
      Mlp<float> f(c);
      Rng rng(11);
      f.init(rng);
      for (auto& p : f.params()) p += float(0.1 * rng.normal());
      const int n = 700;
      Mat x = 2 * Mat::Random(2, n);
      Vec t = (Vec::Random(n).array() + 1) / 2;
      std::vector<int> labels(n);
      for (int j = 0; j < n; ++j) labels[size_t(j)] = int(rng.below(4));
      Mat fwd, inf, g = Mat::Ones(2, n), jout;
      f.forward(x, t, labels.data(), fwd);
      f.infer(x, t, labels.data(), inf);
      INFO(a.name << " residual " << residual);
      CHECK((fwd - inf).norm() <= 1e-6 * fwd.norm());
      CHECK(fwd.norm() > 0);
      ParamVec<float> grad;
      CHECK_THROWS_AS(f.backward(g, grad), Error);
      CHECK_THROWS_AS(f.jvp(g, jout), Error);
      f.forward(x, t, labels.data(), fwd);  // a forward makes them valid again
      CHECK_NOTHROW(f.backward(g, grad));
    }
}

TEST_CASE("bad network sizes are usage errors", "[nn]") {
  NetConfig c;
  c.width = 0;
  CHECK_THROWS_AS(Mlp<float>(c), Error);
  c.width = 8;
  c.time_freqs = -1;
  CHECK_THROWS_AS(Mlp<float>(c), Error);
}

namespace {
// A network over tokens: L = 3 positions, S = 4 states, V logits per position.
Case make_token_case(bool residual, int classes, int vocab) {
  NetConfig c;
  c.dim = 3;
  c.width = 6;
  c.depth = 3;
  c.residual = residual;
  c.num_classes = classes;
  c.token_states = 4;
  c.token_vocab = vocab;
  c.time_freqs = residual ? 0 : 2;
  Case k{MlpD(c), MatD(), MatD(), VecD(), {}};
  Rng rng(11);
  k.net.init(rng);
  for (auto& p : k.net.params()) p += 0.1 * rng.normal();
  const int n = 7;
  k.x = MatD(3, n);
  k.gout = MatD(3 * vocab, n);
  k.t = VecD(n);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < 3; ++i) k.x(i, j) = double(rng.below(4));
    for (int i = 0; i < 3 * vocab; ++i) k.gout(i, j) = rng.normal();
    k.t[j] = rng.uniform();
    k.labels.push_back(classes > 0 ? int(rng.below(uint64_t(classes) + 1)) : 0);
  }
  return k;
}
}  // namespace

// The token network's first layer gathers the columns of its tokens (one embedding table per
// position); its parameter gradient (the gather's adjoint, a scatter-add) against central
// differences, as for points.
TEST_CASE("a token network's logit gradient matches finite differences", "[nn]") {
  for (int residual = 0; residual < 2; ++residual)
    for (int classes : {0, 2}) {
      Case k = make_token_case(residual, classes, 3);
      MatD out;
      k.net.forward(k.x, k.t, k.labels.data(), out);
      REQUIRE(out.rows() == 9);
      ParamVec<double> g;
      k.net.backward(k.gout, g);
      VecD fd(g.size()), an = Eigen::Map<VecD>(g.data(), Eigen::Index(g.size()));
      const double h = 1e-6;
      for (size_t i = 0; i < g.size(); ++i) {
        double& p = k.net.params()[i];
        const double keep = p;
        p = keep + h;
        const double lp = loss(k);
        p = keep - h;
        const double lm = loss(k);
        p = keep;
        fd[Eigen::Index(i)] = (lp - lm) / (2 * h);
      }
      INFO("residual " << residual << " classes " << classes);
      CHECK(rel_err(an, fd) < 1e-6);
    }
}

// The gather is the product with one-hot inputs: a token network (V = S, so that both have the
// same layout) gives the output of the plain network fed the one-hot vectors, to rounding.
TEST_CASE("a token network equals the plain network on one-hot inputs", "[nn]") {
  for (int residual = 0; residual < 2; ++residual) {
    Case k = make_token_case(residual, 0, 4);
    NetConfig c = k.net.config();
    c.dim = 12;
    c.token_states = c.token_vocab = 0;
    MlpD plain(c);
    REQUIRE(plain.params().size() == k.net.params().size());
    plain.params() = k.net.params();
    MatD onehot = MatD::Zero(12, k.x.cols());
    for (Eigen::Index j = 0; j < k.x.cols(); ++j)
      for (int i = 0; i < 3; ++i) onehot(4 * i + int(k.x(i, j)), j) = 1;
    MatD a, b;
    k.net.forward(k.x, k.t, nullptr, a);
    plain.forward(onehot, k.t, nullptr, b);
    CHECK((a - b).cwiseAbs().maxCoeff() < 1e-12);
  }
  // A token outside the states is an error, not a read past the table
  Case k = make_token_case(false, 0, 3);
  k.x(1, 2) = 4;
  MatD out;
  CHECK_THROWS_WITH(k.net.forward(k.x, k.t, nullptr, out), Catch::Contains("a token outside"));
}
