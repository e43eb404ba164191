#include "flowkit/data/files.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "flowkit/core/core.hpp"

namespace flowkit {

std::string read_file_maybe_gz(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error("cannot read " + path + ": it is a directory");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error("cannot open " + path + ": " + std::strerror(errno ? errno : EIO));
  std::string out;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(got));
  int code = Z_OK;
  const char* msg = got < 0 ? gzerror(f, &code) : nullptr;
  const std::string why = msg ? msg : "";
  gzclose(f);
  if (got < 0) throw Error("cannot read " + path + ": " + (code == Z_ERRNO ? std::strerror(errno) : why));
  return out;
}

}  // namespace flowkit
