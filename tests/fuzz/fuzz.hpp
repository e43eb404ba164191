// fuzz: what every fuzz target shares. A reader may reject its input only with a
// flowkit::Error (the one-line message a user sees); any other exception, a crash, a leak, an
// out-of-bounds access, undefined behaviour or an allocation over libFuzzer's -malloc_limit_mb
// is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "flowkit/core.hpp"

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

}  // namespace flowkit::fuzz
