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

// The primitives for one geometry, their memory objects and argument maps.
struct DnnlPlan {
  int cin, cout, stride;
  ImageGeom geom{-1, -1, -1};
  dnnl::primitive fwd, bwd_data, bwd_weights, w_to_fwd, w_to_bwd, dw_to_user;
  memory x, y, gy, gx, w_user, w_fwd, w_bwd, b, dw_conv, dw_user, db;
  std::vector<float> dw_buf, db_buf;  // the gradients before they are added to the caller's
  Args fwd_args, bwd_data_args, bwd_weights_args, w_to_fwd_args, w_to_bwd_args, dw_to_user_args;

  void build(const ImageGeom& g);
};

struct DnnlConv::Impl {
  int cin, cout, stride;
  dnnl::stream st{cpu_engine()};
  std::vector<std::unique_ptr<DnnlPlan>> plans;  // the most recently used first
  // The plan for g, built when new (the least recently used one goes beyond kPlans).
  DnnlPlan& plan(const ImageGeom& g);
};

DnnlPlan& DnnlConv::Impl::plan(const ImageGeom& g) {
  size_t i = 0;
  while (i < plans.size() && !same(plans[i]->geom, g)) ++i;
  if (i == plans.size()) {
    auto p = std::make_unique<DnnlPlan>();
    p->cin = cin;
    p->cout = cout;
    p->stride = stride;
    p->build(g);
    if (plans.size() == kPlans) plans.pop_back();
    plans.insert(plans.begin(), std::move(p));
  } else if (i > 0) {
    std::rotate(plans.begin(), plans.begin() + long(i), plans.begin() + long(i) + 1);
  }
  return *plans[0];
}

void DnnlPlan::build(const ImageGeom& g) {
  using namespace dnnl;
  const memory::dims src{g.n, cin, g.h, g.w}, dst{g.n, cout, g.h / stride, g.w / stride},
      wei{cout, cin, 3, 3};
  const memory::dims strides{stride, stride}, pad{1, 1};
  const memory::desc x_md(src, kF32, Tag::nhwc), y_md(dst, kF32, Tag::nhwc),
      any(wei, kF32, Tag::any);
  const memory::desc b_md({cout}, kF32, Tag::x), user_md(wei, kF32, Tag::hwio);
  const auto algo = algorithm::convolution_direct;
  const convolution_forward::primitive_desc fpd(
      {prop_kind::forward_training, algo, x_md, any, b_md, y_md, strides, pad, pad}, cpu_engine());
  const convolution_backward_data::primitive_desc bdpd({algo, x_md, any, y_md, strides, pad, pad},
                                                       cpu_engine(), fpd);
  const convolution_backward_weights::primitive_desc bwpd(
      {algo, x_md, any, b_md, y_md, strides, pad, pad}, cpu_engine(), fpd);
  fwd = convolution_forward(fpd);
  bwd_data = convolution_backward_data(bdpd);
  bwd_weights = convolution_backward_weights(bwpd);
  x = user_memory(x_md);
  y = user_memory(y_md);
  gy = user_memory(y_md);
  gx = user_memory(x_md);
  b = user_memory(b_md);
  w_user = user_memory(user_md);
  w_fwd = memory(fpd.weights_desc(), cpu_engine());
  w_bwd = memory(bdpd.weights_desc(), cpu_engine());
  dw_conv = memory(bwpd.diff_weights_desc(), cpu_engine());
  dw_buf.assign(size_t(cout) * size_t(9 * cin), 0.f);
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
                       float* y) {
  Impl& m = *impl_;
  try {
    DnnlPlan& p = m.plan(g);
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
                        float* dw, float* db, float* gx) {
  Impl& m = *impl_;
  DnnlPlan* p = nullptr;
  try {
    p = &m.plan(g);
    set(p->gy, gy);
    if (gx) {
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
  for (size_t k = 0; k < p->dw_buf.size(); ++k) dw[k] += p->dw_buf[k];
  for (size_t k = 0; k < p->db_buf.size(); ++k) db[k] += p->db_buf[k];
}

}  // namespace flowkit
