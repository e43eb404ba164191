// core: the batch type of discrete data, n token sequences of length L as an L x n integer
// matrix (one column per sequence: the bytes of an (n, L) C-order int32 array).
#pragma once
#include <Eigen/Core>
#include <cstdint>

namespace flowkit {

using Tokens = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic>;

// Vocabularies beyond this are refused (a token must fit in 16 bits).
constexpr int kMaxVocab = 1 << 16;

}  // namespace flowkit
