#include "flowkit/core/core.hpp"

#include <Eigen/Core>
#include <cmath>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace flowkit {
namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
  for (auto& s : s_) s = splitmix64(x);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * f;
  has_spare_ = true;
  return u * f;
}

uint64_t Rng::below(uint64_t n) {
  if (n == 0) return 0;
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do r = next();
  while (r >= limit);
  return r % n;
}

void Rng::fill_normal(float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = float(normal());
}

void Rng::fill_uniform(float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = float(uniform());
}

void shuffle_indices(std::vector<size_t>& idx, Rng& rng) {
  for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.below(i)]);
}

void require_finite(const Mat& m, const std::string& where) {
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    if (!m.col(j).allFinite())
      throw Error("non-finite value (NaN or Inf) in row " + std::to_string(j) + " (" + where + ")");
}

void set_threads(int n) {
  if (n < 1 || n > 1024) throw usage_error("--threads must be between 1 and 1024, got " + std::to_string(n));
  Eigen::setNbThreads(n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
}

SerialProducts::SerialProducts(bool active) {
  if (!active || Eigen::nbThreads() == 1) return;
  eigen_ = Eigen::nbThreads();
  Eigen::setNbThreads(1);
#ifdef _OPENMP
  omp_ = omp_get_max_threads();
  omp_set_num_threads(1);  // OpenBLAS's OpenMP build follows the calling thread's count
#endif
}

SerialProducts::~SerialProducts() {
  if (eigen_ > 0) Eigen::setNbThreads(eigen_);
#ifdef _OPENMP
  if (omp_ > 0) omp_set_num_threads(omp_);
#endif
}

}  // namespace flowkit
