// fuzz: JSON streams, through the JSON parser directly and through format detection.
#include "flowkit/io/text_stream.hpp"
#include "stream_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = flowkit::fuzz::bytes(data, size);
  flowkit::fuzz::expect_clean([&] { flowkit::text::read_json(text, "<fuzz>"); });
  flowkit::fuzz::read_stream_both_ways(text);
  return 0;
}
