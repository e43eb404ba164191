// io: the safetensors format, byte level: an 8-byte little-endian header length N, N bytes of
// JSON header {"NAME": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the tensors' raw little-endian bytes (offsets count from the byte after the header).
// Only F32 tensors are read and written. Reading maps the file read-only and checks the whole
// header before anything is used; it knows nothing of models.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace flowkit::safetensors {

constexpr uint64_t kMaxHeader = 100u << 20;  // 100 MB, as the reference implementation

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;       // byte offsets into the data
  const unsigned char* data = nullptr;  // begin's byte (not aligned: copy with memcpy)
  uint64_t count() const { return (end - begin) / 4; }
  // The values, little-endian float32 read into native floats.
  void copy_to(float* out) const;
};

// A checked file (or buffer): tensors in data order, the string metadata.
class File {
 public:
  // Maps `path` read-only (a pipe or other unmappable file is read into memory instead).
  static File open(const std::string& path);
  // Checks the bytes of a whole file held in `bytes`; `where` names it in errors.
  static File parse(std::string bytes, const std::string& where);

  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const Tensor* find(const std::string& name) const;
  const std::string& where() const { return where_; }

 private:
  void check(const unsigned char* p, uint64_t size);
  struct Mapping;
  std::shared_ptr<Mapping> map_;  // the bytes the tensors point into
  std::string where_;
  std::vector<Tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// True when `path` names a safetensors file: its extension, or (for any other name) a first
// 8 bytes that read as a header length the reader takes (2..kMaxHeader, inside the file) and
// a '{' at byte 8. JSON text never passes: its first 8 bytes read as petabytes.
bool looks_like(const std::string& path);

// One tensor to write: name, shape, the float32 values in C (row-major) order.
struct Out {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;
};
// Writes tensors in the given order, contiguous, with the metadata; the header is padded with
// spaces to a multiple of 8 bytes so that the data starts aligned.
void write(std::ostream& os, const std::vector<Out>& tensors, const std::map<std::string, std::string>& metadata);

}  // namespace flowkit::safetensors
