// fuzz: CSV streams, through the CSV parser directly and through format detection, and CSV
// tables' chosen columns (flow-data latlon --columns) by name and by number.
#include "flowkit/io/text_stream.hpp"
#include "stream_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = flowkit::fuzz::bytes(data, size);
  flowkit::fuzz::expect_clean([&] { flowkit::text::read_csv(text, "<fuzz>"); });
  for (const std::vector<std::string>& columns :
       {std::vector<std::string>{"lat", "lon"}, {"1", "2"}, {"3", "lat"}, {"999999", "1"}})
    flowkit::fuzz::expect_clean([&] { flowkit::text::read_csv_columns(text, columns, "<fuzz>"); });
  flowkit::fuzz::read_stream_both_ways(text);
  return 0;
}
