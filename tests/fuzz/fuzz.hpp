// fuzz: what every fuzz target shares. A reader may reject its input only with a
// flowkit::Error (the one-line message a user sees); any other exception, a crash, a leak, an
// out-of-bounds access, undefined behaviour or an allocation over libFuzzer's -malloc_limit_mb
// is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "flowkit/core/core.hpp"

namespace flowkit::fuzz {

// Runs one input through `f`, accepting flowkit::Error as the reader's answer.
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

inline std::string bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The loaders that take a path (IDX, image folders) read the input from a file of this
// process's own folder under /tmp, rewritten for every input.
// (removed with its files when the fuzzer exits).
struct Scratch {
  std::string dir;
  std::vector<std::string> files;
  Scratch() {
    char tmpl[] = "/tmp/flowkit-fuzz-XXXXXX";
    if (!mkdtemp(tmpl)) __builtin_trap();
    dir = tmpl;
  }
  ~Scratch() {
    for (const auto& f : files) std::remove(f.c_str());
    rmdir(dir.c_str());
  }
};

inline Scratch& scratch() {
  static Scratch s;
  return s;
}
inline const std::string& scratch_dir() { return scratch().dir; }

inline std::string write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  if (std::find(scratch().files.begin(), scratch().files.end(), path) == scratch().files.end())
    scratch().files.push_back(path);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) __builtin_trap();
  return path;
}

}  // namespace flowkit::fuzz
