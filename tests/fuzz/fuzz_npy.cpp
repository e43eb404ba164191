// fuzz: NPY streams (magic, header dict, dtype, shape, payload, a second array).
#include "stream_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  flowkit::fuzz::read_stream_both_ways(flowkit::fuzz::bytes(data, size));
  return 0;
}
