#include "flowkit/nn/conv_dnnl.hpp"

#include <algorithm>
#include <dnnl.hpp>
#include <unordered_map>
#include <vector>

namespace flowkit {
namespace {
using dnnl::memory;
using Args = std::unordered_map<int, memory>;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// A memory object over the caller's buffer, its pointer set at each call.
memory user_memory(const memory::desc& md) {
  return memory(md, cpu_engine(), DNNL_MEMORY_NONE);
}

void set(memory& m, const float* p) {
  m.set_data_handle(const_cast<float*>(p));
}

// Geometries kept built: a sampler's last piece of a chunk and training's validation batch
// alternate with the full-size batch.
constexpr size_t kPlans = 4;

bool same(const ImageGeom& a, const ImageGeom& b) {
  return a.n == b.n && a.h == b.h && a.w == b.w;
}
}  // namespace

// The primitives for one geometry, their memory objects and argument maps; with up, those of
// the 4x4 stride-2 deconvolution that is up-sampling + the 3x3 convolution.
struct DnnlPlan {
  int cin, cout, stride;
  bool up;
  ImageGeom geom{-1, -1, -1};
  dnnl::primitive fwd, bwd_data, bwd_weights, w_to_fwd, w_to_bwd, dw_to_user;
  memory x, y, gy, gx, w_user, w_fwd, w_bwd, b, dw_conv, dw_user, db;
  std::vector<float> dw_buf, db_buf;  // the gradients before they are added to the caller's
  std::vector<float> w4;              // up: the 4x4 kernel
  Args fwd_args, bwd_data_args, bwd_weights_args, w_to_fwd_args, w_to_bwd_args, dw_to_user_args;

  void build(const ImageGeom& g);
  template <class Fwd, class BwdData, class BwdWeights>
  void make(dnnl::algorithm algo, const ImageGeom& g);
};

// An inference primitive for one geometry (nothing kept for backward): forward_inference, a
// sum post-op when it accumulates, a 4x4 stride-2 deconvolution when it up-samples.
struct DnnlInferPlan {
  int cin, cout, stride;
  bool accumulate, up;
  ImageGeom geom{-1, -1, -1};
  dnnl::primitive fwd, w_to_fwd;
  memory x, y, w_user, w_fwd, b;
  std::vector<float> w4;  // up: the 4x4 kernel (HWIO) the 3x3 one becomes
  Args fwd_args, w_to_fwd_args;

  void build(const ImageGeom& g);
  bool fits(const ImageGeom& g, bool acc, bool u) const {
    return same(geom, g) && accumulate == acc && up == u;
  }
};

namespace {
// The plan that fits, moved to the front, or a new one from make() (the least recently used
// one goes beyond kPlans).
template <class P, class Fits, class Make>
P& find_plan(std::vector<std::unique_ptr<P>>& plans, const Fits& fits, const Make& make) {
  size_t i = 0;
  while (i < plans.size() && !fits(*plans[i])) ++i;
  if (i == plans.size()) {
    if (plans.size() == kPlans) plans.pop_back();
    plans.insert(plans.begin(), make());
  } else if (i > 0) {
    std::rotate(plans.begin(), plans.begin() + long(i), plans.begin() + long(i) + 1);
  }
  return *plans[0];
}

// Nearest 2x up-sampling then a 3x3 convolution (pad 1) is, for each output parity, a 2-tap
// filter of the low-resolution input: along one axis, output 2i reads x[i-1] w0 + x[i] (w1 +
// w2), output 2i+1 reads x[i] (w0 + w1) + x[i+1] w2. As a stride-2 deconvolution (pad 1) that
// is the 4-tap kernel (w2, w1 + w2, w0 + w1, w0), taps 0..3; kTaps lists the 3x3 taps of each.
constexpr int kTaps[4][3] = {{2, -1, -1}, {1, 2, -1}, {0, 1, -1}, {0, -1, -1}};

// w4 (cout x 16 cin, HWIO like w) from w (cout x 9 cin).
void up_kernel(const float* w, int cin, int cout, float* w4) {
  const size_t oc = size_t(cout) * size_t(cin);
  for (int kh = 0; kh < 4; ++kh)
    for (int kw = 0; kw < 4; ++kw) {
      float* dst = w4 + size_t(kh * 4 + kw) * oc;
      std::fill(dst, dst + oc, 0.f);
      for (const int a : kTaps[kh])
        for (const int b : kTaps[kw]) {
          if (a < 0 || b < 0) continue;
          const float* src = w + size_t(a * 3 + b) * oc;
          for (size_t k = 0; k < oc; ++k) dst[k] += src[k];
        }
    }
}
// dw (cout x 9 cin) += the gradient that reaches the 3x3 kernel from dw4, the 4x4 one's.
void up_kernel_adjoint(const float* dw4, int cin, int cout, float* dw) {
  const size_t oc = size_t(cout) * size_t(cin);
  for (int kh = 0; kh < 4; ++kh)
    for (int kw = 0; kw < 4; ++kw) {
      const float* src = dw4 + size_t(kh * 4 + kw) * oc;
      for (const int a : kTaps[kh])
        for (const int b : kTaps[kw]) {
          if (a < 0 || b < 0) continue;
          float* dst = dw + size_t(a * 3 + b) * oc;
          for (size_t k = 0; k < oc; ++k) dst[k] += src[k];
        }
    }
}
}  // namespace

struct DnnlConv::Impl {
  int cin, cout, stride;
  dnnl::stream st{cpu_engine()};
  std::vector<std::unique_ptr<DnnlPlan>> plans;  // the most recently used first
  std::vector<std::unique_ptr<DnnlInferPlan>> infer_plans;
  DnnlPlan& plan(const ImageGeom& g, bool up);
  DnnlInferPlan& infer_plan(const ImageGeom& g, bool accumulate, bool up);
};

DnnlPlan& DnnlConv::Impl::plan(const ImageGeom& g, bool up) {
  return find_plan(
      plans, [&](const DnnlPlan& p) { return same(p.geom, g) && p.up == up; },
      [&] {
        auto p = std::make_unique<DnnlPlan>();
        p->cin = cin;
        p->cout = cout;
        p->stride = stride;
        p->up = up;
        p->build(g);
        return p;
      });
}

DnnlInferPlan& DnnlConv::Impl::infer_plan(const ImageGeom& g, bool accumulate, bool up) {
  return find_plan(
      infer_plans, [&](const DnnlInferPlan& p) { return p.fits(g, accumulate, up); },
      [&] {
        auto p = std::make_unique<DnnlInferPlan>();
        p->cin = cin;
        p->cout = cout;
        p->stride = stride;
        p->accumulate = accumulate;
        p->up = up;
        p->build(g);
        return p;
      });
}

void DnnlInferPlan::build(const ImageGeom& g) {
  using namespace dnnl;
  const int k = up ? 4 : 3, s = up ? 2 : stride;
  const ImageGeom o = up ? g.twice() : ImageGeom{g.n, g.h / stride, g.w / stride};
  const memory::desc x_md({g.n, cin, g.h, g.w}, kF32, Tag::nhwc),
      y_md({o.n, cout, o.h, o.w}, kF32, Tag::nhwc), any({cout, cin, k, k}, kF32, Tag::any),
      b_md({cout}, kF32, Tag::x), user_md({cout, cin, k, k}, kF32, Tag::hwio);
  const memory::dims strides{s, s}, pad{1, 1};
  primitive_attr attr;
  if (accumulate) {
    post_ops po;
    po.append_sum(1.f);
    attr.set_post_ops(po);
  }
  memory::desc w_md;
  if (up) {
    const deconvolution_forward::primitive_desc pd(
        {prop_kind::forward_inference, algorithm::deconvolution_direct, x_md, any, b_md, y_md,
         strides, pad, pad},
        attr, cpu_engine());
    fwd = deconvolution_forward(pd);
    w_md = pd.weights_desc();
    w4.assign(size_t(cout) * size_t(16 * cin), 0.f);
  } else {
    const convolution_forward::primitive_desc pd(
        {prop_kind::forward_inference, algorithm::convolution_direct, x_md, any, b_md, y_md,
         strides, pad, pad},
        attr, cpu_engine());
    fwd = convolution_forward(pd);
    w_md = pd.weights_desc();
  }
  x = user_memory(x_md);
  y = user_memory(y_md);
  b = user_memory(b_md);
  w_user = up ? memory(user_md, cpu_engine(), w4.data()) : user_memory(user_md);
  w_fwd = memory(w_md, cpu_engine());
  w_to_fwd = reorder(w_user, w_fwd);
  fwd_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w_fwd}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}};
  w_to_fwd_args = {{DNNL_ARG_FROM, w_user}, {DNNL_ARG_TO, w_fwd}};
  geom = g;
}

void DnnlPlan::build(const ImageGeom& g) {
  using namespace dnnl;
  if (up)
    make<deconvolution_forward, deconvolution_backward_data, deconvolution_backward_weights>(
        algorithm::deconvolution_direct, g);
  else
    make<convolution_forward, convolution_backward_data, convolution_backward_weights>(
        algorithm::convolution_direct, g);
}

template <class Fwd, class BwdData, class BwdWeights>
void DnnlPlan::make(dnnl::algorithm algo, const ImageGeom& g) {
  using namespace dnnl;
  const int k = up ? 4 : 3, s = up ? 2 : stride;
  const ImageGeom o = up ? g.twice() : ImageGeom{g.n, g.h / stride, g.w / stride};
  const memory::dims src{g.n, cin, g.h, g.w}, dst{o.n, cout, o.h, o.w}, wei{cout, cin, k, k};
  const memory::dims strides{s, s}, pad{1, 1};
  const memory::desc x_md(src, kF32, Tag::nhwc), y_md(dst, kF32, Tag::nhwc),
      any(wei, kF32, Tag::any);
  const memory::desc b_md({cout}, kF32, Tag::x), user_md(wei, kF32, Tag::hwio);
  const typename Fwd::primitive_desc fpd(
      {prop_kind::forward_training, algo, x_md, any, b_md, y_md, strides, pad, pad}, cpu_engine());
  const typename BwdData::primitive_desc bdpd({algo, x_md, any, y_md, strides, pad, pad},
                                              cpu_engine(), fpd);
  const typename BwdWeights::primitive_desc bwpd(
      {algo, x_md, any, b_md, y_md, strides, pad, pad}, cpu_engine(), fpd);
  fwd = Fwd(fpd);
  bwd_data = BwdData(bdpd);
  bwd_weights = BwdWeights(bwpd);
  x = user_memory(x_md);
  y = user_memory(y_md);
  gy = user_memory(y_md);
  gx = user_memory(x_md);
  b = user_memory(b_md);
  const size_t nw = size_t(cout) * size_t(k * k * cin);
  if (up) w4.assign(nw, 0.f);
  w_user = up ? memory(user_md, cpu_engine(), w4.data()) : user_memory(user_md);
  w_fwd = memory(fpd.weights_desc(), cpu_engine());
  w_bwd = memory(bdpd.weights_desc(), cpu_engine());
  dw_conv = memory(bwpd.diff_weights_desc(), cpu_engine());
  dw_buf.assign(nw, 0.f);
  db_buf.assign(size_t(cout), 0.f);
  dw_user = memory(user_md, cpu_engine(), dw_buf.data());
  db = memory(b_md, cpu_engine(), db_buf.data());
  w_to_fwd = reorder(w_user, w_fwd);
  w_to_bwd = reorder(w_user, w_bwd);
  dw_to_user = reorder(dw_conv, dw_user);
  fwd_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w_fwd}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}};
  bwd_data_args = {{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_WEIGHTS, w_bwd}, {DNNL_ARG_DIFF_SRC, gx}};
  bwd_weights_args = {{DNNL_ARG_SRC, x},
                      {DNNL_ARG_DIFF_DST, gy},
                      {DNNL_ARG_DIFF_WEIGHTS, dw_conv},
                      {DNNL_ARG_DIFF_BIAS, db}};
  w_to_fwd_args = {{DNNL_ARG_FROM, w_user}, {DNNL_ARG_TO, w_fwd}};
  w_to_bwd_args = {{DNNL_ARG_FROM, w_user}, {DNNL_ARG_TO, w_bwd}};
  dw_to_user_args = {{DNNL_ARG_FROM, dw_conv}, {DNNL_ARG_TO, dw_user}};
  geom = g;
}

DnnlConv::DnnlConv(int cin, int cout, int stride) : impl_(std::make_unique<Impl>()) {
  impl_->cin = cin;
  impl_->cout = cout;
  impl_->stride = stride;
}

DnnlConv::~DnnlConv() = default;

void DnnlConv::forward(const float* w, const float* b, const float* x, const ImageGeom& g,
                       float* y, bool up) {
  Impl& m = *impl_;
  try {
    DnnlPlan& p = m.plan(g, up);
    if (up)
      up_kernel(w, m.cin, m.cout, p.w4.data());
    else
      set(p.w_user, w);
    p.w_to_fwd.execute(m.st, p.w_to_fwd_args);
    set(p.x, x);
    set(p.b, b);
    set(p.y, y);
    p.fwd.execute(m.st, p.fwd_args);
    m.st.wait();
  } catch (const dnnl::error& e) {
    throw Error(std::string("oneDNN convolution: ") + e.what());
  }
}

void DnnlConv::infer(const float* w, const float* b, const float* x, const ImageGeom& g, float* y,
                     bool accumulate, bool up) {
  Impl& m = *impl_;
  try {
    DnnlInferPlan& p = m.infer_plan(g, accumulate, up);
    if (up)
      up_kernel(w, m.cin, m.cout, p.w4.data());
    else
      set(p.w_user, w);
    p.w_to_fwd.execute(m.st, p.w_to_fwd_args);
    set(p.x, x);
    set(p.b, b);
    set(p.y, y);
    p.fwd.execute(m.st, p.fwd_args);
    m.st.wait();
  } catch (const dnnl::error& e) {
    throw Error(std::string("oneDNN convolution: ") + e.what());
  }
}

void DnnlConv::backward(const float* w, const float* x, const ImageGeom& g, const float* gy,
                        float* dw, float* db, float* gx, bool up) {
  Impl& m = *impl_;
  DnnlPlan* p = nullptr;
  try {
    p = &m.plan(g, up);
    set(p->gy, gy);
    if (gx) {
      if (up)
        up_kernel(w, m.cin, m.cout, p->w4.data());
      else
        set(p->w_user, w);
      p->w_to_bwd.execute(m.st, p->w_to_bwd_args);
      set(p->gx, gx);
      p->bwd_data.execute(m.st, p->bwd_data_args);
    }
    if (dw) {
      set(p->x, x);
      p->bwd_weights.execute(m.st, p->bwd_weights_args);
      p->dw_to_user.execute(m.st, p->dw_to_user_args);
    }
    m.st.wait();
  } catch (const dnnl::error& e) {
    throw Error(std::string("oneDNN convolution: ") + e.what());
  }
  if (!dw) return;
  if (up)
    up_kernel_adjoint(p->dw_buf.data(), m.cin, m.cout, dw);
  else
    for (size_t k = 0; k < p->dw_buf.size(); ++k) dw[k] += p->dw_buf[k];
  for (size_t k = 0; k < p->db_buf.size(); ++k) db[k] += p->db_buf[k];
}

}  // namespace flowkit
