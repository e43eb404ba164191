// STUB (owned by the io work).
#include "flowkit/stream.hpp"

namespace flowkit {
const ChoiceTable<Format>& formats() {
  static const ChoiceTable<Format> t = {{"npy", Format::npy, "NumPy .npy (float32)"},
                                        {"csv", Format::csv, "comma-separated text"},
                                        {"json", Format::json, "JSON array of rows"}};
  return t;
}
Stream read_stream(std::istream&, const std::string& where) { throw Error("not implemented: " + where); }
Stream read_input(const std::string& path) { throw Error("not implemented: " + path); }
void write_stream(std::ostream&, const Stream&, Format) { throw Error("not implemented"); }
}  // namespace flowkit
