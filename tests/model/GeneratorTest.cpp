//===- GeneratorTest.cpp - the tiny-checkpoint generator ------------------===//
#include "models/v4/CheckpointGenerator.h"

#include "runtime/FloatFormats.h"
#include "runtime/Safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::v4;
namespace fs = std::filesystem;

namespace {

class GeneratorTest : public ::testing::Test {
protected:
  fs::path dir;
  void SetUp() override {
    dir =
        fs::temp_directory_path() /
        ("dsv4c_gen_" +
         std::string(
             ::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<Checkpoint> generate(const std::string &sub,
                                       GeneratorOptions options = {}) {
    std::string error;
    EXPECT_TRUE(generateCheckpoint(v4TinyConfig(), (dir / sub).string(),
                                   options, error))
        << error;
    auto ckpt = Checkpoint::open((dir / sub).string(), error);
    EXPECT_TRUE(ckpt) << error;
    return ckpt;
  }
};

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(GeneratorTest, TinyCheckpointMatchesTheOfficialLayout) {
  auto ckpt = generate("m");
  ASSERT_TRUE(ckpt);
  std::string error;
  EXPECT_TRUE(validateCheckpoint(v4TinyConfig(), *ckpt, error)) << error;
  V4Config parsed;
  ASSERT_TRUE(
      parseV4Config((dir / "m" / "config.json").string(), parsed, error))
      << error;
  EXPECT_EQ(parsed.compressRatios, v4TinyConfig().compressRatios);
  EXPECT_EQ(parsed.vocabSize, v4TinyConfig().vocabSize);
}

TEST_F(GeneratorTest, ShardedCheckpointValidatesAndHasAnIndex) {
  GeneratorOptions options;
  options.shards = 3;
  auto ckpt = generate("m", options);
  ASSERT_TRUE(ckpt);
  std::string error;
  EXPECT_TRUE(validateCheckpoint(v4TinyConfig(), *ckpt, error)) << error;
  EXPECT_TRUE(fs::exists(dir / "m" / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(dir / "m" / "model-00003-of-00003.safetensors"));
}

TEST_F(GeneratorTest, SameSeedSameBytesOtherSeedOtherBytes) {
  GeneratorOptions a, b;
  b.seed = 7;
  generate("a", a);
  generate("a2", a);
  generate("b", b);
  std::string fa = slurp(dir / "a" / "model.safetensors");
  EXPECT_EQ(fa, slurp(dir / "a2" / "model.safetensors"));
  EXPECT_NE(fa, slurp(dir / "b" / "model.safetensors"));
}

// A layout-only checkpoint has the full one's files: the same sizes, the
// same headers (what a by-reference bundle records), zeros for data.
TEST_F(GeneratorTest, LayoutOnlyHasTheSameSizesAndHeaders) {
  for (int shards : {1, 2}) {
    GeneratorOptions full, layout;
    full.seed = layout.seed = 3;
    full.shards = layout.shards = shards;
    layout.layoutOnly = true;
    std::string sub = std::to_string(shards);
    generate("full" + sub, full);
    generate("layout" + sub, layout);
    for (const auto &entry : fs::directory_iterator(dir / ("full" + sub))) {
      fs::path other = dir / ("layout" + sub) / entry.path().filename();
      ASSERT_TRUE(fs::exists(other)) << other;
      std::string a = slurp(entry.path()), b = slurp(other);
      ASSERT_EQ(a.size(), b.size()) << entry.path().filename();
      if (entry.path().extension() != ".safetensors") {
        EXPECT_EQ(a, b) << entry.path().filename();
        continue;
      }
      uint64_t headerBytes = 8;
      for (int i = 0; i < 8; ++i)
        headerBytes += uint64_t(uint8_t(a[i])) << (8 * i);
      ASSERT_LT(headerBytes, a.size());
      EXPECT_EQ(a.substr(0, headerBytes), b.substr(0, headerBytes));
      EXPECT_EQ(b.find_first_not_of('\0', headerBytes), std::string::npos);
      EXPECT_NE(a.find_first_not_of('\0', headerBytes), std::string::npos);
    }
  }
}

TEST_F(GeneratorTest, QuantisedWeightsHaveSaneScalesAndCodes) {
  auto ckpt = generate("m");
  ASSERT_TRUE(ckpt);
  // FP8 weight: scales are finite powers of two, codes never NaN, and the
  // dequantised values stay within the +-1/sqrt(fan_in) range drawn.
  const TensorInfo *w = ckpt->find("layers.0.attn.wq_a.weight");
  const TensorInfo *s = ckpt->find("layers.0.attn.wq_a.scale");
  ASSERT_TRUE(w && s);
  auto *codes = static_cast<const uint8_t *>(w->data);
  auto *scales = static_cast<const uint8_t *>(s->data);
  for (int64_t i = 0; i < s->numElements(); ++i)
    ASSERT_NE(scales[i], 0xFF) << "NaN scale at " << i;
  int64_t in = w->shape[1];
  float bound = 1.0f / std::sqrt(float(in));
  std::set<uint8_t> distinct;
  for (int64_t i = 0; i < w->numElements(); ++i) {
    ASSERT_NE(codes[i] & 0x7F, 0x7F) << "NaN code at " << i;
    int64_t r = i / in, c = i % in;
    float scale = f8E8M0FNUToFloat(scales[(r / 128) * s->shape[1] + c / 128]);
    float v = f8E4M3FNToFloat(codes[i]) * scale;
    ASSERT_LE(std::fabs(v), bound * 1.07f) << "element " << i;
    distinct.insert(codes[i]);
  }
  EXPECT_GT(distinct.size(), 50u); // random, not constant

  // Hash routing table: distinct, in-range experts per token.
  const TensorInfo *t = ckpt->find("layers.0.ffn.gate.tid2eid");
  ASSERT_TRUE(t);
  int64_t k = t->shape[1];
  for (int64_t r = 0; r < t->shape[0]; ++r) {
    std::set<int64_t> row;
    for (int64_t j = 0; j < k; ++j) {
      int64_t e = t->dtype == StDtype::I64
                      ? static_cast<const int64_t *>(t->data)[r * k + j]
                      : static_cast<const int32_t *>(t->data)[r * k + j];
      ASSERT_GE(e, 0);
      ASSERT_LT(e, v4TinyConfig().nRoutedExperts);
      row.insert(e);
    }
    ASSERT_EQ((int64_t)row.size(), k) << "token " << r;
  }
}

// The runtime's --generate-weights loads what gen-checkpoint writes: every
// tensor, made alone and out of order, equals the file's bytes.
TEST_F(GeneratorTest, TensorGeneratorMakesEachTensorAsTheFileHoldsIt) {
  GeneratorOptions options;
  options.seed = 7;
  options.shards = 2;
  auto ckpt = generate("m", options);
  ASSERT_TRUE(ckpt);
  TensorGenerator generator(v4TinyConfig(), 7);
  ASSERT_EQ(generator.tensors().size(), ckpt->size());
  std::string error;
  size_t quantised = 0;
  for (auto it = ckpt->tensors().rbegin(); it != ckpt->tensors().rend(); ++it) {
    const ExpectedTensor *t = generator.find(it->name);
    ASSERT_TRUE(t) << it->name;
    ASSERT_EQ(TensorGenerator::bytesOf(*t), it->bytes) << it->name;
    std::vector<uint8_t> bytes(it->bytes, 0xAB);
    ASSERT_TRUE(generator.fill(it->name, bytes.data(), error)) << error;
    EXPECT_EQ(0, std::memcmp(bytes.data(), it->data, it->bytes)) << it->name;
    quantised += t->dtype == StDtype::F8_E8M0;
  }
  EXPECT_GT(quantised, 10u); // FP8 and FP4 weights with their scales
  std::vector<uint8_t> sink(16);
  EXPECT_FALSE(generator.fill("layers.0.attn.wq", sink.data(), error));
  EXPECT_NE(error.find("'layers.0.attn.wq'"), std::string::npos) << error;
}

TEST_F(GeneratorTest, InvalidConfigIsRejectedWithTheField) {
  V4Config bad = v4TinyConfig();
  bad.compressRatios.pop_back();
  std::string error;
  EXPECT_FALSE(generateCheckpoint(bad, (dir / "x").string(), {}, error));
  EXPECT_NE(error.find("compress_ratios"), std::string::npos) << error;
}

} // namespace
