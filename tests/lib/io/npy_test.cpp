// Tests of the NPY reader and writer (lib/flowkit/npy.cpp, stream.cpp).
#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>

#include "flowkit/io/npy.hpp"
#include "flowkit/io/stream.hpp"

using namespace flowkit;

namespace {

// An NPY v1.0 file with the given header dict and raw payload bytes.
std::string npy_file(const std::string& dict, const std::string& payload, int major = 1) {
  std::string h = dict;
  const size_t pre = major == 1 ? 10 : 12;
  while ((pre + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string out = std::string("\x93NUMPY") + char(major) + char(0);
  out += char(h.size() & 0xff);
  out += char((h.size() >> 8) & 0xff);
  if (major > 1) out += std::string(2, '\0');
  return out + h + payload;
}

template <class T>
std::string bytes_of(std::initializer_list<T> v, bool big = false) {
  std::string s;
  for (T x : v) {
    char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    if (big) std::reverse(b, b + sizeof(T));
    s.append(b, sizeof(T));
  }
  return s;
}

Stream read_str(const std::string& s) {
  std::istringstream in(s);
  return read_stream(in, "test");
}

}  // namespace

TEST_CASE("NPY header is byte for byte what numpy.save writes", "[io]") {
  // numpy 1.24: np.save(f, np.zeros((3, 2), np.float32)) header, 128 bytes with growth padding
  const std::string h = npy::header_bytes({3, 2});
  REQUIRE(h.size() % 64 == 0);
  CHECK(h.size() == 128);
  CHECK(h.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(uint8_t(h[8]) + 256 * uint8_t(h[9]) == 118);
  CHECK(h.substr(10, 59) == "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }");
  CHECK(h.back() == '\n');
  CHECK(npy::header_bytes({5}).find("'shape': (5,), }") != std::string::npos);
  CHECK(npy::header_bytes({}).find("'shape': (), }") != std::string::npos);
}

TEST_CASE("NPY round trip keeps values and both arrays", "[io]") {
  Stream s;
  s.main = Array({4, 3});
  for (size_t i = 0; i < s.main.data.size(); ++i) s.main.data[i] = float(i) * 0.1f - 0.5f;
  s.companion = Array::from_vector({0, 1, 2, 9});
  std::ostringstream out;
  write_stream(out, s, Format::npy);
  const Stream r = read_str(out.str());
  CHECK(r.main.shape == s.main.shape);
  CHECK(r.main.data == s.main.data);
  REQUIRE(r.companion);
  CHECK(r.companion->data == s.companion->data);
}

TEST_CASE("NPY reads every integer and float dtype in either byte order", "[io]") {
  const std::vector<float> want = {1, -2, 3, 100};
  CHECK(read_str(npy_file("{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }",
                          bytes_of<int16_t>({1, -2, 3, 100}))).main.data == want);
  CHECK(read_str(npy_file("{'descr': '>i4', 'fortran_order': False, 'shape': (4,), }",
                          bytes_of<int32_t>({1, -2, 3, 100}, true))).main.data == want);
  CHECK(read_str(npy_file("{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }",
                          bytes_of<double>({1, -2, 3, 100}, true))).main.data == want);
  CHECK(read_str(npy_file("{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }",
                          bytes_of<int8_t>({1, -2, 3, 100}))).main.data == want);
  CHECK(read_str(npy_file("{'shape': (2,), 'descr': '|u1', 'fortran_order': False}",
                          bytes_of<uint8_t>({0, 255}))).main.data == std::vector<float>{0, 255});
  CHECK(read_str(npy_file("{'descr': '>u8', 'fortran_order': False, 'shape': (1,), }",
                          bytes_of<uint64_t>({1ull << 40}, true))).main.data == std::vector<float>{float(1ull << 40)});
  CHECK(read_str(npy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\1\0\1", 3)))
            .main.data == std::vector<float>{1, 0, 1});
  // float16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001
  CHECK(read_str(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }",
                          bytes_of<uint16_t>({0x3c00, 0xc000, 0x7bff, 0x0001}))).main.data ==
        std::vector<float>{1.0f, -2.0f, 65504.0f, 5.9604645e-8f});
}

TEST_CASE("NPY Fortran order comes back in C order; versions 2 and 3 read", "[io]") {
  // The (2, 3) array [[0, 1, 2], [3, 4, 5]] in Fortran order is 0 3 1 4 2 5
  const auto f = npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                          bytes_of<float>({0, 3, 1, 4, 2, 5}), 2);
  const Stream s = read_str(f);
  CHECK(s.main.shape == std::vector<int64_t>{2, 3});
  CHECK(s.main.data == std::vector<float>{0, 1, 2, 3, 4, 5});
  // Rank 3: (2, 2, 2) with element (i, j, k) = 100 i + 10 j + k
  std::vector<float> fo(8), c(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) fo[size_t(i + 2 * j + 4 * k)] = c[size_t(4 * i + 2 * j + k)] = float(100 * i + 10 * j + k);
  CHECK(npy::fortran_to_c(fo, {2, 2, 2}) == c);
  CHECK(read_str(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", bytes_of<float>({7}), 3))
            .main.data == std::vector<float>{7});
}

TEST_CASE("NPY refuses what it cannot read, saying what and where", "[io]") {
  const auto fails = [](const std::string& bytes, const std::string& msg) {
    CHECK_THROWS_WITH(read_str(bytes), Catch::Contains(msg));
  };
  fails(std::string("\x93NUM", 4), "truncated NPY header");
  fails(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", "").substr(0, 30), "truncated NPY header");
  fails(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", bytes_of<float>({1, 2})),
        "truncated NPY payload: shape (3,) needs 3 elements");
  fails(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", bytes_of<float>({1, 2})),
        "4 bytes more than it needs");
  fails(std::string("\x93NUMPX\1\0", 8), "wrong magic");
  fails(npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", ""), "unsupported dtype '<c8'");
  fails(npy_file("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", ""), "unsupported dtype '|O'");
  fails(npy_file("{'descr': '|S10', 'fortran_order': False, 'shape': (1,), }", ""), "unsupported dtype '|S10'");
  fails(npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", ""), "unsupported dtype");
  fails(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""),
        "too many elements");
  fails(npy_file("{'descr': '<f4', 'shape': (1,), }", ""), "malformed NPY header");
  fails(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), " + std::string(11000, ' ') + "}", ""),
        "over the limit of 10000");
  // A companion that does not match the rows of the main array
  Stream s;
  s.main = Array({3, 2});
  s.companion = Array({2});
  std::ostringstream out;
  write_stream(out, s, Format::npy);
  fails(out.str(), "companion array of shape (2,)");
}
