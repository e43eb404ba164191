// data: reading whole files, gzipped or not, for the loaders.
#pragma once
#include <string>

namespace flowkit {
// The bytes of a file, gunzipped when it is gzip-compressed; a clear error when unreadable.
std::string read_file_maybe_gz(const std::string& path);
}  // namespace flowkit
