// conv_rate: one 3x3 convolution (stride 1, pad 1) of the U-Net, forward + backward (input and
// weight gradients), by im2col + SGEMM (Eigen, OpenBLAS behind it) in NCHW and in NHWC, and by
// oneDNN when it was found at configure time. Reports milliseconds per forward + backward and
// the achieved GFLOP/s (3 GEMMs of 2 N H W Cout 9 Cin flops each).
// Usage: conv_rate THREADS BATCH CHANNELS SIZE REPS   prints one JSON line per method.
#include <omp.h>

#include <Eigen/Core>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "flowkit/core/core.hpp"
#ifdef FLOWKIT_HAVE_DNNL
#include <dnnl.hpp>
#endif

using namespace flowkit;
using MapM = Eigen::Map<Mat>;

namespace {
// Images per im2col chunk: the column matrix (9 C x chunk H W) stays within a few MB.
constexpr int kChunk = 8;

struct Shape {
  int n, c, h, w;
  int hw() const { return h * w; }
};

template <class F>
double ms_per(int reps, F f) {
  f();
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) f();
  return 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

// NCHW: col(c 9 + k, p) of one image, p = y w + x.
void im2col_nchw(const float* x, const Shape& s, float* col) {
  for (int c = 0; c < s.c; ++c)
    for (int k = 0; k < 9; ++k) {
      const int dy = k / 3 - 1, dx = k % 3 - 1;
      float* o = col + size_t(c * 9 + k) * size_t(s.hw());
      for (int y = 0; y < s.h; ++y)
        for (int xx = 0; xx < s.w; ++xx) {
          const int yy = y + dy, x2 = xx + dx;
          o[y * s.w + xx] =
              (yy < 0 || yy >= s.h || x2 < 0 || x2 >= s.w) ? 0.f : x[(c * s.h + yy) * s.w + x2];
        }
    }
}

void col2im_nchw(const float* col, const Shape& s, float* x) {
  std::fill(x, x + size_t(s.c) * size_t(s.hw()), 0.f);
  for (int c = 0; c < s.c; ++c)
    for (int k = 0; k < 9; ++k) {
      const int dy = k / 3 - 1, dx = k % 3 - 1;
      const float* o = col + size_t(c * 9 + k) * size_t(s.hw());
      for (int y = 0; y < s.h; ++y)
        for (int xx = 0; xx < s.w; ++xx) {
          const int yy = y + dy, x2 = xx + dx;
          if (yy >= 0 && yy < s.h && x2 >= 0 && x2 < s.w)
            x[(c * s.h + yy) * s.w + x2] += o[y * s.w + xx];
        }
    }
}

// NHWC: col(k C + c, p) for the pixels p of `m` images, channel vectors copied whole.
void im2col_nhwc(const float* x, const Shape& s, int m, float* col) {
  const size_t kc = size_t(9 * s.c);
  for (int i = 0; i < m; ++i)
    for (int y = 0; y < s.h; ++y)
      for (int xx = 0; xx < s.w; ++xx) {
        float* o = col + kc * size_t((i * s.h + y) * s.w + xx);
        for (int k = 0; k < 9; ++k) {
          const int yy = y + k / 3 - 1, x2 = xx + k % 3 - 1;
          float* ok = o + k * s.c;
          if (yy < 0 || yy >= s.h || x2 < 0 || x2 >= s.w)
            std::fill(ok, ok + s.c, 0.f);
          else
            std::copy_n(x + size_t(((i * s.h + yy) * s.w + x2) * s.c), s.c, ok);
        }
      }
}

void col2im_nhwc(const float* col, const Shape& s, int m, float* x) {
  const size_t kc = size_t(9 * s.c);
  std::fill(x, x + size_t(m) * size_t(s.hw()) * size_t(s.c), 0.f);
  for (int i = 0; i < m; ++i)
    for (int y = 0; y < s.h; ++y)
      for (int xx = 0; xx < s.w; ++xx) {
        const float* o = col + kc * size_t((i * s.h + y) * s.w + xx);
        for (int k = 0; k < 9; ++k) {
          const int yy = y + k / 3 - 1, x2 = xx + k % 3 - 1;
          if (yy < 0 || yy >= s.h || x2 < 0 || x2 >= s.w) continue;
          float* xi = x + size_t(((i * s.h + yy) * s.w + x2) * s.c);
          for (int c = 0; c < s.c; ++c) xi[c] += o[k * s.c + c];
        }
      }
}

// Forward + backward, NCHW: per image, out (C x HW) = W (C x 9C) col, dW += g col^T, dcol = W^T g.
double run_nchw(const Shape& s, int reps) {
  const int d = s.c * s.hw();
  Mat x = Mat::Random(d, s.n), out(d, s.n), g = Mat::Random(d, s.n), dx(d, s.n);
  Mat w = Mat::Random(s.c, 9 * s.c), dw(s.c, 9 * s.c), col(9 * s.c, s.hw()), dcol(9 * s.c, s.hw());
  Vec b = Vec::Random(s.c);
  return ms_per(reps, [&] {
    dw.setZero();
    for (int i = 0; i < s.n; ++i) {
      im2col_nchw(x.col(i).data(), s, col.data());
      MapM o(out.col(i).data(), s.hw(), s.c);  // column-major HW x C: o^T = W col
      o.noalias() = col.transpose() * w.transpose();
      o.rowwise() += b.transpose();
    }
    for (int i = 0; i < s.n; ++i) {
      im2col_nchw(x.col(i).data(), s, col.data());
      MapM gi(g.col(i).data(), s.hw(), s.c);
      dw.noalias() += gi.transpose() * col.transpose();
      dcol.noalias() = w.transpose() * gi.transpose();
      col2im_nchw(dcol.data(), s, dx.col(i).data());
    }
  });
}

// Forward + backward, NHWC: chunks of kChunk images, out (C x chunk HW) = W col.
double run_nhwc(const Shape& s, int reps) {
  const int d = s.c * s.hw(), cols = kChunk * s.hw();
  Mat x = Mat::Random(d, s.n), out(d, s.n), g = Mat::Random(d, s.n), dx(d, s.n);
  Mat w = Mat::Random(s.c, 9 * s.c), dw(s.c, 9 * s.c), col(9 * s.c, cols), dcol(9 * s.c, cols);
  Vec b = Vec::Random(s.c);
  return ms_per(reps, [&] {
    dw.setZero();
    for (int i = 0; i < s.n; i += kChunk) {
      const int m = std::min(kChunk, s.n - i);
      im2col_nhwc(x.col(i).data(), s, m, col.data());
      MapM o(out.col(i).data(), s.c, m * s.hw());
      o.noalias() = w * col.leftCols(m * s.hw());
      o.colwise() += b;
    }
    for (int i = 0; i < s.n; i += kChunk) {
      const int m = std::min(kChunk, s.n - i);
      im2col_nhwc(x.col(i).data(), s, m, col.data());
      MapM gi(g.col(i).data(), s.c, m * s.hw());
      dw.noalias() += gi * col.leftCols(m * s.hw()).transpose();
      dcol.leftCols(m * s.hw()).noalias() = w.transpose() * gi;
      col2im_nhwc(dcol.data(), s, m, dx.col(i).data());
    }
  });
}

// The three GEMMs of run_nhwc alone (no im2col, no col2im): what the copies cost.
double run_gemms(const Shape& s, int reps) {
  const int cols = kChunk * s.hw();
  Mat w = Mat::Random(s.c, 9 * s.c), dw(s.c, 9 * s.c), col = Mat::Random(9 * s.c, cols),
      dcol(9 * s.c, cols);
  Mat o(s.c, cols), g = Mat::Random(s.c, cols);
  return ms_per(reps, [&] {
    for (int i = 0; i < s.n; i += kChunk) o.noalias() = w * col;
    for (int i = 0; i < s.n; i += kChunk) {
      dw.noalias() += g * col.transpose();
      dcol.noalias() = w.transpose() * g;
    }
  });
}

#ifdef FLOWKIT_HAVE_DNNL
// oneDNN: forward (training), backward data, backward weights + bias. `tag` fixes the activation
// layout (nhwc, nchw) or lets the library pick (any: its blocked layout, no reorders counted).
double run_dnnl(const Shape& s, int reps, dnnl::memory::format_tag tag) {
  using namespace dnnl;
  using dt = memory::data_type;
  using ft = memory::format_tag;
  engine eng(engine::kind::cpu, 0);
  stream st(eng);
  const memory::dims src{s.n, s.c, s.h, s.w}, wei{s.c, s.c, 3, 3}, bia{s.c}, one{1, 1}, pad{1, 1};
  const memory::desc a_md(src, dt::f32, tag), w_md(wei, dt::f32, ft::any),
      b_md(bia, dt::f32, ft::x);
  const convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                                     a_md, w_md, b_md, a_md, one, pad, pad);
  const convolution_forward::primitive_desc fpd(fd, eng);
  const convolution_backward_data::desc bdd(algorithm::convolution_direct, a_md, w_md, a_md, one,
                                            pad, pad);
  const convolution_backward_data::primitive_desc bdpd(bdd, eng, fpd);
  const convolution_backward_weights::desc bwd(algorithm::convolution_direct, a_md, w_md, b_md,
                                               a_md, one, pad, pad);
  const convolution_backward_weights::primitive_desc bwpd(bwd, eng, fpd);
  std::fprintf(stderr, "oneDNN %s: fwd %s, bwd data %s, bwd weights %s\n",
               tag == ft::any ? "any" : "fixed", fpd.impl_info_str(), bdpd.impl_info_str(),
               bwpd.impl_info_str());
  auto filled = [&](const memory::desc& md) {
    memory m(md, eng);
    float* p = static_cast<float*>(m.get_data_handle());
    for (size_t i = 0; i < md.get_size() / 4; ++i) p[i] = float(i % 17) * 0.01f;
    return m;
  };
  memory x = filled(fpd.src_desc()), w = filled(fpd.weights_desc()), b = filled(fpd.bias_desc());
  memory y = filled(fpd.dst_desc()), g = filled(bdpd.diff_dst_desc()),
         dx = filled(bdpd.diff_src_desc());
  memory dw = filled(bwpd.diff_weights_desc()), db = filled(bwpd.diff_bias_desc());
  convolution_forward f(fpd);
  convolution_backward_data bd(bdpd);
  convolution_backward_weights bw(bwpd);
  return ms_per(reps, [&] {
    f.execute(st,
              {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}});
    bd.execute(st, {{DNNL_ARG_DIFF_DST, g}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
    bw.execute(st, {{DNNL_ARG_SRC, x},
                    {DNNL_ARG_DIFF_DST, g},
                    {DNNL_ARG_DIFF_WEIGHTS, dw},
                    {DNNL_ARG_DIFF_BIAS, db}});
    st.wait();
  });
}
#endif

void report(const char* method, const Shape& s, int threads, double ms) {
  const double gflop = 3 * 2.0 * s.n * s.hw() * s.c * 9.0 * s.c * 1e-9;
  std::printf(
      "{\"method\": \"%s\", \"threads\": %d, \"batch\": %d, \"channels\": %d, \"size\": %d, "
      "\"ms\": %.2f, "
      "\"gflops\": %.1f}\n",
      method, threads, s.n, s.c, s.h, ms, gflop / (ms * 1e-3));
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: conv_rate THREADS BATCH CHANNELS SIZE REPS\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  set_threads(threads);
  const Shape s{std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[4])};
  const int reps = std::atoi(argv[5]);
  report("im2col-nchw", s, threads, run_nchw(s, reps));
  report("im2col-nhwc", s, threads, run_nhwc(s, reps));
  report("gemms-only-nhwc", s, threads, run_gemms(s, reps));
#ifdef FLOWKIT_HAVE_DNNL
  report("onednn-nhwc", s, threads, run_dnnl(s, reps, dnnl::memory::format_tag::nhwc));
  report("onednn-nchw", s, threads, run_dnnl(s, reps, dnnl::memory::format_tag::nchw));
  report("onednn-blocked", s, threads, run_dnnl(s, reps, dnnl::memory::format_tag::any));
#endif
  return 0;
}
