// Tests of the image loaders: PNG folders, IDX files and the 8x8 digits (lib/flowkit/images.cpp, idx.cpp).
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "flowkit/data/data.hpp"

using namespace flowkit;
namespace fs = std::filesystem;

namespace {
// A fresh empty folder under the system's temporary directory.
fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("flowkit_images_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
void png(const fs::path& p, int w, int h, int c, int value) {
  std::vector<unsigned char> px(size_t(w * h * c));
  for (size_t i = 0; i < px.size(); ++i) px[i] = (unsigned char)((value + int(i)) % 256);
  REQUIRE(stbi_write_png(p.c_str(), w, h, c, px.data(), w * c));
}
std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
}  // namespace

TEST_CASE("An image folder: sub-folders are labels in sorted order, pixels in [0, 1]", "[data]") {
  const fs::path d = temp_dir("classes");
  fs::create_directories(d / "dog");
  fs::create_directories(d / "cat");
  png(d / "dog" / "a.png", 3, 2, 1, 10);
  png(d / "cat" / "b.png", 3, 2, 1, 100);
  png(d / "cat" / "a.PNG", 3, 2, 1, 200);
  std::ofstream(d / "cat" / "notes.txt") << "not an image";
  const LabeledImages li = load_image_folder(d.string());
  CHECK(li.classes == std::vector<std::string>{"cat", "dog"});
  CHECK(li.stream.main.shape == std::vector<int64_t>{3, 2, 3});
  REQUIRE(li.stream.companion);
  CHECK(li.stream.companion->data == std::vector<float>{0, 0, 1});
  // cat/a.PNG first (sorted), its first pixel 200/255, second 201/255
  CHECK(li.stream.main.data[0] == 200.0f / 255.0f);
  CHECK(li.stream.main.data[1] == 201.0f / 255.0f);
  CHECK(li.stream.main.data[12] == 10.0f / 255.0f);
  CHECK(load_image_folder(d.string(), 3).stream.main.shape == std::vector<int64_t>{3, 2, 3, 3});
  fs::remove_all(d);
}

TEST_CASE("Image folder errors: no images, different sizes", "[data]") {
  const fs::path d = temp_dir("bad");
  CHECK_THROWS_WITH(load_image_folder(d.string()), Catch::Contains("no images"));
  png(d / "a.png", 4, 4, 3, 0);
  const LabeledImages rgb = load_image_folder(d.string());
  CHECK(rgb.stream.main.shape == std::vector<int64_t>{1, 4, 4, 3});
  CHECK_FALSE(rgb.stream.companion);
  png(d / "b.png", 5, 4, 3, 0);
  CHECK_THROWS_WITH(load_image_folder(d.string()), Catch::Contains("images of different sizes"));
  CHECK_THROWS_WITH(load_image_folder((d / "missing").string()), Catch::Contains("not a directory"));
  fs::remove_all(d);
}

TEST_CASE("IDX images and labels, gzipped or not; a lying header is refused", "[data]") {
  const fs::path d = temp_dir("idx");
  const std::string images = std::string("\0\0\x08\x03", 4) + be32(2) + be32(2) + be32(2) + std::string("\x00\xff\x80\x01\x02\x03\x04\x05", 8);
  const std::string labels = std::string("\0\0\x08\x01", 4) + be32(2) + std::string("\x07\x03", 2);
  std::ofstream(d / "img", std::ios::binary) << images;
  gzFile gz = gzopen((d / "lab.gz").c_str(), "wb");
  gzwrite(gz, labels.data(), unsigned(labels.size()));
  gzclose(gz);
  const LabeledImages li = load_idx((d / "img").string(), (d / "lab.gz").string());
  CHECK(li.stream.main.shape == std::vector<int64_t>{2, 2, 2});
  CHECK(li.stream.main.data[1] == 1.0f);
  CHECK(li.stream.main.data[2] == 128.0f / 255.0f);
  CHECK(li.stream.companion->data == std::vector<float>{7, 3});
  std::ofstream(d / "short", std::ios::binary) << images.substr(0, images.size() - 1);
  CHECK_THROWS_WITH(load_idx((d / "short").string(), ""), Catch::Contains("IDX header says shape (2, 2, 2), 24 bytes in all, but the file has 23"));
  std::ofstream(d / "magic", std::ios::binary) << "\x01\x02\x03\x04";
  CHECK_THROWS_WITH(load_idx((d / "magic").string(), ""), Catch::Contains("wrong magic"));
  const std::string three = std::string("\0\0\x08\x01", 4) + be32(3) + std::string("\1\2\3", 3);
  std::ofstream(d / "three", std::ios::binary) << three;
  CHECK_THROWS_WITH(load_idx((d / "img").string(), (d / "three").string()), Catch::Contains("do not match 2 images"));
  fs::remove_all(d);
}

TEST_CASE("The 8x8 digits: 1797 images in [0, 1], labels 0..9", "[data]") {
  const std::string path = std::string(FLOWKIT_SOURCE_DIR) + "/share/data/digits.csv.gz";
  const LabeledImages li = load_digits(path);
  CHECK(li.stream.main.shape == std::vector<int64_t>{1797, 8, 8});
  const auto [lo, hi] = std::minmax_element(li.stream.main.data.begin(), li.stream.main.data.end());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);
  std::vector<int> per(10, 0);
  for (float l : li.stream.companion->data) ++per.at(size_t(l));
  for (int c : per) CHECK((c >= 170 && c <= 190));  // about 180 of each class
  // The first row of the file: 0,0,5,13,9,1,0,0,... label 0
  CHECK(li.stream.main.data[2] == 5.0f / 16.0f);
  CHECK(li.stream.main.data[3] == 13.0f / 16.0f);
  CHECK(li.stream.companion->data[0] == 0.0f);
}
