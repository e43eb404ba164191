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
  int image_channels = 1;  // C: 1 or 3 (1 for tokens: one token per pixel)
  int height = 0, width = 0;
  std::vector<int> channels{32, 64};  // per level; the image halves from one level to the next
  int blocks = 1;                     // residual blocks per level (down and up)
  int embed = 64;                     // width of the time/class embedding
  int groups = 4;                     // GroupNorm groups: every channel count divisible by it
  int time_freqs = 8;                 // Fourier features sin, cos(pi 2^k t), k < time_freqs
  int time_inputs = 1;                // 2: a second time s with its own features (MeanFlow's t - r)
  int num_classes = 0;                // > 0: label embedding with num_classes + 1 rows (last: null)
  // Tokens (a discrete model): S > 0 states per pixel. The input is then one token id per pixel
  // (whole numbers 0..S-1 as floats), each looked up in a learned table tok.E of E = token_embed
  // values: the E-channel image the input convolution sees (an input stage in front of the
  // network; the one-hot product done as a gather).
  int token_states = 0;
  int token_embed = 16;  // E
  int out_channels = 0;  // of the output image; 0: image_channels (a field). Tokens: V logits

  int levels() const { return int(channels.size()); }
  bool tokens() const { return token_states > 0; }
  int in_channels() const { return tokens() ? token_embed : image_channels; }  // the input conv's
  int outputs() const { return out_channels > 0 ? out_channels : image_channels; }
  int dim() const { return image_channels * height * width; }  // input rows per image
  int out_dim() const { return outputs() * height * width; }   // output rows per image
  void validate() const;  // usage error naming what it cannot take
};

// "32,64" -> {32, 64} (usage error on anything else).
std::vector<int> parse_channel_list(const std::string& s);
std::string channel_list_str(const std::vector<int>& c);

}  // namespace flowkit
