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

// oneDNN's scratchpads in our hands (scratchpad_mode::user), one per primitive. The library's
// own mode shares a buffer per thread among the primitives, counted as they are created and
// destroyed; a gradient shard's network builds its plans on a worker thread and is destroyed
// on the main one, and after that a convolution on the main thread crashed (grad_test's U-Net
// cases run in one process, 2-core AVX2 EPYC); with its own scratchpad each plan is alone.
dnnl::primitive_attr user_scratchpad(dnnl::primitive_attr a = dnnl::primitive_attr()) {
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

// Adds a scratchpad of `md`'s size to a primitive's arguments (none when it needs none).
void add_scratchpad(Args& args, const memory::desc& md) {
  if (md.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = memory(md, cpu_engine());
}

// A reorder from `from` to `to` with its own scratchpad; its arguments in `args`.
dnnl::primitive reorder_of(const memory& from, const memory& to, Args& args) {
  const dnnl::reorder::primitive_desc pd(from, to, user_scratchpad());
  args = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  add_scratchpad(args, pd.scratchpad_desc());
  return dnnl::reorder(pd);
}

// Geometries kept built, per kind of plan (training, inference): a batch's short last piece
// alternates with the full-size pieces, and a training step's pieces with sampling's.
constexpr size_t kPlans = 4;

bool same(const ImageGeom& a, const ImageGeom& b) {
  return a.n == b.n && a.h == b.h && a.w == b.w;
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

// The memory descriptors of one geometry: input, output, weights (any: the primitive's
// choice; user: HWIO), bias; up: the 4x4 stride-2 deconvolution's.
struct Descs {
  memory::desc x, y, any, b, user;
  memory::dims strides, pad{1, 1};
};
}  // namespace

// What every plan holds: the forward primitive of one geometry, the weights' reorder into its
// layout, the memory objects over the caller's buffers and the argument maps.
struct DnnlForward {
  int cin, cout, stride;
  bool up;
  ImageGeom geom{-1, -1, -1};
  dnnl::primitive fwd, w_to_fwd;
  memory x, y, w_user, w_fwd, b;
  std::vector<float> w4;  // up: the 4x4 kernel (HWIO) the 3x3 one becomes
  Args fwd_args, w_to_fwd_args;

  Descs descs(const ImageGeom& g) const {
    const int k = up ? 4 : 3, s = up ? 2 : stride;
    const ImageGeom o = up ? g.twice() : ImageGeom{g.n, g.h / stride, g.w / stride};
    return {memory::desc({g.n, cin, g.h, g.w}, kF32, Tag::nhwc),
            memory::desc({o.n, cout, o.h, o.w}, kF32, Tag::nhwc),
            memory::desc({cout, cin, k, k}, kF32, Tag::any), memory::desc({cout}, kF32, Tag::x),
            memory::desc({cout, cin, k, k}, kF32, Tag::hwio), {s, s}};
  }
  // After fwd is built: the memory objects and argument maps (w_md: fwd's weights layout,
  // scratch_md: its scratchpad).
  void bind(const Descs& d, const memory::desc& w_md, const memory::desc& scratch_md, const ImageGeom& g) {
    x = user_memory(d.x);
    y = user_memory(d.y);
    b = user_memory(d.b);
    if (up) w4.assign(size_t(cout) * size_t(16 * cin), 0.f);
    w_user = up ? memory(d.user, cpu_engine(), w4.data()) : user_memory(d.user);
    w_fwd = memory(w_md, cpu_engine());
    w_to_fwd = reorder_of(w_user, w_fwd, w_to_fwd_args);
    fwd_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w_fwd}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}};
    add_scratchpad(fwd_args, scratch_md);
    geom = g;
  }
  // The user's weights into w_user: as they are, or as the 4x4 kernel.
  void load(const float* w) {
    if (up)
      up_kernel(w, cin, cout, w4.data());
    else
      set(w_user, w);
  }
  // y = the forward of x with weights w and bias b.
  void run(dnnl::stream& st, const float* w, const float* b_, const float* x_, float* y_) {
    load(w);
    w_to_fwd.execute(st, w_to_fwd_args);
    set(x, x_);
    set(b, b_);
    set(y, y_);
    fwd.execute(st, fwd_args);
    st.wait();
  }
};

// A training plan: the forward, backward-data and backward-weights primitives.
struct DnnlPlan : DnnlForward {
  dnnl::primitive bwd_data, bwd_weights, w_to_bwd, dw_to_user;
  memory gy, gx, w_bwd, dw_conv, dw_user, db;
  std::vector<float> dw_buf, db_buf;  // the gradients before they are added to the caller's
  Args bwd_data_args, bwd_weights_args, w_to_bwd_args, dw_to_user_args;

  void build(const ImageGeom& g);
  template <class Fwd, class BwdData, class BwdWeights>
  void make(dnnl::algorithm algo, const ImageGeom& g);
};

// An inference plan (nothing kept for backward): forward_inference, with a sum post-op when it
// accumulates into its output.
struct DnnlInferPlan : DnnlForward {
  bool accumulate;
  void build(const ImageGeom& g);
  template <class Fwd>
  void make(dnnl::algorithm algo, const Descs& d, const dnnl::primitive_attr& attr,
            const ImageGeom& g);
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

// Runs f, a oneDNN error becoming ours.
template <class F>
void guarded(const F& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    throw Error(std::string("oneDNN convolution: ") + e.what());
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
  // A new plan of type P for this convolution.
  template <class P>
  std::unique_ptr<P> fresh(bool up) const {
    auto p = std::make_unique<P>();
    p->cin = cin;
    p->cout = cout;
    p->stride = stride;
    p->up = up;
    return p;
  }
};

DnnlPlan& DnnlConv::Impl::plan(const ImageGeom& g, bool up) {
  return find_plan(
      plans, [&](const DnnlPlan& p) { return same(p.geom, g) && p.up == up; },
      [&] {
        auto p = fresh<DnnlPlan>(up);
        p->build(g);
        return p;
      });
}

DnnlInferPlan& DnnlConv::Impl::infer_plan(const ImageGeom& g, bool accumulate, bool up) {
  return find_plan(
      infer_plans,
      [&](const DnnlInferPlan& p) { return same(p.geom, g) && p.up == up && p.accumulate == accumulate; },
      [&] {
        auto p = fresh<DnnlInferPlan>(up);
        p->accumulate = accumulate;
        p->build(g);
        return p;
      });
}

void DnnlInferPlan::build(const ImageGeom& g) {
  using namespace dnnl;
  const Descs d = descs(g);
  primitive_attr attr;
  if (accumulate) {
    post_ops po;
    po.append_sum(1.f);
    attr.set_post_ops(po);
  }
  if (up)
    make<deconvolution_forward>(algorithm::deconvolution_direct, d, attr, g);
  else
    make<convolution_forward>(algorithm::convolution_direct, d, attr, g);
}

template <class Fwd>
void DnnlInferPlan::make(dnnl::algorithm algo, const Descs& d, const dnnl::primitive_attr& attr,
                         const ImageGeom& g) {
  const typename Fwd::primitive_desc pd({dnnl::prop_kind::forward_inference, algo, d.x, d.any,
                                         d.b, d.y, d.strides, d.pad, d.pad},
                                        user_scratchpad(attr), cpu_engine());
  fwd = Fwd(pd);
  bind(d, pd.weights_desc(), pd.scratchpad_desc(), g);
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
  const Descs d = descs(g);
  const primitive_attr attr = user_scratchpad();
  const typename Fwd::primitive_desc fpd(
      {prop_kind::forward_training, algo, d.x, d.any, d.b, d.y, d.strides, d.pad, d.pad}, attr,
      cpu_engine());
  const typename BwdData::primitive_desc bdpd({algo, d.x, d.any, d.y, d.strides, d.pad, d.pad}, attr,
                                              cpu_engine(), fpd);
  const typename BwdWeights::primitive_desc bwpd(
      {algo, d.x, d.any, d.b, d.y, d.strides, d.pad, d.pad}, attr, cpu_engine(), fpd);
  fwd = Fwd(fpd);
  bwd_data = BwdData(bdpd);
  bwd_weights = BwdWeights(bwpd);
  bind(d, fpd.weights_desc(), fpd.scratchpad_desc(), g);
  gy = user_memory(d.y);
  gx = user_memory(d.x);
  w_bwd = memory(bdpd.weights_desc(), cpu_engine());
  dw_conv = memory(bwpd.diff_weights_desc(), cpu_engine());
  dw_buf.assign(size_t(d.user.get_size() / sizeof(float)), 0.f);
  db_buf.assign(size_t(cout), 0.f);
  dw_user = memory(d.user, cpu_engine(), dw_buf.data());
  db = memory(d.b, cpu_engine(), db_buf.data());
  w_to_bwd = reorder_of(w_user, w_bwd, w_to_bwd_args);
  dw_to_user = reorder_of(dw_conv, dw_user, dw_to_user_args);
  bwd_data_args = {{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_WEIGHTS, w_bwd}, {DNNL_ARG_DIFF_SRC, gx}};
  add_scratchpad(bwd_data_args, bdpd.scratchpad_desc());
  bwd_weights_args = {{DNNL_ARG_SRC, x},
                      {DNNL_ARG_DIFF_DST, gy},
                      {DNNL_ARG_DIFF_WEIGHTS, dw_conv},
                      {DNNL_ARG_DIFF_BIAS, db}};
  add_scratchpad(bwd_weights_args, bwpd.scratchpad_desc());
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
  guarded([&] { m.plan(g, up).run(m.st, w, b, x, y); });
}

void DnnlConv::infer(const float* w, const float* b, const float* x, const ImageGeom& g, float* y,
                     bool accumulate, bool up) {
  Impl& m = *impl_;
  guarded([&] { m.infer_plan(g, accumulate, up).run(m.st, w, b, x, y); });
}

void DnnlConv::backward(const float* w, const float* x, const ImageGeom& g, const float* gy,
                        float* dw, float* db, float* gx, bool up) {
  Impl& m = *impl_;
  DnnlPlan* p = nullptr;
  guarded([&] {
    p = &m.plan(g, up);
    set(p->gy, gy);
    if (gx) {
      p->load(w);
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
  });
  if (!dw) return;
  if (up)
    up_kernel_adjoint(p->dw_buf.data(), m.cin, m.cout, dw);
  else
    for (size_t k = 0; k < p->dw_buf.size(); ++k) dw[k] += p->dw_buf[k];
  for (size_t k = 0; k < p->db_buf.size(); ++k) db[k] += p->db_buf[k];
}

}  // namespace flowkit
