// The MNIST subset shipped in share/data and its fixed split.
#include <catch2/catch.hpp>

#include "flowkit/data/data.hpp"

using namespace flowkit;

TEST_CASE("mnist held-out rule: the first 100 of each class in file order", "[mnist]") {
  std::vector<float> labels;
  for (int c = 0; c < 10; ++c) labels.insert(labels.end(), size_t(150 + c), float(c));
  labels.push_back(3);  // a late digit of class 3 is for training
  const std::vector<bool> held = mnist_heldout(labels);
  std::array<int, 10> held_per_class{}, train_per_class{};
  for (size_t i = 0; i < labels.size(); ++i) (held[i] ? held_per_class : train_per_class)[size_t(labels[i])]++;
  for (int c = 0; c < 10; ++c) {
    CHECK(held_per_class[size_t(c)] == 100);
    CHECK(train_per_class[size_t(c)] == 50 + c + (c == 3));
  }
  CHECK(held[0]);
  CHECK(held[99]);
  CHECK_FALSE(held[100]);
  CHECK_FALSE(held.back());
  CHECK_THROWS_WITH(mnist_heldout({0, 10}), Catch::Contains("label 10 at index 1"));
}

TEST_CASE("the shipped MNIST: 10,000 bytes-exact digits, 9,000 for training, 1,000 held out", "[mnist]") {
  const std::string dir = std::string(FLOWKIT_SOURCE_DIR) + "/share/data/";
  const LabeledImages all = load_mnist(dir + kMnistImages, dir + kMnistLabels, MnistPart::all);
  REQUIRE(all.stream.main.shape == std::vector<int64_t>{10000, 28, 28});
  // Pixels are bytes / 255: v * 255 is an integer to float precision
  double worst = 0;
  for (float v : all.stream.main.data) worst = std::max(worst, std::abs(double(v) * 255 - std::round(double(v) * 255)));
  CHECK(worst < 1e-4);
  const LabeledImages train = load_mnist(dir + kMnistImages, dir + kMnistLabels, MnistPart::train);
  const LabeledImages held = load_mnist(dir + kMnistImages, dir + kMnistLabels, MnistPart::heldout);
  CHECK(train.stream.main.rows() == 9000);
  REQUIRE(held.stream.main.rows() == 1000);
  std::array<int, 10> per_class{};
  for (float l : held.stream.companion->data) per_class[size_t(l)]++;
  for (int c = 0; c < 10; ++c) CHECK(per_class[size_t(c)] == 100);
  // The first held-out digit is the first digit of the file
  CHECK(std::equal(held.stream.main.data.begin(), held.stream.main.data.begin() + 784, all.stream.main.data.begin()));
}
