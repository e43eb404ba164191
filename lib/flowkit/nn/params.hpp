// nn: flat parameter vectors (weights, gradients, optimizer moments, EMA), aligned like Eigen's
// own matrices so that vectorized results never depend on where the allocator put them.
#pragma once
#include <Eigen/Core>
#include <vector>

namespace flowkit {
template <class S>
using ParamVec = std::vector<S, Eigen::aligned_allocator<S>>;
using Params = ParamVec<float>;
}  // namespace flowkit
