// eval (Frechet distance): the Frechet distance between the Gaussians fitted to two sets, in
// the features `fd_features` gives (the points themselves, or fixed random features of an
// image). Formulas and tests: doc/MATH.md, "Sample quality".
#pragma once
#include "flowkit/core/core.hpp"

namespace flowkit {

// Points of up to this many dimensions are their own features; larger ones (images) go
// through the random features below.
constexpr int kFdRawDims = 64;
// The random features: phi(x) = max(0, W x / sqrt(d) + b), W and b standard normal drawn from
// a fixed generator (the same on every machine and run), kFdFeatures of them.
constexpr int kFdFeatures = 128;
constexpr uint64_t kFdSeed = 0x66642d66656174ULL;  // "fd-feat"

// The features of every column of x (d x n): x itself when d <= kFdRawDims, else the random
// ReLU features (kFdFeatures x n).
Mat fd_features(const Mat& x);

// |m1 - m2|^2 + tr(S1) + tr(S2) - 2 tr((S1^{1/2} S2 S1^{1/2})^{1/2}), in double; negative
// eigenvalues of the symmetric roots' arguments (rounding) count as 0.
double frechet_gaussian(const VecD& m1, const MatD& s1, const VecD& m2, const MatD& s2);

// The Frechet distance (the squared form above, as FID reports it) between the Gaussian fits
// (mean, unbiased covariance) of the features of a and b.
double frechet_distance(const Mat& a, const Mat& b);

}  // namespace flowkit
