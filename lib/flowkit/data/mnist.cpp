// data: the 10,000 MNIST digits shipped in share/data, and their fixed train / held-out split
// (share/data/README.md).
#include <array>

#include "flowkit/data/data.hpp"

namespace flowkit {

const ChoiceTable<MnistPart>& mnist_parts() {
  static const ChoiceTable<MnistPart> t = {
      {"all", MnistPart::all, "all 10,000 digits"},
      {"train", MnistPart::train, "the 9,000 training digits"},
      {"heldout", MnistPart::heldout, "the 1,000 held-out digits: the first 100 of each class in file order"},
  };
  return t;
}

std::vector<bool> mnist_heldout(const std::vector<float>& labels) {
  std::array<int, kMnistClasses> seen{};
  std::vector<bool> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const int c = int(labels[i]);
    if (c < 0 || c >= kMnistClasses) throw Error("MNIST label " + std::to_string(c) + " at index " + std::to_string(i) + " is not 0..9");
    out[i] = seen[size_t(c)]++ < kMnistHeldoutPerClass;
  }
  return out;
}

LabeledImages load_mnist(const std::string& images, const std::string& labels, MnistPart part) {
  LabeledImages all = load_idx(images, labels);
  if (!all.stream.companion) throw Error("MNIST needs its labels (" + images + ")");
  if (part == MnistPart::all) return all;
  const std::vector<bool> held = mnist_heldout(all.stream.companion->data);
  const bool want = part == MnistPart::heldout;
  const Array& x = all.stream.main;
  const int64_t row = x.row_size();
  int64_t n = 0;
  for (bool h : held) n += h == want;
  std::vector<int64_t> shape = x.shape;
  shape[0] = n;
  LabeledImages out;
  out.stream.main = Array(shape);
  out.stream.companion = Array({n});
  // Rows of the part, in file order
  int64_t k = 0;
  for (int64_t i = 0; i < x.rows(); ++i) {
    if (held[size_t(i)] != want) continue;
    std::copy_n(x.data.begin() + i * row, row, out.stream.main.data.begin() + k * row);
    out.stream.companion->data[size_t(k++)] = all.stream.companion->data[size_t(i)];
  }
  return out;
}

}  // namespace flowkit
