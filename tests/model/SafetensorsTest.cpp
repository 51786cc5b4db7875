//===- SafetensorsTest.cpp - .safetensors reader and writer ---------------===//
#include "runtime/Json.h"
#include "runtime/Safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <unistd.h>

using namespace dsv4c;
namespace fs = std::filesystem;

namespace {

class SafetensorsTest : public ::testing::Test {
protected:
  fs::path dir;

  void SetUp() override {
    const ::testing::TestInfo *info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("dsv4c_st_" + std::string(info->name()) + "_" +
           std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string path(const std::string &name) const {
    return (dir / name).string();
  }

  /// A raw file: 8-byte LE `headerLen` (default: the header's size), the
  /// header text, then `data`.
  std::string writeRaw(const std::string &name, const std::string &header,
                       const std::string &data = "",
                       std::optional<uint64_t> headerLen = std::nullopt) {
    std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    uint64_t n = headerLen ? *headerLen : header.size();
    for (int i = 0; i < 8; ++i)
      out.put(static_cast<char>(n >> (8 * i)));
    out << header << data;
    return p;
  }

  /// Opening must fail; returns the message (which must name the file).
  std::string openError(const std::string &p,
                        const std::string &fileInMessage = "") {
    std::string error;
    std::unique_ptr<Checkpoint> c = Checkpoint::open(p, error);
    EXPECT_EQ(c, nullptr) << p << " unexpectedly opened";
    const std::string &named = fileInMessage.empty() ? p : fileInMessage;
    EXPECT_EQ(error.rfind(named + ":", 0), 0u)
        << "error should start with the file: " << error;
    return error;
  }
};

std::vector<uint8_t> iota(size_t n, uint8_t start) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE((haystack).find(needle), std::string::npos)                        \
      << "message: " << (haystack) << "\nexpected to contain: " << (needle)

} // namespace

TEST(SafetensorsDtype, NamesAndSizes) {
  EXPECT_EQ(parseStDtype("F8_E8M0"), StDtype::F8_E8M0);
  EXPECT_EQ(parseStDtype("F8_E4M3"), StDtype::F8_E4M3);
  EXPECT_EQ(parseStDtype("BF16"), StDtype::BF16);
  EXPECT_EQ(parseStDtype("bf16"), std::nullopt);
  EXPECT_EQ(parseStDtype("F8_E4M3FN"), std::nullopt);
  EXPECT_STREQ(stDtypeName(StDtype::I64), "I64");
  EXPECT_STREQ(stDtypeName(StDtype::F8_E8M0), "F8_E8M0");
  EXPECT_EQ(stDtypeBits(StDtype::F4), 4);
  EXPECT_EQ(stDtypeBits(StDtype::F6_E2M3), 6);
  EXPECT_EQ(stDtypeBits(StDtype::BF16), 16);
  EXPECT_EQ(stDtypeBits(StDtype::U64), 64);
  for (const char *n : {"BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8",
                        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
                        "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32",
                        "U32", "F32", "C64", "F64", "I64", "U64"})
    EXPECT_STREQ(stDtypeName(*parseStDtype(n)), n);
  EXPECT_EQ(stDtypeToElementType(StDtype::F8_E8M0), ElementType::F8E8M0FNU);
  EXPECT_EQ(stDtypeToElementType(StDtype::F8_E4M3), ElementType::F8E4M3FN);
  EXPECT_EQ(stDtypeToElementType(StDtype::BF16), ElementType::BF16);
  EXPECT_EQ(stDtypeToElementType(StDtype::F4), std::nullopt);
}

TEST_F(SafetensorsTest, RoundTripInOfficialLayout) {
  std::vector<float> f32 = {1, 2, 3, 4, 5, 6};
  std::vector<uint8_t> bf16 = iota(8, 10); // 4 elements
  std::vector<uint8_t> i8 = iota(15, 100); // odd size
  std::vector<uint8_t> e8m0 = {127, 128, 126, 130};
  int64_t scalar = -7;
  std::vector<TensorToWrite> tensors = {
      {"b.weight", StDtype::BF16, {4}, bf16.data(), bf16.size()},
      {"a.f32", StDtype::F32, {2, 3}, f32.data(), f32.size() * 4},
      {"z.i8", StDtype::I8, {3, 5}, i8.data(), i8.size()},
      {"s.scale", StDtype::F8_E8M0, {2, 2}, e8m0.data(), e8m0.size()},
      {"count", StDtype::I64, {}, &scalar, 8},
      {"empty", StDtype::F32, {0, 4}, nullptr, 0},
  };
  std::string error;
  std::string p = path("model.safetensors");
  ASSERT_TRUE(writeSafetensors(p, tensors, {{"format", "pt"}}, error)) << error;

  // The header: 8-aligned, space padded, __metadata__ first, tensors by
  // descending dtype then name, contiguous offsets.
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.rfind(R"({"__metadata__":{"format":"pt"},"count":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
                         R"("a.f32":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},)"
                         R"("empty":{"dtype":"F32","shape":[0,4],"data_offsets":[32,32]},)"
                         R"("b.weight":{"dtype":"BF16","shape":[4],"data_offsets":[32,40]},)"
                         R"("s.scale":{"dtype":"F8_E8M0","shape":[2,2],"data_offsets":[40,44]},)"
                         R"("z.i8":{"dtype":"I8","shape":[3,5],"data_offsets":[44,59]}})",
                         0),
            0u)
      << header;
  size_t jsonEnd = header.find_last_not_of(' ') + 1;
  EXPECT_EQ(header[jsonEnd - 1], '}');
  EXPECT_LT(header.size() - jsonEnd, 8u); // only padding follows
  EXPECT_EQ(bytes.size(), 8 + n + 59);

  std::unique_ptr<Checkpoint> c = Checkpoint::open(p, error);
  ASSERT_NE(c, nullptr) << error;
  EXPECT_EQ(c->names(), (std::vector<std::string>{"a.f32", "b.weight", "count",
                                                  "empty", "s.scale", "z.i8"}));
  EXPECT_EQ(c->metadata().at("format"), "pt");
  EXPECT_EQ(c->files(), std::vector<std::string>{p});
  const TensorInfo *a = c->find("a.f32");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, StDtype::F32);
  EXPECT_EQ(a->dtypeName(), "F32");
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->bytes, 24u);
  EXPECT_EQ(a->numElements(), 6);
  EXPECT_EQ(a->file, p);
  EXPECT_EQ(a->describe(), "F32 [2, 3]");
  EXPECT_EQ(std::memcmp(a->data, f32.data(), 24), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a->data) % 4, 0u);
  const TensorInfo *z = c->find("z.i8");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(std::memcmp(z->data, i8.data(), 15), 0);
  const TensorInfo *s = c->find("s.scale");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dtype, StDtype::F8_E8M0);
  EXPECT_EQ(std::memcmp(s->data, e8m0.data(), 4), 0);
  const TensorInfo *cnt = c->find("count");
  ASSERT_NE(cnt, nullptr);
  EXPECT_TRUE(cnt->shape.empty());
  EXPECT_EQ(cnt->numElements(), 1);
  int64_t back;
  std::memcpy(&back, cnt->data, 8);
  EXPECT_EQ(back, -7);
  EXPECT_EQ(c->find("empty")->bytes, 0u);
  EXPECT_EQ(c->find("nope"), nullptr);
  EXPECT_EQ(c->find(""), nullptr);

  // Directory holding model.safetensors opens the same.
  std::unique_ptr<Checkpoint> d = Checkpoint::open(dir.string(), error);
  ASSERT_NE(d, nullptr) << error;
  EXPECT_EQ(d->size(), 6u);
}

TEST_F(SafetensorsTest, WriterRejectsBadInput) {
  std::vector<uint8_t> buf(64);
  std::string error;
  std::string p = path("w.safetensors");
  EXPECT_FALSE(writeSafetensors(
      p, {{"x", StDtype::F32, {2, 2}, buf.data(), 12}}, {}, error));
  EXPECT_EQ(error, p + ": tensor 'x': F32 [2, 2] needs 16 bytes, given 12");
  EXPECT_FALSE(writeSafetensors(p,
                                {{"x", StDtype::I8, {4}, buf.data(), 4},
                                 {"x", StDtype::U8, {4}, buf.data(), 4}},
                                {}, error));
  EXPECT_CONTAINS(error, "tensor 'x' given twice");
  EXPECT_FALSE(writeSafetensors(
      p, {{"__metadata__", StDtype::I8, {1}, buf.data(), 1}}, {}, error));
  EXPECT_CONTAINS(error, "cannot be named \"__metadata__\"");
  EXPECT_FALSE(
      writeSafetensors(p, {{"f4", StDtype::F4, {3}, buf.data(), 2}}, {}, error));
  EXPECT_CONTAINS(error, "3 elements of F4 do not fill whole bytes");
  // F4 packs two per byte.
  EXPECT_TRUE(
      writeSafetensors(p, {{"f4", StDtype::F4, {2, 4}, buf.data(), 4}}, {}, error))
      << error;
  EXPECT_FALSE(writeSafetensors(path("no/such/dir.safetensors"), {}, {}, error));
  EXPECT_CONTAINS(error, "cannot open for writing");
}

TEST_F(SafetensorsTest, ShardedCheckpoint) {
  std::vector<uint8_t> a = iota(16, 0), b = iota(6, 50), c = iota(2, 90);
  std::string error;
  ASSERT_TRUE(writeSafetensors(path("model-00001-of-00002.safetensors"),
                               {{"layers.0.w", StDtype::F32, {2, 2}, a.data(), 16},
                                {"embed", StDtype::BF16, {3}, b.data(), 6}},
                               {{"format", "pt"}}, error))
      << error;
  ASSERT_TRUE(writeSafetensors(path("model-00002-of-00002.safetensors"),
                               {{"layers.1.w", StDtype::F8_E4M3, {1, 2}, c.data(), 2}},
                               {}, error))
      << error;
  ASSERT_TRUE(writeSafetensorsIndex(
      path("model.safetensors.index.json"),
      {{"layers.0.w", "model-00001-of-00002.safetensors"},
       {"embed", "model-00001-of-00002.safetensors"},
       {"layers.1.w", "model-00002-of-00002.safetensors"}},
      24, error))
      << error;
  // The index reads back as transformers writes it.
  std::optional<JsonValue> index =
      parseJsonFile(path("model.safetensors.index.json"), error);
  ASSERT_TRUE(index) << error;
  EXPECT_EQ(*index->find("metadata")->find("total_size")->asInteger(), 24);
  EXPECT_EQ(index->find("weight_map")->asObject()->front().first, "embed");

  for (const std::string &where :
       {dir.string(), path("model.safetensors.index.json")}) {
    std::unique_ptr<Checkpoint> ckpt = Checkpoint::open(where, error);
    ASSERT_NE(ckpt, nullptr) << error;
    EXPECT_EQ(ckpt->names(),
              (std::vector<std::string>{"embed", "layers.0.w", "layers.1.w"}));
    EXPECT_EQ(ckpt->files().size(), 2u);
    const TensorInfo *w1 = ckpt->find("layers.1.w");
    ASSERT_NE(w1, nullptr);
    EXPECT_EQ(w1->file, path("model-00002-of-00002.safetensors"));
    EXPECT_EQ(w1->dtype, StDtype::F8_E4M3);
    EXPECT_EQ(std::memcmp(w1->data, c.data(), 2), 0);
    const TensorInfo *w0 = ckpt->find("layers.0.w");
    ASSERT_NE(w0, nullptr);
    EXPECT_EQ(w0->file, path("model-00001-of-00002.safetensors"));
    EXPECT_EQ(std::memcmp(w0->data, a.data(), 16), 0);
    EXPECT_EQ(ckpt->indexMetadata().at("total_size"), "24");
    EXPECT_EQ(ckpt->metadata().at("format"), "pt");
  }
}

TEST_F(SafetensorsTest, ShardedIndexErrors) {
  std::vector<uint8_t> a(16);
  std::string error;
  std::string s1 = path("s1.safetensors"), s2 = path("s2.safetensors");
  ASSERT_TRUE(writeSafetensors(s1, {{"a", StDtype::F32, {4}, a.data(), 16},
                                    {"b", StDtype::F32, {2}, a.data(), 8}},
                               {}, error));
  ASSERT_TRUE(
      writeSafetensors(s2, {{"c", StDtype::I8, {3}, a.data(), 3}}, {}, error));
  std::string idx = path("model.safetensors.index.json");
  auto writeIndex = [&](const std::string &text) {
    std::ofstream(idx) << text;
  };

  writeIndex(R"({"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors",
                                "c": "s2.safetensors", "d": "s3.safetensors"}})");
  EXPECT_CONTAINS(openError(idx, path("s3.safetensors")), "cannot open");

  writeIndex(R"({"weight_map": {"a": "s1.safetensors", "c": "s2.safetensors"}})");
  EXPECT_EQ(openError(idx, s1),
            s1 + ": tensor 'b' is not in the index " + idx);

  writeIndex(R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors",
                                "c": "s2.safetensors"}})");
  EXPECT_EQ(openError(idx, s1),
            s1 + ": tensor 'b' is mapped to 's2.safetensors' by the index " +
                idx);

  writeIndex(R"({"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors",
                                "c": "s2.safetensors", "x": "s2.safetensors"}})");
  EXPECT_EQ(openError(idx),
            idx + ": tensor 'x' is not in its shard 's2.safetensors'");

  writeIndex(R"({"weight_map": {"a": "../s1.safetensors"}})");
  EXPECT_CONTAINS(openError(idx), "not a file in the index's directory");
  writeIndex(R"({"weight_map": {"a": "/etc/passwd"}})");
  EXPECT_CONTAINS(openError(idx), "not a file in the index's directory");
  writeIndex(R"({"weight_map": {"a": 3}})");
  EXPECT_CONTAINS(openError(idx), "entry of tensor 'a' is a number");
  writeIndex(R"({"metadata": {}})");
  EXPECT_CONTAINS(openError(idx), "missing \"weight_map\"");
  writeIndex(R"({"weight_map": {}})");
  EXPECT_CONTAINS(openError(idx), "\"weight_map\" is empty");
  writeIndex(R"({"weight_map": {"a": "s1.safetensors",}})");
  EXPECT_EQ(openError(idx).rfind(idx + ":1:39: expected a string key after ','",
                                 0),
            0u);

  fs::create_directories(dir / "emptydir");
  EXPECT_CONTAINS(openError(path("emptydir")),
                  "directory holds neither model.safetensors.index.json nor "
                  "model.safetensors");
}

TEST_F(SafetensorsTest, HeaderAndFileErrors) {
  // Too small for the length field.
  std::string p = path("tiny.safetensors");
  std::ofstream(p) << "abc";
  EXPECT_CONTAINS(openError(p), "file of 3 bytes is too small");
  std::ofstream(path("zero.safetensors")).close();
  EXPECT_CONTAINS(openError(path("zero.safetensors")), "file of 0 bytes");
  EXPECT_CONTAINS(openError(path("missing.safetensors")), "cannot open");

  // Header length beyond the file, and absurd.
  p = writeRaw("long.safetensors", "{}", "", 1000);
  EXPECT_EQ(openError(p), p + ": header length 1000 exceeds the 2 bytes "
                              "after the length field (file truncated?)");
  p = writeRaw("huge.safetensors", "{}", "", uint64_t(1) << 40);
  EXPECT_CONTAINS(openError(p), "exceeds the limit of 100000000 bytes");

  // Bad JSON, located.
  p = writeRaw("badjson.safetensors", R"({"a": {"dtype": "F32",})");
  EXPECT_CONTAINS(openError(p), "invalid header JSON at 1:23: expected a "
                                "string key after ','");
  p = writeRaw("array.safetensors", "[1, 2]  ");
  EXPECT_CONTAINS(openError(p), "header is an array, not a JSON object");
  p = writeRaw("deep.safetensors", std::string(50000, '['));
  EXPECT_CONTAINS(openError(p), "nesting deeper than");
  p = writeRaw("utf8.safetensors", "{\"\xff\": 1}");
  EXPECT_CONTAINS(openError(p), "invalid UTF-8");

  // Entry-level problems name the tensor.
  struct Case {
    const char *header;
    size_t dataBytes;
    const char *message;
  };
  const Case cases[] = {
      {R"({"w": {"dtype": "F9", "shape": [2], "data_offsets": [0, 8]}})", 8,
       "tensor 'w': unknown dtype 'F9'"},
      {R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", 8,
       "tensor 'w': missing \"dtype\""},
      {R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", 8,
       "tensor 'w': missing \"shape\""},
      {R"({"w": {"dtype": "F32", "shape": [2]}})", 8,
       "tensor 'w': missing \"data_offsets\""},
      {R"({"w": [1]})", 0, "tensor 'w': entry is an array, not an object"},
      {R"({"w": {"dtype": 3, "shape": [2], "data_offsets": [0, 8]}})", 8,
       "tensor 'w': \"dtype\" is a number, not a string"},
      {R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8,
       "tensor 'w': \"shape\" entries must be non-negative integers"},
      {R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})", 8,
       "tensor 'w': \"shape\" entries must be non-negative integers"},
      {R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", 8,
       "tensor 'w': \"shape\" is a number, not an array"},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", 8,
       "tensor 'w': \"data_offsets\" must be two non-negative integers "
       "[BEGIN, END]"},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", 8,
       "tensor 'w': data_offsets [8, 0] end before they begin"},
      {R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}})",
       12, "tensor 'w': data_offsets [0, 12] hold 12 bytes but F32 [2, 2] "
           "needs 16"},
      {R"({"w": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}})", 2,
       "tensor 'w': F4 [3]: 3 elements of F4 do not fill whole bytes"},
      {R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296],
                 "data_offsets": [0, 8]}})",
       8, "tensor 'w': F32 [4294967296, 4294967296]: its element count "
          "overflows"},
      {R"({"w": {"dtype": "F32", "shape": [2147483648, 2147483648],
                 "data_offsets": [0, 8]}})",
       8, "tensor 'w': F32 [2147483648, 2147483648]: its size in bits "
          "overflows"},
      {R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 12,
       "tensor 'w': data_offsets [0, 16] reach beyond the data region of 12 "
       "bytes (file truncated?)"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
       12, "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}})",
       20, "gap of 4 bytes in the data region before tensor 'b' [12, 20]"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12,
       "gap of 4 bytes in the data region before tensor 'a' [4, 12]"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 11,
       "3 bytes after the last tensor: the data region holds 11 bytes, the "
       "tensors 8"},
      {R"({"__metadata__": {"format": 1}})", 0,
       "\"__metadata__\" value of 'format' is a number, not a string"},
      {R"({"__metadata__": "pt"})", 0,
       "\"__metadata__\" is a string, not an object of strings"},
  };
  int i = 0;
  for (const Case &c : cases) {
    std::string file = "case" + std::to_string(i++) + ".safetensors";
    std::string q = writeRaw(file, c.header, std::string(c.dataBytes, '\0'));
    EXPECT_EQ(openError(q), q + ": " + c.message) << c.header;
  }
  // Tensors in any header order, and an unpadded header, are fine when
  // they tile the data region.
  std::string ok = writeRaw(
      "ok.safetensors",
      R"({"b": {"dtype": "U8", "shape": [3], "data_offsets": [8, 11]},
          "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "e": {"dtype": "F32", "shape": [0], "data_offsets": [11, 11]}})",
      std::string(11, 'x'));
  std::string error;
  std::unique_ptr<Checkpoint> c = Checkpoint::open(ok, error);
  ASSERT_NE(c, nullptr) << error;
  EXPECT_EQ(c->names(), (std::vector<std::string>{"a", "b", "e"}));
}

TEST_F(SafetensorsTest, TruncatedAndCorruptedFiles) {
  std::vector<uint8_t> a = iota(64, 0);
  std::string error;
  std::string p = path("good.safetensors");
  ASSERT_TRUE(writeSafetensors(p, {{"w1", StDtype::BF16, {4, 8}, a.data(), 64},
                                   {"w2", StDtype::I8, {16}, a.data(), 16}},
                               {}, error));
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  in.close();
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<uint8_t>(bytes[i]);

  // Cut in the last tensor (w2, I8, after the BF16 one).
  std::string cut = path("cut.safetensors");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 5);
  EXPECT_EQ(openError(cut), cut + ": tensor 'w2': data_offsets [64, 80] reach "
                                  "beyond the data region of 75 bytes (file "
                                  "truncated?)");
  // Cut inside the header.
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, 8 + n / 2);
  EXPECT_CONTAINS(openError(cut), "header length " + std::to_string(n) +
                                      " exceeds the " + std::to_string(n / 2) +
                                      " bytes after the length field");
  // One extra byte at the end.
  std::ofstream(cut, std::ios::binary) << bytes << 'x';
  EXPECT_CONTAINS(openError(cut), "1 bytes after the last tensor");
  // Every single-byte corruption of the header either still opens (e.g. a
  // changed name) or is reported with the file's name; never a crash.
  for (size_t i = 0; i < 8 + n; ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      std::ofstream(cut, std::ios::binary) << bad;
      std::unique_ptr<Checkpoint> c = Checkpoint::open(cut, error);
      if (!c) {
        EXPECT_EQ(error.rfind(cut + ": ", 0), 0u) << error;
      }
    }
  }
}
