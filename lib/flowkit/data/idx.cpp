// data: IDX files (the MNIST format), gzipped or not.
#include <cstring>

#include "flowkit/data/data.hpp"
#include "flowkit/data/files.hpp"

namespace flowkit {
namespace {

// Element size of an IDX type code (0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float, 0x0E double).
int idx_size(int type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

uint64_t be(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

float idx_value(const unsigned char* p, int type) {
  switch (type) {
    case 0x08: return float(p[0]);
    case 0x09: return float(int8_t(p[0]));
    case 0x0B: return float(int16_t(be(p, 2)));
    case 0x0C: return float(int32_t(be(p, 4)));
    case 0x0D: {
      const uint32_t u = uint32_t(be(p, 4));
      float f;
      std::memcpy(&f, &u, 4);
      return f;
    }
    default: {
      const uint64_t u = be(p, 8);
      double d;
      std::memcpy(&d, &u, 8);
      return float(d);
    }
  }
}

// One IDX array; ubyte values are divided by `scale`.
Array read_idx(const std::string& path, float scale) {
  const std::string b = read_file_maybe_gz(path);
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  if (b.size() < 4 || p[0] != 0 || p[1] != 0 || idx_size(p[2]) == 0 || p[3] == 0)
    throw Error("not an IDX file: wrong magic (" + path + ", byte offset 0)");
  const int type = p[2], rank = p[3], size = idx_size(type);
  if (b.size() < size_t(4 + 4 * rank)) throw Error("truncated IDX header (" + path + ", " + std::to_string(b.size()) + " bytes)");
  Array a;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    a.shape.push_back(int64_t(be(p + 4 + 4 * i, 4)));
    if (__builtin_mul_overflow(count, uint64_t(a.shape.back()), &count) || count > (uint64_t(1) << 40))
      throw Error("IDX shape too large (" + path + ")");
  }
  const uint64_t want = 4 + 4 * uint64_t(rank) + count * uint64_t(size);
  if (want != b.size())
    throw Error("IDX header says shape " + a.shape_str() + ", " + std::to_string(want) + " bytes in all, but the file has " +
                std::to_string(b.size()) + " (" + path + ")");
  a.data.resize(size_t(count));
  const unsigned char* d = p + 4 + 4 * rank;
  for (uint64_t i = 0; i < count; ++i) a.data[i] = idx_value(d + i * uint64_t(size), type) / (type == 0x08 ? scale : 1.0f);
  return a;
}

}  // namespace

LabeledImages load_idx(const std::string& images, const std::string& labels) {
  LabeledImages out;
  out.stream.main = read_idx(images, 255.0f);
  if (out.stream.main.shape.size() < 2)
    throw Error("IDX images must have rank 3 (n, H, W) or more, got shape " + out.stream.main.shape_str() + " (" + images + ")");
  if (labels.empty()) return out;
  Array l = read_idx(labels, 1.0f);
  if (l.shape.size() != 1 || l.shape[0] != out.stream.main.rows())
    throw Error("IDX labels of shape " + l.shape_str() + " do not match " + std::to_string(out.stream.main.rows()) +
                " images (" + labels + ")");
  out.stream.companion = std::move(l);
  return out;
}

}  // namespace flowkit
