// data: image loaders: PNG/JPEG folders (stb_image), IDX files (MNIST), the 8x8 digits CSV.
#include <stb/stb_image.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "flowkit/data/data.hpp"
#include "flowkit/data/files.hpp"

namespace fs = std::filesystem;

namespace flowkit {
namespace {

// One image may hold at most this many pixels (4096 x 4096): a header can declare any size,
// and stb_image would allocate it before reading a pixel.
constexpr int64_t kMaxImagePixels = int64_t(1) << 24;

// A file's bytes, read whole (images are small).
std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) throw Error("cannot read image " + p.string());
  return s.str();
}

// A PNG's chunks must each fit in the file: stb_image trusts a chunk's declared length and
// allocates it (found by fuzz_png: a 2x2 image asking for 1.4 GB; then the same image cut off
// just after that chunk's length, before its checksum). Every chunk up to IEND, with its length,
// type and checksum, must lie inside the file.
void check_png_chunks(const std::string& b, const fs::path& p) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (b.size() < 8 || std::memcmp(b.data(), kSignature, 8) != 0) return;  // not a PNG: stb decides
  const auto fail = [&](size_t at, const std::string& what) {
    throw Error("cannot read image " + p.string() + ": the PNG chunk at byte " + std::to_string(at) + " " + what);
  };
  for (size_t at = 8;;) {
    if (b.size() - at < 12) fail(at, "is cut off by the end of the file");
    const auto* u = reinterpret_cast<const unsigned char*>(b.data() + at);
    const uint64_t len = uint64_t(u[0]) << 24 | uint64_t(u[1]) << 16 | uint64_t(u[2]) << 8 | u[3];
    if (len > b.size() - at - 12) fail(at, "declares " + std::to_string(len) + " bytes, past the end of the file");
    if (std::memcmp(u + 4, "IEND", 4) == 0) return;
    at += 12 + size_t(len);
  }
}

// Width, height and channels of an image file, checked before anything is decoded.
struct ImageHeader {
  std::string bytes;
  int w = 0, h = 0, c = 0;
};
ImageHeader read_header(const fs::path& p) {
  ImageHeader im{file_bytes(p)};
  check_png_chunks(im.bytes, p);
  const auto* data = reinterpret_cast<const stbi_uc*>(im.bytes.data());
  if (im.bytes.size() > size_t(INT32_MAX) || !stbi_info_from_memory(data, int(im.bytes.size()), &im.w, &im.h, &im.c))
    throw Error("cannot read image " + p.string() + ": " + stbi_failure_reason());
  if (im.w <= 0 || im.h <= 0 || int64_t(im.w) * im.h > kMaxImagePixels)
    throw Error("image " + p.string() + " is " + std::to_string(im.w) + "x" + std::to_string(im.h) +
                ": more than the " + std::to_string(kMaxImagePixels) + " pixels an image may have");
  return im;
}

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// The image files directly in a folder, sorted by name.
std::vector<fs::path> images_in(const fs::path& dir) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_image_file(e.path())) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

struct ImageFile {
  fs::path path;
  int label;
};

// The files to load: from sub-folders (one label each, sorted by name) or the folder itself.
std::vector<ImageFile> list_images(const std::string& dir, std::vector<std::string>& classes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("cannot read image folder " + dir + ": not a directory");
  std::vector<fs::path> subs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) subs.push_back(e.path());
  if (ec) throw Error("cannot read image folder " + dir + ": " + ec.message());
  std::sort(subs.begin(), subs.end());
  std::vector<ImageFile> files;
  for (const auto& p : images_in(dir)) files.push_back({p, -1});
  if (!subs.empty() && !files.empty())
    throw Error("image folder " + dir + " mixes images (" + files[0].path.filename().string() +
                ") with class sub-folders; put every image in a sub-folder");
  for (const auto& s : subs) {
    const auto imgs = images_in(s);
    if (imgs.empty()) continue;
    classes.push_back(s.filename().string());
    for (const auto& p : imgs) files.push_back({p, int(classes.size()) - 1});
  }
  if (files.empty()) throw Error("no images (.png, .jpg, .jpeg) in " + dir + " or its sub-folders");
  return files;
}

}  // namespace

LabeledImages load_image_folder(const std::string& dir, int channels) {
  if (channels != 0 && channels != 1 && channels != 3 && channels != 4)
    throw usage_error("channels must be 0 (as in the files), 1, 3 or 4, got " + std::to_string(channels));
  LabeledImages out;
  const auto files = list_images(dir, out.classes);
  // First pass: every image must have the size of the first
  int W = 0, H = 0, C = 1;
  for (const auto& f : files) {
    const ImageHeader im = read_header(f.path);
    const int w = im.w, h = im.h, c = im.c;
    if (W == 0) W = w, H = h;
    if (w != W || h != H)
      throw Error("images of different sizes: " + f.path.string() + " is " + std::to_string(w) + "x" + std::to_string(h) +
                  ", " + files[0].path.string() + " is " + std::to_string(W) + "x" + std::to_string(H));
    C = std::max(C, c <= 2 ? 1 : c);
  }
  if (channels) C = channels;
  // Second pass: pixels scaled into [0, 1]
  const int64_t n = int64_t(files.size()), per = int64_t(W) * H * C;
  Array& a = out.stream.main;
  a = Array(C == 1 ? std::vector<int64_t>{n, H, W} : std::vector<int64_t>{n, H, W, C});
  for (int64_t i = 0; i < n; ++i) {
    const ImageHeader im = read_header(files[size_t(i)].path);  // checked again: the file may have changed
    if (im.w != W || im.h != H) throw Error("image " + files[size_t(i)].path.string() + " changed while it was read");
    int w, h, c;
    unsigned char* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(im.bytes.data()), int(im.bytes.size()),
                                              &w, &h, &c, C);
    if (!px) throw Error("cannot read image " + files[size_t(i)].path.string() + ": " + stbi_failure_reason());
    if (w != W || h != H) {
      stbi_image_free(px);
      throw Error("image " + files[size_t(i)].path.string() + " decodes to another size than its header says");
    }
    for (int64_t k = 0; k < per; ++k) a.data[size_t(i * per + k)] = float(px[k]) / 255.0f;
    stbi_image_free(px);
  }
  if (!out.classes.empty()) {
    out.stream.companion = Array({n});
    for (int64_t i = 0; i < n; ++i) out.stream.companion->data[size_t(i)] = float(files[size_t(i)].label);
  }
  return out;
}

LabeledImages load_digits(const std::string& path) {
  const std::string text = read_file_maybe_gz(path);
  std::vector<float> pixels, labels;
  std::istringstream in(text);
  int64_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream cells(line);
    std::vector<long> v;
    for (std::string cell; std::getline(cells, cell, ',');) {
      char* end = nullptr;
      const long x = std::strtol(cell.c_str(), &end, 10);
      if (end == cell.c_str() || (*end && *end != '\r' && *end != ' '))
        throw Error("non-numeric cell '" + cell + "' at line " + std::to_string(line_no) + " (" + path + ")");
      v.push_back(x);
    }
    if (v.size() != 65)
      throw Error("digits line " + std::to_string(line_no) + " has " + std::to_string(v.size()) +
                  " values, expected 64 pixels and a label (" + path + ")");
    for (int k = 0; k < 64; ++k) {
      if (v[size_t(k)] < 0 || v[size_t(k)] > 16)
        throw Error("digits pixel out of 0..16 at line " + std::to_string(line_no) + " (" + path + ")");
      pixels.push_back(float(v[size_t(k)]) / 16.0f);
    }
    labels.push_back(float(v[64]));
  }
  if (labels.empty()) throw Error("empty stream: no digits in " + path);
  LabeledImages out;
  out.stream.main.shape = {int64_t(labels.size()), 8, 8};
  out.stream.main.data = std::move(pixels);
  out.stream.companion = Array::from_vector(labels);
  for (int k = 0; k < 10; ++k) out.classes.push_back(std::to_string(k));
  return out;
}

std::vector<std::string> data_dirs() {
  std::vector<std::string> dirs;
  if (const char* d = std::getenv("FLOWKIT_DATA")) dirs.push_back(d);
  char exe[4096];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) dirs.push_back((fs::path(std::string(exe, size_t(len))).parent_path().parent_path() / "share/flowkit/data").string());
#ifdef FLOWKIT_DATADIR
  dirs.push_back(FLOWKIT_DATADIR);
#endif
#ifdef FLOWKIT_SOURCE_DIR
  dirs.push_back(std::string(FLOWKIT_SOURCE_DIR) + "/share/data");
#endif
  return dirs;
}

std::string find_data_file(const std::string& name) {
  std::error_code ec;
  const char* env = std::getenv("FLOWKIT_DATA");
  if (env && fs::is_regular_file(env, ec) && fs::path(env).filename() == name) return env;
  for (const auto& d : data_dirs()) {
    const fs::path p = fs::path(d) / name;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

}  // namespace flowkit
