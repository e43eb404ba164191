// token_posterior: a discrete model's posterior p_{1|t} of a batch of token sequences, as the
// jump sampler asks it (DiscreteModel::posterior: the token U-Net in pieces of 16 images), for
// bench/run.py's check that torch_flow.py's token U-Net is flowkit's (the same weights, the same
// probabilities). Sequence j gets label j % (C + 1) of a model with C classes (C: the null label).
// Usage: token_posterior MODEL.json TOKENS.npy T OUT.npy   writes OUT.npy, float32 (n, L, V).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "flowkit/io/npy.hpp"
#include "flowkit/io/tokens.hpp"
#include "flowkit/model/discrete_load.hpp"
#include "flowkit/model/field_file.hpp"

using namespace flowkit;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: token_posterior MODEL.json TOKENS.npy T OUT.npy\n");
    return 2;
  }
  try {
    const auto model = load_discrete(read_model_json(argv[1]), argv[1]);
    const TokenStream in = read_tokens(argv[2]);
    const Eigen::Index n = in.x.cols();
    const int classes = model->num_classes();
    std::vector<int> labels(static_cast<size_t>(n));
    for (Eigen::Index j = 0; j < n; ++j) labels[size_t(j)] = int(j % (classes + 1));
    const Vec t = Vec::Constant(n, float(std::atof(argv[3])));
    Mat p;  // V x (L n): column i + L j is position i of sequence j, the bytes of (n, L, V)
    model->posterior(in.x, t, classes > 0 ? labels.data() : nullptr, p);
    Array a({int64_t(n), int64_t(model->length()), int64_t(p.rows())});
    std::copy(p.data(), p.data() + p.size(), a.data.begin());
    std::ofstream out(argv[4], std::ios::binary);
    npy::write_array(out, a);
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "token_posterior: error: %s\n", e.what());
    return 1;
  }
}
