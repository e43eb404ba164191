// nn: the U-Net's forward-mode products (UNet::jvp, MeanFlow's target) against central finite
// differences in double, against its own reverse mode (<g, J v> = <J^T g, v>), and in float
// (oneDNN's convolutions and deconvolution) against double.
#include <catch2/catch.hpp>

#include "flowkit/nn/unet.hpp"
#include "nn_random.hpp"

using namespace flowkit;

namespace {
using test::normal;

VecD uniform(Eigen::Index n, Rng& rng) {
  VecD v(n);
  for (Eigen::Index j = 0; j < n; ++j) v[j] = rng.uniform();
  return v;
}

// Three levels of two blocks (skips, 1x1 skips on the way up, down and up-sampling), labels.
UNetConfig jvp_config(int image_channels, int time_inputs) {
  UNetConfig c;
  c.image_channels = image_channels;
  c.height = c.width = 8;
  c.channels = {4, 6, 8};
  c.groups = 2;
  c.blocks = 2;
  c.embed = 5;
  c.time_freqs = 3;
  c.time_inputs = time_inputs;
  c.num_classes = 3;
  return c;
}

// Every weight drawn (the zero-started convolutions too), so that each layer reaches the output.
template <class S>
void randomize(UNet<S>& net, Rng& rng) {
  for (auto& p : net.params()) p = S(0.4 * rng.normal());
}

// The network at one point with one tangent: x, t, s (second time) and their tangents.
struct Point {
  MatD x, dx;
  VecD t, s, dt, ds;
  std::vector<int> labels = {0, 2, 3};  // 3: the null class
  Point(const UNetConfig& c, Rng& rng)
      : x(normal(c.dim(), 3, rng)), dx(normal(c.dim(), 3, rng)), t(uniform(3, rng)), s(uniform(3, rng)),
        dt(normal(3, 1, rng)), ds(normal(3, 1, rng)) {}
  const VecD* second(const UNetConfig& c, const VecD& v) const { return c.time_inputs == 2 ? &v : nullptr; }
  MatD at(UNet<double>& net, double h) const {
    MatD out;
    const VecD th = t + h * dt, sh = s + h * ds;
    net.forward(x + h * dx, th, labels.data(), out, second(net.config(), sh));
    return out;
  }
};
}  // namespace

TEST_CASE("the U-Net's JVP in the input and both times matches finite differences", "[unet]") {
  for (int channels : {1, 3})
    for (int times : {1, 2}) {
      const UNetConfig c = jvp_config(channels, times);
      UNet<double> net(c);
      Rng rng(uint64_t(31 + 2 * channels + times));
      randomize(net, rng);
      const Point pt(c, rng);
      const double h = 1e-6;
      const MatD fd = (pt.at(net, h) - pt.at(net, -h)) / (2 * h);
      MatD out, jout, jx;
      net.forward(pt.x, pt.t, pt.labels.data(), out, pt.second(c, pt.s));
      net.jvp(pt.dx, pt.dt, pt.second(c, pt.ds), jout);
      INFO("channels " << channels << ", time inputs " << times);
      CHECK((jout - fd).norm() / fd.norm() < 1e-7);
      // The times' part is not negligible: a wrong time tangent would fail the check above
      const VecD zero = VecD::Zero(3);
      net.jvp(pt.dx, zero, pt.second(c, zero), jx);
      CHECK((jout - jx).norm() / fd.norm() > 1e-2);
      // Along x alone the JVP is the adjoint of the VJP: <g, J dx> = <J^T g, dx>
      const MatD g = normal(c.dim(), 3, rng);
      MatD gin;
      net.vjp(g, gin);
      const double lhs = (g.array() * jx.array()).sum(), rhs = (gin.array() * pt.dx.array()).sum();
      CHECK(std::abs(lhs - rhs) < 1e-10 * std::abs(lhs) + 1e-12);
      CHECK(std::abs(lhs) > 1e-3);
    }
}

TEST_CASE("the float U-Net's JVP agrees with the double one's, and a backward after it is unchanged",
          "[unet]") {
  const UNetConfig c = jvp_config(1, 2);
  UNet<double> nd(c);
  UNet<float> nf(c);
  Rng rng(47);
  randomize(nd, rng);
  for (size_t k = 0; k < nd.params().size(); ++k) nf.params()[k] = float(nd.params()[k]);
  const Point pt(c, rng);
  const MatD gout = normal(c.dim(), 3, rng);
  MatD yd, jd;
  Mat yf, jf;
  nd.forward(pt.x, pt.t, pt.labels.data(), yd, &pt.s);
  nd.jvp(pt.dx, pt.dt, &pt.ds, jd);
  const Vec sf = pt.s.cast<float>(), dsf = pt.ds.cast<float>();
  nf.forward(pt.x.cast<float>(), pt.t.cast<float>(), pt.labels.data(), yf, &sf);
  ParamVec<float> before, after;
  nf.backward(gout.cast<float>(), before);
  nf.jvp(pt.dx.cast<float>(), pt.dt.cast<float>(), &dsf, jf);
  nf.backward(gout.cast<float>(), after);
  CHECK((jf.cast<double>() - jd).norm() / jd.norm() < 1e-4);
  CHECK(before == after);  // the forward-mode pass leaves what backward reads alone
}

TEST_CASE("the U-Net's JVP refuses tokens, a missing forward and a wrong number of times", "[unet]") {
  UNetConfig c = jvp_config(1, 1);
  UNet<double> net(c);
  Rng rng(3);
  randomize(net, rng);
  const Point pt(c, rng);
  MatD out, jout;
  CHECK_THROWS_WITH(net.jvp(pt.dx, pt.dt, nullptr, jout), Catch::Contains("needs a forward pass"));
  net.infer(pt.x, pt.t, pt.labels.data(), out);
  CHECK_THROWS_WITH(net.jvp(pt.dx, pt.dt, nullptr, jout), Catch::Contains("needs a forward pass"));
  net.forward(pt.x, pt.t, pt.labels.data(), out);
  CHECK_THROWS_WITH(net.jvp(pt.dx, pt.dt, &pt.ds, jout), Catch::Contains("wrong shape"));
  CHECK_THROWS_WITH(net.forward(pt.x, pt.t, pt.labels.data(), out, &pt.s), Catch::Contains("1 time input"));
  c.token_states = 5;
  c.out_channels = 4;
  c.time_inputs = 2;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("two over images"));
  c.time_inputs = 1;
  UNet<double> tokens(c);
  const MatD x = MatD::Constant(c.dim(), 3, 2.0);
  tokens.forward(x, pt.t, pt.labels.data(), out);
  CHECK_THROWS_WITH(tokens.jvp(pt.dx, pt.dt, nullptr, jout), Catch::Contains("tokens"));
}
