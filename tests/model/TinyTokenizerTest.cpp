//===- TinyTokenizerTest.cpp - the tokenizer gen-checkpoint writes --------===//
#include "models/v4/CheckpointGenerator.h"
#include "models/v4/TinyTokenizer.h"

#include "runtime/Tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::v4;
namespace fs = std::filesystem;

namespace {

class TinyTokenizerTest : public ::testing::Test {
protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("dsv4c_tinytok_" +
           std::string(
               ::testing::UnitTest::GetInstance()->current_test_info()->name()) +
           "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<Tokenizer> write(int64_t vocab) {
    fs::path sub = dir / ("v" + std::to_string(vocab));
    fs::create_directories(sub);
    std::string error;
    EXPECT_TRUE(writeTinyTokenizer(sub.string(), vocab, error)) << error;
    auto tok = Tokenizer::load((sub / "tokenizer.json").string(), error);
    EXPECT_TRUE(tok) << error;
    return tok;
  }
};

const char *const kTexts[] = {
    "The river runs past the old mill.",
    "Hello, world! 12345 apples; don't stop.",
    "naïve café — “quotes” 你好世界 日本語のテキスト 한국어 👍🏽👨\u200d👩\u200d👧",
    "a  b   c\t\td\n\n\ne \r\n  \u00a0\u3000 end   ",
    "          ",
    "\n",
    "",
    "<｜begin▁of▁sentence｜>Hi<｜end▁of▁sentence｜>",
};

TEST_F(TinyTokenizerTest, RoundTripsWithIdsInRangeAndSpecialsLast) {
  for (int64_t vocab : {258, 300, 1000}) {
    SCOPED_TRACE("vocab " + std::to_string(vocab));
    auto tok = write(vocab);
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->vocabSize(), size_t(vocab));
    EXPECT_EQ(tok->bosId(), vocab - 2);
    EXPECT_EQ(tok->eosId(), vocab - 1);
    EXPECT_EQ(tok->tokenId(kTinyBosToken), vocab - 2);
    EXPECT_EQ(tok->tokenId(kTinyEosToken), vocab - 1);
    EXPECT_TRUE(tok->isSpecial(int32_t(vocab - 2)));
    EXPECT_TRUE(tok->isSpecial(int32_t(vocab - 1)));
    // No holes: every id has a token.
    for (int32_t id = 0; id < vocab; ++id)
      ASSERT_FALSE(tok->tokenString(id).empty()) << "id " << id;
    for (const char *text : kTexts) {
      std::vector<int32_t> ids = tok->encode(text, false);
      for (int32_t id : ids) {
        EXPECT_GE(id, 0);
        EXPECT_LT(id, vocab) << text;
      }
      EXPECT_EQ(tok->decode(ids), text);
      std::vector<int32_t> withBos = tok->encode(text, true);
      ASSERT_FALSE(withBos.empty());
      EXPECT_EQ(withBos[0], vocab - 2);
      EXPECT_EQ(std::vector<int32_t>(withBos.begin() + 1, withBos.end()), ids);
    }
    EXPECT_EQ(tok->encode(kTexts[7], false).front(), vocab - 2);
    EXPECT_EQ(tok->encode(kTexts[7], false).back(), vocab - 1);
    EXPECT_EQ(tok->decode(tok->encode(kTexts[7], false), true), "Hi");
  }
}

TEST_F(TinyTokenizerTest, MergesShortenEnglishAndBytesStayBytes) {
  auto tok = write(300);
  ASSERT_TRUE(tok);
  std::string text = "the river and the town";
  std::vector<int32_t> ids = tok->encode(text, false);
  EXPECT_LT(ids.size(), text.size() * 3 / 4);
  // Bytes are ids 0..255 in byte order (GPT-2's byte-level characters).
  EXPECT_EQ(tok->encode("~", false), std::vector<int32_t>{'~'});
  EXPECT_EQ(tok->encode("\x01", false), std::vector<int32_t>{1});
  EXPECT_EQ(tok->tokenString(' '), "\u0120"); // 'Ġ'
  EXPECT_EQ(tok->tokenString(0xFF), "\u00ff");
}

TEST_F(TinyTokenizerTest, LargeVocabGetsPlaceholders) {
  int64_t merges = tinyTokenizerMaxMerges();
  ASSERT_GT(merges, 100); // enough for the tiny preset's 300
  int64_t vocab = 256 + merges + 50;
  auto tok = write(vocab);
  ASSERT_TRUE(tok);
  int32_t first = tok->tokenId("<｜place▁holder▁no▁0｜>");
  ASSERT_GE(first, 256);
  EXPECT_LE(first, 256 + merges);
  int64_t count = vocab - 2 - first;
  EXPECT_EQ(tok->tokenId("<｜place▁holder▁no▁" + std::to_string(count - 1) +
                         "｜>"),
            vocab - 3);
  EXPECT_TRUE(tok->isSpecial(first));
}

TEST_F(TinyTokenizerTest, SameVocabSameBytes) {
  std::string a, b, c, error;
  ASSERT_TRUE(buildTinyTokenizerJson(300, a, error)) << error;
  ASSERT_TRUE(buildTinyTokenizerJson(300, b, error)) << error;
  ASSERT_TRUE(buildTinyTokenizerJson(301, c, error)) << error;
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST_F(TinyTokenizerTest, TooSmallVocabIsAnError) {
  std::string json, error;
  EXPECT_FALSE(buildTinyTokenizerJson(257, json, error));
  EXPECT_NE(error.find("258"), std::string::npos) << error;
  EXPECT_FALSE(writeTinyTokenizer(dir.string(), 0, error));
  EXPECT_FALSE(fs::exists(dir / "tokenizer.json"));

  // The generator says so before it generates anything; without the
  // tokenizer such a vocab is fine.
  V4Config config = v4TinyConfig();
  config.vocabSize = 100;
  error.clear();
  EXPECT_FALSE(generateCheckpoint(config, (dir / "m").string(), {}, error));
  EXPECT_NE(error.find("vocab_size 100"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(dir / "m" / "config.json"));
  GeneratorOptions options;
  options.tokenizer = false;
  EXPECT_TRUE(generateCheckpoint(config, (dir / "m").string(), options, error))
      << error;
  EXPECT_FALSE(fs::exists(dir / "m" / "tokenizer.json"));
}

TEST_F(TinyTokenizerTest, GeneratorWritesALoadableTokenizer) {
  std::string error;
  ASSERT_TRUE(
      generateCheckpoint(v4TinyConfig(), (dir / "m").string(), {}, error))
      << error;
  EXPECT_TRUE(fs::exists(dir / "m" / "tokenizer_config.json"));
  auto tok = Tokenizer::load((dir / "m" / "tokenizer.json").string(), error);
  ASSERT_TRUE(tok) << error;
  EXPECT_EQ(int64_t(tok->vocabSize()), v4TinyConfig().vocabSize);
  EXPECT_EQ(tok->bosId(), v4TinyConfig().vocabSize - 2);
  EXPECT_EQ(tok->decode(tok->encode("Hello there", true), true), "Hello there");
}

} // namespace
