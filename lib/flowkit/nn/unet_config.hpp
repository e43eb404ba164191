// nn: the settings of the convolutional U-Net (unet.hpp), part of every NetConfig.
#pragma once
#include <string>
#include <vector>

namespace flowkit {

// The most classes a network's label embedding takes (a file's count is checked against it
// before the embedding's rows are counted).
constexpr int kMaxClasses = 1 << 20;

// The U-Net's architecture: everything a model file needs to rebuild it besides the labels.
struct UNetConfig {
  int image_channels = 1;  // C: 1 or 3
  int height = 0, width = 0;
  std::vector<int> channels{32, 64};  // per level; the image halves from one level to the next
  int blocks = 1;                     // residual blocks per level (down and up)
  int embed = 64;                     // width of the time/class embedding
  int groups = 4;                     // GroupNorm groups: every channel count divisible by it
  int time_freqs = 8;                 // Fourier features sin, cos(pi 2^k t), k < time_freqs
  int num_classes = 0;                // > 0: label embedding with num_classes + 1 rows (last: null)

  int levels() const { return int(channels.size()); }
  int dim() const { return image_channels * height * width; }
  void validate() const;  // usage error naming what it cannot take
};

// "32,64" -> {32, 64} (usage error on anything else).
std::vector<int> parse_channel_list(const std::string& s);
std::string channel_list_str(const std::vector<int>& c);

}  // namespace flowkit
