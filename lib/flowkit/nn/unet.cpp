#include "flowkit/nn/unet.hpp"

#include <cmath>

#include "flowkit/core/parallel.hpp"
#include "flowkit/nn/unet_block.hpp"

namespace flowkit {
namespace {
constexpr double kPi = 3.14159265358979323846;

size_t offset_of(const std::vector<ParamBlock>& layout, const std::string& name) {
  for (const ParamBlock& b : layout)
    if (b.name == name) return b.offset;
  throw Error("U-Net layout has no tensor '" + name + "'");
}

ResBlockOffsets block_offsets(const std::vector<ParamBlock>& v, const std::string& p, bool skip) {
  auto at = [&](const char* s) { return offset_of(v, p + s); };
  ResBlockOffsets o{at(".norm1.gamma"), at(".norm1.beta"), at(".conv1.W"),     at(".conv1.b"),
                    at(".emb.W"),       at(".emb.b"),      at(".norm2.gamma"), at(".norm2.beta"),
                    at(".conv2.W"),     at(".conv2.b")};
  if (skip) {
    o.skip_w = at(".skip.W");
    o.skip_b = at(".skip.b");
  }
  return o;
}

// While alive, the calling thread's OpenMP count is 1, so that oneDNN and OpenBLAS run on it
// alone even inside a team (where the count stays the outer one: oneDNN would plan for it and
// its JIT kernels spin; measured, 10x slower training at 2 threads). Per thread: no race.
class OneThread {
 public:
  OneThread() : keep_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(keep_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int keep_;
};

// y = silu(y) in place and d = silu'(pre-activation).
template <class M>
void silu(M& y, M& d) {
  using S = typename M::Scalar;
  d.resize(y.rows(), y.cols());
  d.array() = y.array().logistic();
  y.array() *= d.array();
  d.array() += y.array() * (S(1) - d.array());
}
}  // namespace

// Layers, tensors kept for backward, and the gradient buffers of the reverse pass.
template <class S>
struct UNet<S>::Impl {
  using M = typename UNet<S>::M;
  using V = typename UNet<S>::V;
  std::vector<ParamBlock> layout;
  Conv<S> in;
  std::vector<ResBlock<S>> blocks;  // down path, then up path, in order
  std::vector<Conv<S>> down, up;    // down[l]: level l -> l + 1; up[l]: level l + 1 -> l
  GroupNormSilu<S> out_norm;
  Conv<S> out;
  std::vector<ImageGeom> geom;  // per level
  std::vector<const M*> block_in;
  std::vector<const M*> skip;  // the down path's output of each level
  std::vector<const M*> up_src;  // the low-resolution input of each level's up-sampling
  std::vector<M> down_out, up_out, cat;
  M x, h_in, out_a, y;  // the input as C x pixels, the stem's output, the output norm's, the output
  // Embedding: Fourier features, hidden layer, its derivative, e, silu(e) and its derivative
  M feat, e1, de1, s, ds;
  std::vector<int> labels;
  std::vector<int> tok;  // tokens: each pixel's token (pixel-major, image after image)
  bool kept = false;  // the last pass kept what the reverse pass needs
  // Reverse pass: a buffer per tensor, so that none changes size from one call to the next
  M gy, ga, gh, gs, ge1, gx;
  std::vector<M> gblock;                              // dL/d(input of block k)
  std::vector<M> gskip, gup, gup_src, gdown;  // per level
  // Forward mode: the tangents of the embedding (features, hidden layer, s) and of the tensors
  M jfeat, je1, js, jx, jh, jout_a, jy;
  std::vector<M> jdown, jup, jcat;  // per level
  std::vector<const M*> jskip;      // the down path's tangent at each level

  explicit Impl(const UNetConfig& c);
  void features(const UNetConfig& c, const V& t, Eigen::Index row0);
  void embed(const S* p, const UNetConfig& c, const V& t, const V* s);
  void embed_jvp(const S* p, const UNetConfig& c, const V& dt, const V* ds);
  void embed_backward(const S* p, const UNetConfig& c, S* grad);
  void read_tokens(const S* p, const UNetConfig& c, const M& xin);
};

// Tokens: x (one token id per pixel) -> the E x pixels input image, column k = tok.E column of
// pixel k's token (the one-hot product as a gather). Throws on an id outside 0..S-1.
template <class S>
void UNet<S>::Impl::read_tokens(const S* p, const UNetConfig& c, const M& xin) {
  const Eigen::Index count = xin.size();
  const Eigen::Map<const M> e(p + offset_of(layout, "tok.E"), c.token_embed, c.token_states);
  tok.resize(size_t(count));
  x.resize(c.token_embed, count);
  for (Eigen::Index k = 0; k < count; ++k) {
    const S v = xin.data()[k];
    if (!(v >= 0 && v < S(c.token_states)) || v != std::floor(v)) throw Error("a token outside the network's states");
    tok[size_t(k)] = int(v);
    x.col(k) = e.col(tok[size_t(k)]);
  }
}

template <class S>
UNet<S>::Impl::Impl(const UNetConfig& c)
    : layout(unet_layout(c)),
      in(c.in_channels(), c.channels[0], 3, 1, offset_of(layout, "in.W"),
         offset_of(layout, "in.b")),
      out_norm(c.channels[0], c.groups, offset_of(layout, "out.norm.gamma"),
               offset_of(layout, "out.norm.beta")),
      out(c.channels[0], c.outputs(), 3, 1, offset_of(layout, "out.W"),
          offset_of(layout, "out.b")) {
  const int L = c.levels();
  blocks.reserve(size_t(2 * L * c.blocks));
  for (int l = 0; l < L; ++l) {
    const int ch = c.channels[size_t(l)];
    for (int b = 0; b < c.blocks; ++b) {
      const int cin = b > 0 ? ch : l > 0 ? c.channels[size_t(l) - 1] : ch;
      const std::string p = "down" + std::to_string(l) + ".block" + std::to_string(b);
      blocks.emplace_back(cin, ch, c.embed, c.groups, block_offsets(layout, p, cin != ch));
    }
    if (l + 1 < L) {
      const std::string p = "down" + std::to_string(l) + ".down.";
      down.emplace_back(ch, ch, 3, 2, offset_of(layout, p + "W"), offset_of(layout, p + "b"));
    }
  }
  for (int l = 0; l + 1 < L; ++l) {
    const std::string p = "up" + std::to_string(l) + ".up.";
    up.emplace_back(c.channels[size_t(l) + 1], c.channels[size_t(l)], 3, 1,
                    offset_of(layout, p + "W"), offset_of(layout, p + "b"));
  }
  for (int l = L - 2; l >= 0; --l) {
    const int ch = c.channels[size_t(l)];
    for (int b = 0; b < c.blocks; ++b) {
      const std::string p = "up" + std::to_string(l) + ".block" + std::to_string(b);
      blocks.emplace_back(b == 0 ? 2 * ch : ch, ch, c.embed, c.groups,
                          block_offsets(layout, p, b == 0));
    }
  }
  block_in.resize(blocks.size());
  skip.resize(size_t(L));
  jskip.resize(size_t(L));
  gblock.resize(blocks.size());
  up_src.resize(size_t(L));
  for (auto* v : {&down_out, &up_out, &cat, &gskip, &gup, &gup_src, &gdown, &jdown, &jup, &jcat})
    v->resize(size_t(L));
}

// Rows row0 .. row0 + 2F of feat: sin, cos(pi 2^k t_j) for k < F, one column per image.
template <class S>
void UNet<S>::Impl::features(const UNetConfig& c, const V& t, Eigen::Index row0) {
  for (Eigen::Index j = 0; j < t.size(); ++j) {
    double sn = std::sin(kPi * double(t[j])), cs = std::cos(kPi * double(t[j]));
    for (int f = 0; f < c.time_freqs; ++f) {
      feat(row0 + 2 * f, j) = S(sn);
      feat(row0 + 2 * f + 1, j) = S(cs);
      const double s2 = 2 * sn * cs;
      cs = (cs - sn) * (cs + sn);
      sn = s2;
    }
  }
}

// s = silu(W2 silu(W1 f(t[, s]) + b1) + b2 + E_y), one column per image; f: sin, cos(pi 2^k t)
// (and the same of the second time s below them).
template <class S>
void UNet<S>::Impl::embed(const S* p, const UNetConfig& c, const V& t, const V* s2) {
  using CMapM = Eigen::Map<const M>;
  const Eigen::Index n = t.size();
  feat.resize(2 * c.time_freqs * c.time_inputs, n);
  features(c, t, 0);
  if (s2) features(c, *s2, 2 * c.time_freqs);
  e1.noalias() = CMapM(p + offset_of(layout, "time.W1"), c.embed, feat.rows()) * feat;
  e1.colwise() += CMapM(p + offset_of(layout, "time.b1"), c.embed, 1).col(0);
  silu(e1, de1);
  s.noalias() = CMapM(p + offset_of(layout, "time.W2"), c.embed, c.embed) * e1;
  s.colwise() += CMapM(p + offset_of(layout, "time.b2"), c.embed, 1).col(0);
  if (c.num_classes > 0) {
    const CMapM e(p + offset_of(layout, "label.E"), c.embed, c.num_classes + 1);
    for (Eigen::Index j = 0; j < n; ++j) s.col(j) += e.col(labels[size_t(j)]);
  }
  silu(s, ds);
}

// The embedding's tangent js along the times' (dt, ds): d sin(w t) = w cos(w t) dt, d cos(w t)
// = -w sin(w t) dt with w = pi 2^k, then the two layers' chain (labels are constant).
template <class S>
void UNet<S>::Impl::embed_jvp(const S* p, const UNetConfig& c, const V& dt, const V* ds2) {
  using CMapM = Eigen::Map<const M>;
  jfeat.resize(feat.rows(), feat.cols());
  for (int k = 0; k < c.time_inputs; ++k) {
    const V& d = k == 0 ? dt : *ds2;
    for (Eigen::Index j = 0; j < feat.cols(); ++j)
      for (int f = 0; f < c.time_freqs; ++f) {
        const Eigen::Index r = 2 * (k * c.time_freqs + f);
        const S w = S(std::ldexp(kPi, f)) * d[j];
        jfeat(r, j) = w * feat(r + 1, j);
        jfeat(r + 1, j) = -w * feat(r, j);
      }
  }
  je1.noalias() = CMapM(p + offset_of(layout, "time.W1"), c.embed, feat.rows()) * jfeat;
  je1.array() *= de1.array();
  js.noalias() = CMapM(p + offset_of(layout, "time.W2"), c.embed, c.embed) * je1;
  js.array() *= ds.array();
}

// From gs = dL/ds into the embedding's parameter gradients.
template <class S>
void UNet<S>::Impl::embed_backward(const S* p, const UNetConfig& c, S* grad) {
  using CMapM = Eigen::Map<const M>;
  using MapM = Eigen::Map<M>;
  gs.array() *= ds.array();
  MapM(grad + offset_of(layout, "time.W2"), c.embed, c.embed).noalias() += gs * e1.transpose();
  MapM(grad + offset_of(layout, "time.b2"), c.embed, 1).col(0) += gs.rowwise().sum();
  if (c.num_classes > 0) {
    MapM e(grad + offset_of(layout, "label.E"), c.embed, c.num_classes + 1);
    for (Eigen::Index j = 0; j < gs.cols(); ++j) e.col(labels[size_t(j)]) += gs.col(j);
  }
  ge1.noalias() = CMapM(p + offset_of(layout, "time.W2"), c.embed, c.embed).transpose() * gs;
  ge1.array() *= de1.array();
  MapM(grad + offset_of(layout, "time.W1"), c.embed, feat.rows()).noalias() +=
      ge1 * feat.transpose();
  MapM(grad + offset_of(layout, "time.b1"), c.embed, 1).col(0) += ge1.rowwise().sum();
}

template <class S>
UNet<S>::UNet(const UNetConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  params_.assign(unet_param_count(cfg_), S(0));
  impl_ = std::make_unique<Impl>(cfg_);
}

template <class S>
UNet<S>::~UNet() = default;

template <class S>
void UNet<S>::init(Rng& rng) {
  auto ends = [](const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
  };
  for (const ParamBlock& b : impl_->layout) {
    S* p = params_.data() + b.offset;
    const bool zero = ends(b.name, ".conv2.W") || b.name == "out.W";
    const bool matrix = b.cols > 1 && !zero;
    const bool table = b.name == "label.E" || b.name == "tok.E";  // embeddings: unit entries
    const double sd = table ? 1.0 : 1.0 / std::sqrt(double(b.cols));
    for (size_t k = 0; k < b.size(); ++k)
      p[k] = ends(b.name, ".gamma") ? S(1) : matrix ? S(sd * rng.normal()) : S(0);
  }
}

template <class S>
void UNet<S>::forward(const M& x, const V& t, const int* labels, M& out, const V* s) {
  run(x, t, s, labels, out, true);
}

template <class S>
void UNet<S>::infer(const M& x, const V& t, const int* labels, M& out, const V* s) {
  run(x, t, s, labels, out, false);
}

// The forward pass; keep: each layer keeps what its backward needs (else the inference forms).
template <class S>
void UNet<S>::run(const M& x, const V& t, const V* s, const int* labels, M& out, bool keep) {
  Impl& m = *impl_;
  const UNetConfig& c = cfg_;
  const int n = int(x.cols()), L = c.levels();
  if (x.rows() != c.dim() || t.size() != n) throw Error("network input has the wrong shape");
  if ((c.time_inputs == 2) != (s != nullptr) || (s && s->size() != n))
    throw Error("the network takes " + std::to_string(c.time_inputs) + " time input(s) per column");
  const SerialProducts serial(!omp_in_parallel());  // the callers split batches over threads
  const OneThread one;
  const S* p = params_.data();
  m.kept = false;
  m.labels.assign(size_t(n), c.num_classes);
  if (labels && c.num_classes > 0) m.labels.assign(labels, labels + n);
  m.geom.resize(size_t(L));
  for (int l = 0; l < L; ++l) m.geom[size_t(l)] = {n, c.height >> l, c.width >> l};
  m.embed(p, c, t, s);
  if (c.tokens())
    m.read_tokens(p, c, x);
  else
    m.x = Eigen::Map<const M>(x.data(), c.image_channels, m.geom[0].pixels());
  keep ? m.in.forward(p, m.x, m.geom[0], m.h_in) : m.in.infer(p, m.x, m.geom[0], m.h_in);
  const M* h = &m.h_in;
  size_t k = 0;
  auto blocks = [&](size_t u) {
    for (int b = 0; b < c.blocks; ++b, ++k) {
      m.block_in[k] = h;
      ResBlock<S>& blk = m.blocks[k];
      keep ? blk.forward(p, *h, m.geom[u], m.s) : blk.infer(p, *h, m.geom[u], m.s);
      h = &blk.out();
    }
  };
  for (int l = 0; l < L; ++l) {
    const size_t u = size_t(l);
    blocks(u);
    m.skip[u] = h;
    if (l + 1 < L) {
      Conv<S>& d = m.down[u];
      keep ? d.forward(p, *h, m.geom[u], m.down_out[u]) : d.infer(p, *h, m.geom[u], m.down_out[u]);
      h = &m.down_out[u];
    }
  }
  for (int l = L - 2; l >= 0; --l) {
    const size_t u = size_t(l);
    m.up_src[u] = h;
    Conv<S>& up = m.up[u];
    keep ? up.forward_up(p, *h, m.geom[u + 1], m.up_out[u])
         : up.infer_up(p, *h, m.geom[u + 1], m.up_out[u]);
    m.cat[u].resize(2 * c.channels[u], m.geom[u].pixels());
    m.cat[u].topRows(c.channels[u]) = m.up_out[u];
    m.cat[u].bottomRows(c.channels[u]) = *m.skip[u];
    h = &m.cat[u];
    blocks(u);
  }
  if (keep) {
    m.out_norm.forward(p, *h, m.geom[0], m.out_a);
    m.out.forward(p, m.out_a, m.geom[0], m.y);
  } else {
    m.out_norm.infer(p, *h, m.geom[0], nullptr, m.out_a);
    m.out.infer(p, m.out_a, m.geom[0], m.y);
  }
  out.resize(c.out_dim(), n);
  out = Eigen::Map<const M>(m.y.data(), c.out_dim(), n);
  m.kept = keep;
}

template <class S>
void UNet<S>::backward(const M& gout, ParamVec<S>& grad, bool add) {
  if (!add || grad.size() != params_.size()) grad.assign(params_.size(), S(0));
  reverse(gout, grad.data(), nullptr);
}

template <class S>
void UNet<S>::vjp(const M& gout, M& gin) {
  if (cfg_.tokens()) throw Error("a network over tokens has no derivative in its input");
  reverse(gout, nullptr, &gin);
}

// The reverse pass: parameter gradients into grad (unless null), the input's into gin (if asked).
template <class S>
void UNet<S>::reverse(const M& gout, S* grad, M* gin) {
  Impl& m = *impl_;
  const UNetConfig& c = cfg_;
  const int L = c.levels();
  const int n = m.geom.empty() ? 0 : m.geom[0].n;
  if (!m.kept) throw Error("the U-Net's reverse pass needs a forward pass before it");
  if (gout.rows() != c.out_dim() || gout.cols() != n)
    throw Error("output gradient has the wrong shape");
  const SerialProducts serial(!omp_in_parallel());
  const OneThread one;
  const S* p = params_.data();
  if (grad) m.gs.setZero(c.embed, n);
  m.gy = Eigen::Map<const M>(gout.data(), c.outputs(), m.geom[0].pixels());
  m.out.backward(p, m.out_a, m.geom[0], m.gy, grad, &m.ga);
  m.out_norm.backward(p, m.geom[0], m.ga, grad, m.gh);
  size_t k = m.blocks.size();
  M* gs = grad ? &m.gs : nullptr;
  M* g = &m.gh;  // dL/d(the tensor the reverse pass has reached)
  auto block = [&](size_t u) {
    --k;
    m.blocks[k].backward(p, *m.block_in[k], m.geom[u], m.s, *g, grad, gs, m.gblock[k]);
    g = &m.gblock[k];
  };
  // Up path, in reverse: levels 0 .. L-2
  for (int l = 0; l + 1 < L; ++l) {
    const size_t u = size_t(l);
    for (int b = 0; b < c.blocks; ++b) block(u);
    m.gskip[u] = g->bottomRows(c.channels[u]);
    m.gup[u] = g->topRows(c.channels[u]);
    m.up[u].backward_up(p, *m.up_src[u], m.geom[u + 1], m.gup[u], grad, &m.gup_src[u + 1]);
    g = &m.gup_src[u + 1];
  }
  // Down path, in reverse: levels L-1 .. 0
  for (int l = L - 1; l >= 0; --l) {
    const size_t u = size_t(l);
    if (l + 1 < L) {
      m.down[u].backward(p, *m.skip[u], m.geom[u], *g, grad, &m.gdown[u]);
      m.gdown[u] += m.gskip[u];
      g = &m.gdown[u];
    }
    for (int b = 0; b < c.blocks; ++b) block(u);
  }
  const bool tokens = c.tokens() && grad;  // the table's gradient: the input image's, gathered back
  m.in.backward(p, m.x, m.geom[0], *g, grad, gin || tokens ? &m.gx : nullptr);
  if (tokens) {
    Eigen::Map<M> ge(grad + offset_of(m.layout, "tok.E"), c.token_embed, c.token_states);
    for (Eigen::Index k = 0; k < m.gx.cols(); ++k) ge.col(m.tok[size_t(k)]) += m.gx.col(k);
  }
  if (gin) {
    gin->resize(c.dim(), n);
    *gin = Eigen::Map<const M>(m.gx.data(), c.dim(), n);
  }
  if (grad) m.embed_backward(p, c, grad);
}

// The forward pass's chain along (dx, dt, ds), layer by layer over the tensors forward kept;
// the blocks' tangents stay in the blocks (the down path's feed the up path's concatenations).
template <class S>
void UNet<S>::jvp(const M& dx, const V& dt, const V* ds, M& jout) {
  Impl& m = *impl_;
  const UNetConfig& c = cfg_;
  const int L = c.levels();
  const int n = m.geom.empty() ? 0 : m.geom[0].n;
  if (!m.kept) throw Error("the U-Net's forward-mode pass needs a forward pass before it");
  if (c.tokens()) throw Error("a network over tokens has no derivative in its input");
  if (dx.rows() != c.dim() || dx.cols() != n || dt.size() != n || (c.time_inputs == 2) != (ds != nullptr) ||
      (ds && ds->size() != n))
    throw Error("network tangent has the wrong shape");
  const SerialProducts serial(!omp_in_parallel());
  const OneThread one;
  const S* p = params_.data();
  m.embed_jvp(p, c, dt, ds);
  m.jx = Eigen::Map<const M>(dx.data(), c.image_channels, m.geom[0].pixels());
  m.in.tangent(p, m.jx, m.geom[0], m.jh);
  const M* h = &m.jh;
  size_t k = 0;
  auto blocks = [&](size_t u) {
    for (int b = 0; b < c.blocks; ++b, ++k) {
      m.blocks[k].jvp(p, *h, m.geom[u], m.js);
      h = &m.blocks[k].jout();
    }
  };
  for (int l = 0; l < L; ++l) {
    const size_t u = size_t(l);
    blocks(u);
    m.jskip[u] = h;
    if (l + 1 < L) {
      m.down[u].tangent(p, *h, m.geom[u], m.jdown[u]);
      h = &m.jdown[u];
    }
  }
  for (int l = L - 2; l >= 0; --l) {
    const size_t u = size_t(l);
    m.up[u].tangent_up(p, *h, m.geom[u + 1], m.jup[u]);
    m.jcat[u].resize(2 * c.channels[u], m.geom[u].pixels());
    m.jcat[u].topRows(c.channels[u]) = m.jup[u];
    m.jcat[u].bottomRows(c.channels[u]) = *m.jskip[u];
    h = &m.jcat[u];
    blocks(u);
  }
  m.out_norm.jvp(p, m.geom[0], *h, m.jout_a);
  m.out.tangent(p, m.jout_a, m.geom[0], m.jy);
  jout.resize(c.out_dim(), n);
  jout = Eigen::Map<const M>(m.jy.data(), c.out_dim(), n);
}

template class UNet<float>;
template class UNet<double>;

}  // namespace flowkit
