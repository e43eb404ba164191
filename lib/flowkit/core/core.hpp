// core: the batch type, the random generator and the error every tool reports.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace flowkit {

// A batch of n points of dimension d: a d x n matrix, one column per point.
// An NPY array of shape (n, d) in C order has exactly the bytes of this matrix.
using Mat = Eigen::MatrixXf;
using Vec = Eigen::VectorXf;
using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

// Exit status convention of every program (doc/DESIGN.md).
enum class ExitCode : int { ok = 0, runtime = 1, usage = 2 };

// The one exception type: its message is what the user sees after "flow-xxx: error: ".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, ExitCode code = ExitCode::runtime)
      : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A usage error (bad flag value, unknown name): exit status 2.
inline Error usage_error(const std::string& what) { return Error(what, ExitCode::usage); }

// Seedable generator with the same numbers on every platform: xoshiro256** seeded by
// splitmix64; the normal sampler is Marsaglia's polar method (no std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0);
  uint64_t next();
  double uniform();                   // [0, 1), 53 random bits
  double normal();                    // N(0, 1)
  uint64_t below(uint64_t n);         // uniform integer in [0, n), unbiased
  float rademacher() { return (next() >> 63) ? 1.0f : -1.0f; }
  void fill_normal(float* out, size_t n);
  void fill_normal(Mat& m) { fill_normal(m.data(), size_t(m.size())); }
  void fill_uniform(float* out, size_t n);

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// Fisher-Yates shuffle of 0..n-1 with the generator.
void shuffle_indices(std::vector<size_t>& idx, Rng& rng);

// Throws an Error naming the first column (point) that holds a NaN or Inf.
void require_finite(const Mat& m, const std::string& where);

// Sets the number of threads for Eigen and OpenMP (1 <= n <= hardware threads * 4).
void set_threads(int n);

// While alive (and `active`), the calling thread's matrix products (Eigen's, or OpenBLAS's
// behind it) run on that thread alone; the thread counts come back at the end of the scope.
// Sampling and densities run each chunk of points so: a product split over threads blocks its
// sums differently (Eigen picks its blocking by thread count), and the bytes would depend on
// --threads; the threads share chunks instead. Waking a team for a small batch also costs
// more than its work (bench/NOTES.md, item 12).
class SerialProducts {
 public:
  explicit SerialProducts(bool active);
  ~SerialProducts();
  SerialProducts(const SerialProducts&) = delete;
  SerialProducts& operator=(const SerialProducts&) = delete;

 private:
  int eigen_ = 0, omp_ = 0;  // the counts to restore; 0: nothing was changed
};

}  // namespace flowkit
