// nn: the U-Net's layers and the whole network against central finite differences, in double.
#include "flowkit/nn/unet.hpp"

#include <catch2/catch.hpp>
#include <functional>

#include "flowkit/nn/unet_block.hpp"
#include "nn_random.hpp"

using namespace flowkit;

namespace {
using test::normal;

double rel_err(const VecD& a, const VecD& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// Central differences of f over every coordinate of v (restored afterwards).
VecD numeric_gradient(double* v, Eigen::Index size, const std::function<double()>& f) {
  VecD g(size);
  const double h = 1e-6;
  for (Eigen::Index i = 0; i < size; ++i) {
    const double keep = v[i];
    v[i] = keep + h;
    const double up = f();
    v[i] = keep - h;
    const double down = f();
    v[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

VecD as_vec(const ParamVec<double>& p) {
  return Eigen::Map<const VecD>(p.data(), Eigen::Index(p.size()));
}
VecD as_vec(const MatD& m) {
  return Eigen::Map<const VecD>(m.data(), m.size());
}

// A layer under test: forward from (params, x) to y, backward to (grad, gx), checked against
// the finite differences of sum(gout . y) in the parameters and the input.
void check_layer(ParamVec<double>& p, MatD& x, const MatD& gout,
                 const std::function<void(const MatD&, MatD&)>& forward,
                 const std::function<void(const MatD&, double*, MatD&)>& backward) {
  MatD y;
  auto loss = [&] {
    forward(x, y);
    return (y.array() * gout.array()).sum();
  };
  loss();
  REQUIRE(y.rows() == gout.rows());
  REQUIRE(y.cols() == gout.cols());
  ParamVec<double> grad(p.size(), 0.0);
  MatD gx;
  backward(gout, grad.data(), gx);
  const VecD gp = as_vec(grad), gxv = as_vec(gx);
  CHECK(rel_err(gp, numeric_gradient(p.data(), Eigen::Index(p.size()), loss)) < 1e-7);
  CHECK(rel_err(gxv, numeric_gradient(x.data(), x.size(), loss)) < 1e-7);
  CHECK(gp.norm() > 0);
  CHECK(gxv.norm() > 0);
}

ParamVec<double> random_params(size_t n, Rng& rng) {
  ParamVec<double> p(n);
  for (double& v : p) v = 0.5 * rng.normal();
  return p;
}
}  // namespace

TEST_CASE("convolutions: 3x3 stride 1 and 2 and 1x1 match finite differences", "[unet]") {
  struct Kind {
    int k, stride;
  };
  for (Kind kind : {Kind{3, 1}, Kind{3, 2}, Kind{1, 1}}) {
    Rng rng(3);
    const int cin = 3, cout = 2;
    const ImageGeom g{2, 4, 6};
    const size_t nw = size_t(cout) * size_t(kind.k * kind.k * cin);
    ParamVec<double> p = random_params(nw + size_t(cout), rng);
    Conv<double> conv(cin, cout, kind.k, kind.stride, 0, nw);
    MatD x = normal(cin, g.pixels(), rng);
    const MatD gout = normal(cout, conv.out_geom(g).pixels(), rng);
    check_layer(
        p, x, gout, [&](const MatD& in, MatD& y) { conv.forward(p.data(), in, g, y); },
        [&](const MatD& gy, double* grad, MatD& gx) {
          conv.backward(p.data(), x, g, gy, grad, &gx);
        });
  }
}

TEST_CASE("float 3x3 convolutions (oneDNN) agree with the double ones (im2col)", "[unet]") {
  for (int stride : {1, 2}) {
    Rng rng(29);
    const int cin = 5, cout = 7;
    const ImageGeom g{3, 6, 4};
    const size_t nw = size_t(cout) * size_t(9 * cin);
    const ParamVec<double> pd = random_params(nw + size_t(cout), rng);
    ParamVec<float> pf(pd.begin(), pd.end());
    Conv<double> cd(cin, cout, 3, stride, 0, nw);
    Conv<float> cf(cin, cout, 3, stride, 0, nw);
    const MatD xd = normal(cin, g.pixels(), rng), gd = normal(cout, cd.out_geom(g).pixels(), rng);
    const Mat xf = xd.cast<float>(), gf = gd.cast<float>();
    MatD yd, gxd;
    Mat yf, gxf;
    ParamVec<double> gradd(pd.size(), 0.0);
    ParamVec<float> gradf(pd.size(), 1.f);  // accumulates onto what is there
    cd.forward(pd.data(), xd, g, yd);
    cf.forward(pf.data(), xf, g, yf);
    cd.backward(pd.data(), xd, g, gd, gradd.data(), &gxd);
    cf.backward(pf.data(), xf, g, gf, gradf.data(), &gxf);
    CHECK(rel_err(as_vec(MatD(yf.cast<double>())), as_vec(yd)) < 1e-5);
    CHECK(rel_err(as_vec(MatD(gxf.cast<double>())), as_vec(gxd)) < 1e-5);
    VecD gfd = Eigen::Map<const Vec>(gradf.data(), Eigen::Index(gradf.size())).cast<double>();
    CHECK(rel_err(gfd.array() - 1.0, as_vec(gradd)) < 1e-5);
  }
}

TEST_CASE("a 3x3 convolution sums the right neighbours, zero beyond the border", "[unet]") {
  // One channel, weight = 1 on the tap above-left only: y(y, x) = x(y - 1, x - 1)
  ParamVec<float> p(10, 0.f);
  p[0] = 1.f;
  p[9] = 0.5f;  // bias
  Conv<float> conv(1, 1, 3, 1, 0, 9);
  const ImageGeom g{1, 3, 4};
  Mat x(1, 12), y;
  for (int k = 0; k < 12; ++k) x(0, k) = float(k + 1);
  conv.forward(p.data(), x, g, y);
  CHECK(y(0, 0) == 0.5f);         // (0, 0): outside
  CHECK(y(0, 5) == 1.f + 0.5f);   // (1, 1) <- (0, 0)
  CHECK(y(0, 11) == 7.f + 0.5f);  // (2, 3) <- (1, 2)
  CHECK(y(0, 4) == 0.5f);         // (1, 0): left of the image
}

TEST_CASE("up-sampling and its adjoint", "[unet]") {
  Rng rng(5);
  const ImageGeom g{2, 2, 3};
  MatD x = normal(3, g.pixels(), rng), y, gy = normal(3, g.twice().pixels(), rng), gx;
  upsample2(x, g, y);
  CHECK(y(1, 4 * 6 + 0 * 6 + 1) == x(1, 6 + 0));  // image 1, (0, 1) <- (0, 0)
  CHECK(y(2, 3 * 6 + 5) == x(2, 1 * 3 + 2));      // image 0, (3, 5) <- (1, 2)
  upsample2_adjoint(gy, g, gx);
  CHECK(std::abs((y.array() * gy.array()).sum() - (x.array() * gx.array()).sum()) < 1e-12);
}

TEST_CASE("GroupNorm + SiLU matches finite differences", "[unet]") {
  Rng rng(11);
  const int c = 6, groups = 3;
  const ImageGeom g{3, 2, 3};
  ParamVec<double> p = random_params(2 * size_t(c), rng);
  for (int k = 0; k < c; ++k) p[size_t(k)] += 1.0;  // gains near 1
  GroupNormSilu<double> gn(c, groups, 0, size_t(c));
  MatD x = normal(c, g.pixels(), rng);
  x.row(1).array() += 3.0;  // a group off centre
  const MatD gout = normal(c, g.pixels(), rng);
  check_layer(
      p, x, gout, [&](const MatD& in, MatD& y) { gn.forward(p.data(), in, g, y); },
      [&](const MatD& gy, double* grad, MatD& gx) {
        MatD scratch = gy;
        gn.backward(p.data(), g, scratch, grad, gx);
      });
  CHECK_THROWS_AS(GroupNormSilu<double>(6, 4, 0, 6), Error);
}

TEST_CASE("the residual block matches finite differences, with and without a 1x1 skip", "[unet]") {
  for (int cin : {4, 2}) {
    Rng rng(13);
    const int cout = 4, embed = 3, groups = 2;
    const ImageGeom g{2, 3, 2};
    std::vector<size_t> off;
    size_t at = 0;
    for (size_t sz : {cin, cin, 9 * cin * cout, cout, cout * embed, cout, cout, cout,
                      9 * cout * cout, cout, cin * cout, cout}) {
      off.push_back(at);
      at += sz;
    }
    ResBlockOffsets o{off[0], off[1], off[2], off[3], off[4],  off[5],
                      off[6], off[7], off[8], off[9], off[10], off[11]};
    ParamVec<double> p = random_params(at, rng);
    ResBlock<double> block(cin, cout, embed, groups, o);
    MatD x = normal(cin, g.pixels(), rng), s = normal(embed, g.n, rng);
    const MatD gout = normal(cout, g.pixels(), rng);
    check_layer(
        p, x, gout,
        [&](const MatD& in, MatD& y) {
          block.forward(p.data(), in, g, s);
          y = block.out();
        },
        [&](const MatD& gy, double* grad, MatD& gx) {
          MatD scratch = gy, gs = MatD::Zero(embed, g.n);
          block.backward(p.data(), x, g, s, scratch, grad, &gs, gx);
          // The embedding's gradient too
          const VecD num = numeric_gradient(s.data(), s.size(), [&] {
            block.forward(p.data(), x, g, s);
            return (block.out().array() * gout.array()).sum();
          });
          CHECK(rel_err(as_vec(gs), num) < 1e-7);
        });
  }
}

namespace {
UNetConfig small_config(int image_channels, int classes) {
  UNetConfig c;
  c.image_channels = image_channels;
  c.height = 4;
  c.width = 6;
  c.channels = {4, 6};
  c.groups = 2;
  c.blocks = 2;
  c.embed = 5;
  c.time_freqs = 3;
  c.num_classes = classes;
  return c;
}

// A scalar of the network's output for finite differences: loss = <out, gout> for 3 images at
// random times with labels 0, 2 and 3 (3: the null label of 3 classes)
struct Probe {
  MatD gout;
  VecD t;
  std::vector<int> labels = {0, 2, 3};
  Probe(Eigen::Index out_rows, Rng& rng) : gout(normal(out_rows, 3, rng)), t(3) {
    for (int j = 0; j < 3; ++j) t[j] = rng.uniform();
  }
  double loss(UNet<double>& net, const MatD& x) const {
    MatD out;
    net.forward(x, t, labels.data(), out);
    return (out.array() * gout.array()).sum();
  }
};
}  // namespace

TEST_CASE("the whole U-Net matches finite differences: parameters and input (VJP)", "[unet]") {
  for (int channels : {1, 3}) {
    const UNetConfig c = small_config(channels, channels == 1 ? 3 : 0);
    UNet<double> net(c);
    Rng rng(17);
    ParamVec<double>& p = net.params();
    p = random_params(p.size(), rng);
    MatD x = normal(c.dim(), 3, rng);
    const Probe pr(c.dim(), rng);
    auto loss = [&] { return pr.loss(net, x); };
    loss();
    ParamVec<double> grad;
    net.backward(pr.gout, grad);
    MatD gin;
    net.vjp(pr.gout, gin);
    CHECK(rel_err(as_vec(grad), numeric_gradient(p.data(), Eigen::Index(p.size()), loss)) < 1e-7);
    CHECK(rel_err(as_vec(gin), numeric_gradient(x.data(), x.size(), loss)) < 1e-7);
    CHECK(grad.size() == unet_param_count(c));
  }
}

TEST_CASE("the U-Net routes labels and the null class, and each image is its own", "[unet]") {
  const UNetConfig c = small_config(1, 3);
  UNet<double> net(c);
  Rng rng(19);
  net.params() = random_params(net.params().size(), rng);
  const MatD x = normal(c.dim(), 4, rng);
  const VecD t = VecD::Constant(4, 0.3);
  MatD a, b, one;
  const std::vector<int> null_labels(4, 3), labels = {0, 1, 2, 3};
  net.forward(x, t, nullptr, a);
  net.forward(x, t, null_labels.data(), b);
  CHECK(a == b);  // nullptr: the null class
  net.forward(x, t, labels.data(), b);
  CHECK((a.col(3) - b.col(3)).norm() < 1e-12);  // label 3 is the null class
  for (int j = 0; j < 3; ++j) CHECK((a.col(j) - b.col(j)).norm() > 1e-3);
  CHECK((b.col(0) - b.col(1)).norm() > 1e-3);
  net.forward(x.col(1), t.head(1), labels.data() + 1, one);
  CHECK((one.col(0) - b.col(1)).norm() < 1e-12);
}

TEST_CASE("U-Net settings it cannot take are usage errors", "[unet]") {
  auto bad = [](const std::function<void(UNetConfig&)>& change) {
    UNetConfig c = small_config(1, 0);
    change(c);
    try {
      c.validate();
    } catch (const Error& e) {
      return e.code() == ExitCode::usage;
    }
    return false;
  };
  CHECK_FALSE(bad([](UNetConfig&) {}));
  CHECK(bad([](UNetConfig& c) { c.height = 5; }));  // 2 levels: sizes divide by 2
  CHECK(bad([](UNetConfig& c) {
    c.channels = {4, 6, 8};
  }));  // 3 levels: 4x6 would need divisible by 4
  CHECK(bad([](UNetConfig& c) { c.channels = {4, 5}; }));  // 5 channels in 2 groups
  CHECK(bad([](UNetConfig& c) { c.image_channels = 2; }));
  CHECK(bad([](UNetConfig& c) { c.groups = 0; }));
  CHECK(bad([](UNetConfig& c) { c.channels.clear(); }));
  CHECK(parse_channel_list("32,64") == std::vector<int>{32, 64});
  for (const char* s : {"", "32,", "a", "32,-4", "3 2", ",8"})
    CHECK_THROWS_AS(parse_channel_list(s), Error);
}

TEST_CASE("the inference layers agree with the training ones", "[unet]") {
  Rng rng(31);
  const int cin = 8, cout = 6;
  const ImageGeom g{2, 4, 6};
  const size_t nw = size_t(cout) * size_t(9 * cin);
  const ParamVec<double> pd = random_params(nw + size_t(cout), rng);
  const ParamVec<float> pf(pd.begin(), pd.end());
  const MatD x = normal(cin, g.pixels(), rng);
  SECTION("GroupNorm + SiLU of x + a per-image shift, in one map per image") {
    GroupNormSilu<double> gn(cin, 2, 0, size_t(cin));
    ParamVec<double> p = random_params(2 * size_t(cin), rng);
    const MatD shift = 3.0 * normal(cin, g.n, rng);
    MatD xs = x, want, got;
    for (int i = 0; i < g.n; ++i)
      xs.middleCols(i * g.per_image(), g.per_image()).colwise() += shift.col(i);
    gn.forward(p.data(), xs, g, want);
    gn.infer(p.data(), x, g, &shift, got);
    CHECK(rel_err(as_vec(got), as_vec(want)) < 1e-13);
    gn.infer(p.data(), xs, g, nullptr, got);
    CHECK(rel_err(as_vec(got), as_vec(want)) < 1e-13);
  }
  SECTION("nearest up-sampling + 3x3 convolution as one deconvolution (float, oneDNN)") {
    Conv<double> cd(cin, cout, 3, 1, 0, nw);
    Conv<float> cf(cin, cout, 3, 1, 0, nw);
    MatD up, want, got;
    Mat gotf;
    upsample2(x, g, up);
    cd.forward(pd.data(), up, g.twice(), want);
    cd.infer_up(pd.data(), x, g, got);
    CHECK(got == want);
    cf.infer_up(pf.data(), x.cast<float>(), g, gotf);
    CHECK(rel_err(as_vec(MatD(gotf.cast<double>())), as_vec(want)) < 1e-5);
  }
  SECTION("adding into the output: 3x3 stride 1 and 2 (oneDNN's sum post-op) and 1x1") {
    for (const auto& [k, stride] : {std::pair{3, 1}, std::pair{3, 2}, std::pair{1, 1}}) {
      Conv<double> cd(cin, cout, k, stride, 0, nw);
      Conv<float> cf(cin, cout, k, stride, 0, nw);
      MatD want;
      cd.forward(pd.data(), x, g, want);
      const MatD base = normal(cout, want.cols(), rng);
      want += base;
      MatD got = base;
      Mat gotf = base.cast<float>();
      cd.infer_add(pd.data(), x, g, got);
      cf.infer_add(pf.data(), x.cast<float>(), g, gotf);
      CHECK(rel_err(as_vec(got), as_vec(want)) < 1e-14);
      CHECK(rel_err(as_vec(MatD(gotf.cast<double>())), as_vec(want)) < 1e-5);
    }
  }
}

namespace {
// A conditional three-level U-Net (1x1 skips, concatenations, up-sampling twice) with random
// parameters, in double and, with the same parameters, in float.
struct NetPair {
  static UNetConfig three_levels() {
    UNetConfig c = small_config(1, 10);
    c.height = c.width = 8;
    c.channels = {8, 16, 24};
    c.groups = 4;
    c.blocks = 1;
    c.embed = 16;
    return c;
  }
  explicit NetPair(Rng& rng) : c(three_levels()), d(c), f(c) {
    d.params() = random_params(d.params().size(), rng);
    f.params().assign(d.params().begin(), d.params().end());
  }
  UNetConfig c;
  UNet<double> d;
  UNet<float> f;
};
}  // namespace

TEST_CASE("the U-Net's inference pass gives its forward pass's output", "[unet]") {
  Rng rng(37);
  NetPair nets(rng);
  const UNetConfig& c = nets.c;
  UNet<double>& nd = nets.d;
  UNet<float>& nf = nets.f;
  const int n = 5;
  const MatD x = normal(c.dim(), n, rng);
  VecD t(n);
  for (int j = 0; j < n; ++j) t[j] = rng.uniform();
  const std::vector<int> labels = {0, 3, 10, 7, 9};
  MatD want, got;
  nd.forward(x, t, labels.data(), want);
  nd.infer(x, t, labels.data(), got);
  CHECK(rel_err(as_vec(got), as_vec(want)) < 1e-12);
  Mat gotf;
  nf.infer(x.cast<float>(), t.cast<float>(), labels.data(), gotf);
  CHECK(rel_err(as_vec(MatD(gotf.cast<double>())), as_vec(want)) < 1e-4);
  CHECK(want.norm() > 1);
  MatD gin;
  CHECK_THROWS_WITH(nd.vjp(want, gin), Catch::Contains("needs a forward pass"));
}

TEST_CASE("up-sampling + 3x3 convolution: the float deconvolution and its gradients agree with "
          "the double im2col path", "[unet]") {
  Rng rng(41);
  const int cin = 6, cout = 5;
  const ImageGeom g{2, 3, 4};  // the low-resolution input
  const size_t nw = size_t(cout) * size_t(9 * cin);
  const ParamVec<double> pd = random_params(nw + size_t(cout), rng);
  const ParamVec<float> pf(pd.begin(), pd.end());
  Conv<double> cd(cin, cout, 3, 1, 0, nw);
  Conv<float> cf(cin, cout, 3, 1, 0, nw);
  const MatD x = normal(cin, g.pixels(), rng), gy = normal(cout, g.twice().pixels(), rng);
  MatD yd, gxd, up, want;
  Mat yf, gxf;
  cd.forward_up(pd.data(), x, g, yd);
  upsample2(x, g, up);
  cd.forward(pd.data(), up, g.twice(), want);
  CHECK(yd == want);
  cf.forward_up(pf.data(), x.cast<float>(), g, yf);
  CHECK(rel_err(as_vec(MatD(yf.cast<double>())), as_vec(yd)) < 1e-5);
  ParamVec<double> gradd(pd.size(), 0.0);
  ParamVec<float> gradf(pd.size(), 1.f);  // accumulates onto what is there
  cd.backward_up(pd.data(), x, g, gy, gradd.data(), &gxd);
  cf.backward_up(pf.data(), x.cast<float>(), g, gy.cast<float>(), gradf.data(), &gxf);
  CHECK(rel_err(as_vec(MatD(gxf.cast<double>())), as_vec(gxd)) < 1e-5);
  const VecD gfd = Eigen::Map<const Vec>(gradf.data(), Eigen::Index(gradf.size())).cast<double>();
  CHECK(rel_err(gfd.array() - 1.0, as_vec(gradd)) < 1e-5);
  // The double path against finite differences of sum(gy . y)
  ParamVec<double> p = pd;
  MatD xv = x;
  check_layer(
      p, xv, gy, [&](const MatD& in, MatD& y) { cd.forward_up(p.data(), in, g, y); },
      [&](const MatD& gout, double* grad, MatD& gx) {
        cd.forward_up(p.data(), xv, g, yd);
        cd.backward_up(p.data(), xv, g, gout, grad, &gx);
      });
}

TEST_CASE("the float U-Net's gradients agree with the double one's", "[unet]") {
  Rng rng(43);
  NetPair nets(rng);
  const UNetConfig& c = nets.c;
  UNet<double>& nd = nets.d;
  UNet<float>& nf = nets.f;
  const int n = 4;
  const MatD x = normal(c.dim(), n, rng), gout = normal(c.dim(), n, rng);
  const VecD t = VecD::Constant(n, 0.4);
  const std::vector<int> labels = {1, 10, 4, 2};
  MatD yd, gind;
  Mat yf, ginf;
  ParamVec<double> gd;
  ParamVec<float> gf;
  nd.forward(x, t, labels.data(), yd);
  nd.backward(gout, gd);
  nd.vjp(gout, gind);
  nf.forward(x.cast<float>(), t.cast<float>(), labels.data(), yf);
  nf.backward(gout.cast<float>(), gf);
  nf.vjp(gout.cast<float>(), ginf);
  const VecD gfd = Eigen::Map<const Vec>(gf.data(), Eigen::Index(gf.size())).cast<double>();
  CHECK(rel_err(as_vec(MatD(yf.cast<double>())), as_vec(yd)) < 1e-4);
  CHECK(rel_err(gfd, as_vec(gd)) < 1e-4);
  CHECK(rel_err(as_vec(MatD(ginf.cast<double>())), as_vec(gind)) < 1e-4);
}

namespace {
// A U-Net over token images: S = 5 states per pixel (V = 4 grey levels and MASK), embedded in
// E = 3 channels, V = 4 logits out per pixel.
UNetConfig token_config(int classes) {
  UNetConfig c = small_config(1, classes);
  c.token_states = 5;
  c.token_embed = 3;
  c.out_channels = 4;
  return c;
}

MatD random_tokens(const UNetConfig& c, int n, Rng& rng) {
  MatD x(c.dim(), n);
  for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = double(rng.below(uint64_t(c.token_states)));
  return x;
}
}  // namespace

TEST_CASE("a U-Net over tokens: the embedding's and logits' gradients match finite differences",
          "[unet][discrete]") {
  const UNetConfig c = token_config(3);
  UNet<double> net(c);
  Rng rng(41);
  ParamVec<double>& p = net.params();
  p = random_params(p.size(), rng);
  const MatD x = random_tokens(c, 3, rng);
  const Probe pr(c.out_dim(), rng);  // d loss / d logits: V per pixel
  auto loss = [&] { return pr.loss(net, x); };
  loss();
  ParamVec<double> grad;
  net.backward(pr.gout, grad);
  const VecD num = numeric_gradient(p.data(), Eigen::Index(p.size()), loss);
  CHECK(rel_err(as_vec(grad), num) < 1e-7);
  // The embedding table on its own (its gradient is the input image's, gathered back per token)
  for (const ParamBlock& b : unet_layout(c)) {
    if (b.name != "tok.E" && b.name != "out.W") continue;
    const VecD g = as_vec(grad).segment(Eigen::Index(b.offset), Eigen::Index(b.size()));
    CHECK(rel_err(g, num.segment(Eigen::Index(b.offset), Eigen::Index(b.size()))) < 1e-7);
    CHECK(g.norm() > 0);
    CHECK(b.rows == (b.name == "tok.E" ? 3 : 4));  // E x S table; V output channels
  }
  MatD gin;
  CHECK_THROWS_WITH(net.vjp(pr.gout, gin), Catch::Contains("tokens has no derivative"));
}

TEST_CASE("a U-Net over tokens is the plain U-Net on the image of its tokens' embeddings",
          "[unet][discrete]") {
  const UNetConfig c = token_config(0);
  UNetConfig plain = c;  // the same network with the E-channel image as its input
  plain.token_states = 0;
  plain.image_channels = c.token_embed;
  plain.validate();
  UNet<double> net(c), ref(plain);
  Rng rng(43);
  net.params() = random_params(net.params().size(), rng);
  // The token network's parameters are tok.E, then the plain network's, in its order
  const ParamBlock tok = unet_layout(c)[4];
  REQUIRE(tok.name == "tok.E");
  REQUIRE(net.params().size() == ref.params().size() + tok.size());
  std::copy(net.params().begin(), net.params().begin() + long(tok.offset), ref.params().begin());
  std::copy(net.params().begin() + long(tok.offset + tok.size()), net.params().end(),
            ref.params().begin() + long(tok.offset));
  const int n = 2;
  const MatD x = random_tokens(c, n, rng);
  MatD image(plain.dim(), n);
  const Eigen::Map<const MatD> e(net.params().data() + tok.offset, c.token_embed, c.token_states);
  for (Eigen::Index k = 0; k < x.size(); ++k)
    image.col(k / c.dim()).segment((k % c.dim()) * c.token_embed, c.token_embed) = e.col(int(x.data()[k]));
  const VecD t = VecD::Constant(n, 0.4);
  MatD a, b;
  net.forward(x, t, nullptr, a);
  ref.forward(image, t, nullptr, b);
  CHECK(a.rows() == c.out_dim());
  CHECK(rel_err(as_vec(a), as_vec(b)) < 1e-14);
  // A token outside the states is refused, as are fractions
  for (double bad : {5.0, -1.0, 1.5}) {
    MatD y = x;
    y(7, 1) = bad;
    CHECK_THROWS_WITH(net.forward(y, t, nullptr, a), Catch::Contains("a token outside the network's states"));
  }
}
