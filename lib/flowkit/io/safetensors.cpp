#include "flowkit/io/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowkit/core/core.hpp"
#include "flowkit/io/json_text.hpp"

namespace flowkit::safetensors {
namespace {
using json = nlohmann::json;

// The bytes of a file: a read-only mapping, or (unmappable input) a copy in memory.
struct Bytes {
  void* addr = nullptr;
  size_t len = 0;
  std::string copy;
  ~Bytes() {
    if (addr) munmap(addr, len);
  }
  const unsigned char* data() const {
    return addr ? static_cast<const unsigned char*>(addr) : reinterpret_cast<const unsigned char*>(copy.data());
  }
  uint64_t size() const { return addr ? len : copy.size(); }
};

uint64_t read_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | p[k];
  return v;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

// A non-negative integer of a JSON value, or -1.
int64_t whole(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() > uint64_t(INT64_MAX) ? -1 : int64_t(v.get<uint64_t>());
  if (v.is_number_integer()) return v.get<int64_t>() < 0 ? -1 : v.get<int64_t>();
  return -1;
}

// One header entry checked on its own: an object with dtype F32, a shape of sizes and two
// offsets whose span holds exactly the shape's bytes, inside the data.
Tensor entry(const std::string& name, const json& e, uint64_t data_size, const std::string& where) {
  const std::string at = where + ": tensor '" + name + "'";
  if (!e.is_object()) throw Error(at + " is not a JSON object in the header");
  const auto dt = e.find("dtype"), sh = e.find("shape"), off = e.find("data_offsets");
  if (dt == e.end() || !dt->is_string()) throw Error(at + " has no \"dtype\" string");
  if (*dt != "F32") throw Error(at + " has dtype " + dt->get<std::string>() + "; flowkit reads F32 tensors only");
  if (sh == e.end() || !sh->is_array()) throw Error(at + " has no \"shape\" array");
  Tensor t;
  t.name = name;
  uint64_t bytes = 4;
  for (const json& s : *sh) {
    const int64_t k = whole(s);
    if (k < 0) throw Error(at + " has a bad size in its shape " + sh->dump());
    if (k > 0 && bytes > UINT64_MAX / uint64_t(k)) throw Error(at + " has a shape too large: " + sh->dump());
    bytes *= uint64_t(k);
    t.shape.push_back(k);
  }
  if (off == e.end() || !off->is_array() || off->size() != 2 || whole((*off)[0]) < 0 || whole((*off)[1]) < 0)
    throw Error(at + " needs \"data_offsets\": [begin, end], two byte offsets");
  t.begin = uint64_t(whole((*off)[0]));
  t.end = uint64_t(whole((*off)[1]));
  if (t.end < t.begin) throw Error(at + " ends at byte " + std::to_string(t.end) + ", before it begins (" + std::to_string(t.begin) + ")");
  if (t.end > data_size)
    throw Error(at + " ends at byte " + std::to_string(t.end) + ", past the end of the data (" + std::to_string(data_size) + " bytes)");
  if (t.end - t.begin != bytes)
    throw Error(at + " of shape " + shape_text(t.shape) + " needs " + std::to_string(bytes) + " bytes, its offsets hold " +
                std::to_string(t.end - t.begin));
  return t;
}

// The tensors in data order must tile the data exactly: no overlap, no gap, nothing after.
void check_tiling(std::vector<Tensor>& ts, uint64_t data_size, const std::string& where) {
  std::sort(ts.begin(), ts.end(), [](const Tensor& a, const Tensor& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  std::string prev;
  for (const Tensor& t : ts) {
    if (t.begin < at)
      throw Error(where + ": tensors '" + prev + "' and '" + t.name + "' overlap (bytes " + std::to_string(t.begin) + " to " +
                  std::to_string(std::min(at, t.end)) + ")");
    if (t.begin > at)
      throw Error(where + ": " + std::to_string(t.begin - at) + " bytes belong to no tensor before '" + t.name +
                  "' (from byte " + std::to_string(at) + ")");
    at = t.end;
    prev = t.name;
  }
  if (at != data_size)
    throw Error(where + ": " + std::to_string(data_size - at) + " bytes after the last tensor belong to no tensor");
}

void check_metadata(const json& m, std::map<std::string, std::string>& out, const std::string& where) {
  if (!m.is_object()) throw Error(where + ": \"__metadata__\" must be an object of strings");
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (!it->is_string()) throw Error(where + ": \"__metadata__\" entry '" + it.key() + "' is not a string");
    out[it.key()] = it->get<std::string>();
  }
}
}  // namespace

struct File::Mapping : Bytes {};

void Tensor::copy_to(float* out) const {
  std::memcpy(out, data, end - begin);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  for (uint64_t k = 0; k < count(); ++k) {
    uint32_t u;
    std::memcpy(&u, &out[k], 4);
    u = __builtin_bswap32(u);
    std::memcpy(&out[k], &u, 4);
  }
#endif
}

void File::check(const unsigned char* p, uint64_t size) {
  if (size < 8)
    throw Error(where_ + ": truncated: " + std::to_string(size) + " bytes, but a safetensors file starts with an 8-byte header length");
  const uint64_t n = read_le64(p);
  if (n > kMaxHeader) throw Error(where_ + ": header length " + std::to_string(n) + " is over the limit of " + std::to_string(kMaxHeader) + " bytes");
  if (n > size - 8)
    throw Error(where_ + ": header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size) + " bytes)");
  if (n < 2 || p[8] != '{') throw Error(where_ + ": the header is not a JSON object (it must start with '{')");
  const json h = parse_json(std::string(reinterpret_cast<const char*>(p + 8), size_t(n)), where_ + " header");
  if (!h.is_object()) throw Error(where_ + ": the header is not a JSON object");
  const uint64_t data_size = size - 8 - n;
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() == "__metadata__") {
      check_metadata(*it, metadata_, where_);
      continue;
    }
    tensors_.push_back(entry(it.key(), *it, data_size, where_));
  }
  check_tiling(tensors_, data_size, where_);
  for (Tensor& t : tensors_) t.data = p + 8 + n + t.begin;
}

File File::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open model " + path + ": " + std::strerror(errno));
  auto m = std::make_shared<Mapping>();
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* a = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (a != MAP_FAILED) {
      m->addr = a;
      m->len = size_t(st.st_size);
    }
  }
  if (!m->addr) {  // a pipe, an empty file or a failed mapping: read it all
    char buf[65536];
    ssize_t got;
    while ((got = ::read(fd, buf, sizeof buf)) > 0) m->copy.append(buf, size_t(got));
    if (got < 0) {
      const int e = errno;
      ::close(fd);
      throw Error("cannot read model " + path + ": " + std::strerror(e));
    }
  }
  ::close(fd);
  File f;
  f.map_ = m;
  f.where_ = path;
  f.check(m->data(), m->size());
  return f;
}

File File::parse(std::string bytes, const std::string& where) {
  auto m = std::make_shared<Mapping>();
  m->copy = std::move(bytes);
  File f;
  f.map_ = m;
  f.where_ = where;
  f.check(m->data(), m->size());
  return f;
}

const Tensor* File::find(const std::string& name) const {
  for (const Tensor& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

bool looks_like(const std::string& path) {
  const std::string ext = ".safetensors";
  if (path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0) return true;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;  // never consume a pipe's bytes
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char b[9];
  const bool full = ::read(fd, b, 9) == 9;
  ::close(fd);
  // The first 8 bytes are a header length, little-endian: safetensors when it is one the reader
  // takes (at most kMaxHeader, inside the file) and the header opens a JSON object. Its low
  // byte may be anything, a space or a NUL included; JSON text in those 8 bytes reads as a
  // length of petabytes (every byte is printable), so the two cannot be confused.
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | b[i];
  return full && b[8] == '{' && n >= 2 && n <= kMaxHeader && n <= uint64_t(st.st_size) - 8;
}

void write(std::ostream& os, const std::vector<Out>& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  uint64_t at = 0;
  for (const Out& t : tensors) {
    uint64_t n = 1;
    for (int64_t k : t.shape) n *= uint64_t(k);
    h[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {at, at + 4 * n}}};
    at += 4 * n;
  }
  std::string text = h.dump();
  text.append((8 - (text.size() % 8)) % 8, ' ');
  unsigned char len[8];
  for (int k = 0; k < 8; ++k) len[k] = (uint64_t(text.size()) >> (8 * k)) & 0xFF;
  os.write(reinterpret_cast<const char*>(len), 8);
  os << text;
  for (const Out& t : tensors) {
    uint64_t n = 1;
    for (int64_t k : t.shape) n *= uint64_t(k);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t u;
      std::memcpy(&u, &t.data[i], 4);
      u = __builtin_bswap32(u);
      os.write(reinterpret_cast<const char*>(&u), 4);
    }
#else
    os.write(reinterpret_cast<const char*>(t.data), std::streamsize(4 * n));
#endif
  }
}

}  // namespace flowkit::safetensors
