// nn: the U-Net's settings, their checks and its parameter layout.
#include <sstream>

#include "flowkit/nn/unet.hpp"

namespace flowkit {
namespace {
void need(bool ok, const std::string& what) {
  if (!ok) throw usage_error(what);
}

// The tensors of one residual block cin -> cout under prefix p.
void add_block(std::vector<ParamBlock>& v, size_t& off, const std::string& p, int cin, int cout,
               int embed) {
  auto add = [&](const std::string& name, int r, int k) {
    v.push_back({p + name, r, k, off});
    off += size_t(r) * size_t(k);
  };
  add(".norm1.gamma", cin, 1);
  add(".norm1.beta", cin, 1);
  add(".conv1.W", cout, 9 * cin);
  add(".conv1.b", cout, 1);
  add(".emb.W", cout, embed);
  add(".emb.b", cout, 1);
  add(".norm2.gamma", cout, 1);
  add(".norm2.beta", cout, 1);
  add(".conv2.W", cout, 9 * cout);
  add(".conv2.b", cout, 1);
  if (cin != cout) {
    add(".skip.W", cout, cin);
    add(".skip.b", cout, 1);
  }
}
}  // namespace

void UNetConfig::validate() const {
  need(image_channels == 1 || image_channels == 3,
       "the U-Net takes images of 1 or 3 channels, got " + std::to_string(image_channels));
  need(levels() >= 1 && levels() <= 6,
       "--channels must list 1 to 6 levels, got " + std::to_string(levels()));
  need(groups >= 1, "--groups must be at least 1, got " + std::to_string(groups));
  for (int c : channels)
    need(c >= 1 && c <= 4096 && c % groups == 0,
         "--channels " + channel_list_str(channels) +
             ": every count must be a positive multiple of --groups " + std::to_string(groups));
  need(blocks >= 1 && blocks <= 16, "--blocks must be in 1..16, got " + std::to_string(blocks));
  need(embed >= 1 && embed <= 65536, "--embed must be in 1..65536, got " + std::to_string(embed));
  need(time_freqs >= 1 && time_freqs <= 64,
       "--time-freqs must be in 1..64 for the U-Net, got " + std::to_string(time_freqs));
  need(time_inputs == 1 || (time_inputs == 2 && !tokens()),
       "the U-Net takes one time, or two over images (MeanFlow), got " + std::to_string(time_inputs));
  need(!tokens() || (image_channels == 1 && token_states <= (1 << 16) + 1),
       "a U-Net over tokens takes one token per pixel of at most 2^16 + 1 states");
  need(!tokens() || (token_embed >= 1 && token_embed <= 4096),
       "--token-embed must be in 1..4096, got " + std::to_string(token_embed));
  need(out_channels >= 0 && out_channels <= (1 << 16),
       "the U-Net's output channels must be in 0..65536, got " + std::to_string(out_channels));
  need(num_classes >= 0 && num_classes <= kMaxClasses,
       "the number of classes must be in 0.." + std::to_string(kMaxClasses) + ", got " + std::to_string(num_classes));
  const int f = 1 << (levels() - 1);
  need(height >= 1 && width >= 1 && height % f == 0 && width % f == 0,
       "a U-Net of " + std::to_string(levels()) +
           " levels needs images whose height and width divide by " + std::to_string(f) + ", got " +
           std::to_string(height) + "x" + std::to_string(width) + " (use fewer --channels levels)");
}

std::vector<int> parse_channel_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    need(used == item.size() && used > 0 && v > 0,
         "--channels takes positive counts like 32,64, got '" + s + "'");
    out.push_back(v);
  }
  need(!out.empty() && s.back() != ',',
       "--channels takes positive counts like 32,64, got '" + s + "'");
  return out;
}

std::string channel_list_str(const std::vector<int>& c) {
  std::string s;
  for (size_t i = 0; i < c.size(); ++i) s += (i ? "," : "") + std::to_string(c[i]);
  return s;
}

// In the order the network uses them: embedding, input conv, down path, up path, output.
std::vector<ParamBlock> unet_layout(const UNetConfig& c) {
  std::vector<ParamBlock> v;
  size_t off = 0;
  auto add = [&](const std::string& name, int r, int k) {
    v.push_back({name, r, k, off});
    off += size_t(r) * size_t(k);
  };
  add("time.W1", c.embed, 2 * c.time_freqs * c.time_inputs);
  add("time.b1", c.embed, 1);
  add("time.W2", c.embed, c.embed);
  add("time.b2", c.embed, 1);
  if (c.num_classes > 0) add("label.E", c.embed, c.num_classes + 1);
  if (c.tokens()) add("tok.E", c.token_embed, c.token_states);
  add("in.W", c.channels[0], 9 * c.in_channels());
  add("in.b", c.channels[0], 1);
  for (int l = 0; l < c.levels(); ++l) {
    const int ch = c.channels[size_t(l)];
    for (int b = 0; b < c.blocks; ++b) {
      const int cin = b > 0 ? ch : l > 0 ? c.channels[size_t(l) - 1] : ch;
      add_block(v, off, "down" + std::to_string(l) + ".block" + std::to_string(b), cin, ch,
                c.embed);
    }
    if (l + 1 < c.levels()) {
      add("down" + std::to_string(l) + ".down.W", ch, 9 * ch);
      add("down" + std::to_string(l) + ".down.b", ch, 1);
    }
  }
  for (int l = c.levels() - 2; l >= 0; --l) {
    const int ch = c.channels[size_t(l)];
    add("up" + std::to_string(l) + ".up.W", ch, 9 * c.channels[size_t(l) + 1]);
    add("up" + std::to_string(l) + ".up.b", ch, 1);
    for (int b = 0; b < c.blocks; ++b)
      add_block(v, off, "up" + std::to_string(l) + ".block" + std::to_string(b),
                b == 0 ? 2 * ch : ch, ch, c.embed);
  }
  add("out.norm.gamma", c.channels[0], 1);
  add("out.norm.beta", c.channels[0], 1);
  add("out.W", c.outputs(), 9 * c.channels[0]);
  add("out.b", c.outputs(), 1);
  return v;
}

size_t unet_param_count(const UNetConfig& c) {
  const auto v = unet_layout(c);
  return v.back().offset + v.back().size();
}

}  // namespace flowkit
