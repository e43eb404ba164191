// io: safetensors bytes: a written file reads back exactly, and every kind of damage to the
// header or the offsets is one precise error.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <sstream>

#include "flowkit/core/core.hpp"
#include "flowkit/io/safetensors.hpp"

using namespace flowkit;
namespace st = flowkit::safetensors;

namespace {
// A file made of a header text and `data_bytes` zero bytes after it.
std::string file_of(const std::string& header, size_t data_bytes) {
  std::string s(8, '\0');
  for (int k = 0; k < 8; ++k) s[size_t(k)] = char((uint64_t(header.size()) >> (8 * k)) & 0xFF);
  return s + header + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& bytes) {
  try {
    st::File::parse(bytes, "m.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("safetensors: written tensors and metadata read back bit for bit", "[safetensors]") {
  const std::vector<float> a = {1.0f, -2.5f, 3.25e-8f, 7.0f, 0.0f, -0.0f}, b = {42.0f};
  std::ostringstream os;
  st::write(os, {{"a", {2, 3}, a.data()}, {"b", {1}, b.data()}}, {{"k", "v"}});
  const std::string bytes = os.str();
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);                       // the data starts aligned
  CHECK(bytes.size() == 8 + n + 4 * 7);   // and nothing follows it
  const st::File f = st::File::parse(bytes, "m.safetensors");
  REQUIRE(f.tensors().size() == 2);
  CHECK(f.metadata().at("k") == "v");
  const st::Tensor* t = f.find("a");
  REQUIRE(t);
  CHECK(t->shape == std::vector<int64_t>{2, 3});
  CHECK(t->begin == 0);
  CHECK(t->end == 24);
  std::vector<float> back(6);
  t->copy_to(back.data());
  CHECK(std::memcmp(back.data(), a.data(), 24) == 0);  // -0.0 too
  CHECK(f.find("b")->begin == 24);
  CHECK(f.find("c") == nullptr);
}

TEST_CASE("safetensors: each kind of damage is one precise error", "[safetensors]") {
  const std::string t = R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  CHECK(error_of(file_of(t, 16)).empty());
  CHECK(error_of("abc") == "m.safetensors: truncated: 3 bytes, but a safetensors file starts with an 8-byte header length");
  std::string big = file_of(t, 16);
  big[7] = 1;  // 2^56 bytes of header
  CHECK_THAT(error_of(big), Catch::Contains("is over the limit of 104857600 bytes"));
  CHECK(error_of(file_of(t, 16).substr(0, 30)) ==
        "m.safetensors: header length " + std::to_string(t.size()) + " runs past the end of the file (30 bytes)");
  CHECK_THAT(error_of(file_of("[1, 2]", 0)), Catch::Contains("the header is not a JSON object"));
  CHECK_THAT(error_of(file_of("{\"t\": ", 0)), Catch::Contains("m.safetensors header: invalid JSON"));
  CHECK(error_of(file_of(t, 8)) == "m.safetensors: tensor 't' ends at byte 16, past the end of the data (8 bytes)");
  CHECK(error_of(file_of(R"({"t":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4)) ==
        "m.safetensors: tensor 't' has dtype F16; flowkit reads F32 tensors only");
  CHECK(error_of(file_of(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)) ==
        "m.safetensors: tensor 't' of shape [3] needs 12 bytes, its offsets hold 8");
  CHECK(error_of(file_of(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)) ==
        "m.safetensors: tensor 't' has a bad size in its shape [-1]");
  CHECK(error_of(file_of(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4]}})", 4)) ==
        "m.safetensors: tensor 't' needs \"data_offsets\": [begin, end], two byte offsets");
  const std::string two = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  CHECK(error_of(file_of(two, 12)) == "m.safetensors: tensors 'a' and 'b' overlap (bytes 4 to 8)");
  const std::string gap = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  CHECK(error_of(file_of(gap, 12)) == "m.safetensors: 4 bytes belong to no tensor before 'b' (from byte 4)");
  CHECK(error_of(file_of(t, 20)) == "m.safetensors: 4 bytes after the last tensor belong to no tensor");
  CHECK(error_of(file_of(R"({"__metadata__":{"k":1}})", 0)) == "m.safetensors: \"__metadata__\" entry 'k' is not a string");
  // a shape whose byte count overflows 64 bits
  CHECK_THAT(error_of(file_of(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4)),
             Catch::Contains("has a shape too large"));
}

TEST_CASE("safetensors: a file is recognized by its name or its first bytes", "[safetensors]") {
  CHECK(st::looks_like("no-such-dir/m.safetensors"));
  CHECK_FALSE(st::looks_like("no-such-dir/m.json"));
}

TEST_CASE("safetensors: a renamed file is recognised whatever its header length's low byte", "[safetensors]") {
  // The length's low byte is the file's first: a space (32) or a NUL (0) among them, which
  // also open JSON text or end a C string
  char name[] = "/tmp/flowkit-renamed-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  const auto write_file = [&](const std::string& bytes) { std::ofstream(name, std::ios::binary) << bytes; };
  int recognised = 0;
  for (size_t pad = 0; pad < 256; ++pad) {
    write_file(file_of("{\"__metadata__\":{\"k\":\"v\"}}" + std::string(pad, ' '), 0));
    recognised += st::looks_like(name);
  }
  CHECK(recognised == 256);
  // JSON text is never taken for safetensors, however it opens
  for (const std::string text : {"{\"format\": 1}", "        {\"format\": 1}", "\n\n\n\n\n\n\n\n{}", "[1, 2, 3, 4, 5]"}) {
    write_file(text);
    CHECK_FALSE(st::looks_like(name));
  }
  // A length past the file's end is not a safetensors file either
  std::string cut = file_of("{\"__metadata__\":{}}", 0);
  write_file(cut.substr(0, cut.size() - 4));
  CHECK_FALSE(st::looks_like(name));
  std::remove(name);
}
