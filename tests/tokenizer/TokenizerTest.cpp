//===- TokenizerTest.cpp - byte-level BPE encode/decode -------------------===//
#include "TokenizerTestUtil.h"

#include "runtime/PreTokenizer.h"
#include "runtime/Tokenizer.h"
#include "runtime/TokenizerJson.h"
#include "runtime/Utf8.h"

using namespace dsv4c;
using namespace tokenizer_test;

namespace {

std::unique_ptr<Tokenizer> loadJson(const TokJson &j, const std::string &dir) {
  std::string path = writeTemp(dir, "tokenizer.json", j.build());
  std::string error;
  auto t = Tokenizer::load(path, error);
  EXPECT_TRUE(t) << error;
  return t;
}

std::vector<int32_t> byteIds(const std::string &text) {
  std::vector<int32_t> ids;
  for (unsigned char c : text)
    ids.push_back(c);
  return ids;
}

/// DeepSeek's pre-tokenizer on `text`, as strings.
std::vector<std::string> preTokenize(const std::string &text) {
  tokjson::Value v;
  std::string error;
  EXPECT_TRUE(tokjson::parse(deepseekPreTokenizer(), v, error)) << error;
  PreTokenizer pre;
  EXPECT_TRUE(pre.configure(v, error)) << error;
  std::vector<std::pair<size_t, size_t>> pieces;
  pre.split(text, 0, pieces);
  std::vector<std::string> out;
  for (auto [b, e] : pieces)
    out.push_back(text.substr(b, e - b));
  return out;
}

using Strings = std::vector<std::string>;

} // namespace

// Expected splits below were produced by HF tokenizers 0.23.3
// (pre_tokenizers.Sequence of DeepSeek's three Splits, pre_tokenize_str).
TEST(DeepSeekPreTokenizer, LettersNumbersPunctuation) {
  EXPECT_EQ(preTokenize("Hello world"), (Strings{"Hello", " world"}));
  EXPECT_EQ(preTokenize("12345 apples"), (Strings{"123", "45", " apples"}));
  EXPECT_EQ(preTokenize("#include <stdio.h>"),
            (Strings{"#include", " <", "stdio", ".h", ">"}));
  EXPECT_EQ(preTokenize("price: $1,234.56!!"),
            (Strings{"price", ":", " $", "1", ",", "234", ".", "56", "!!"}));
  EXPECT_EQ(preTokenize("don't stop"), (Strings{"don", "'t", " stop"}));
  EXPECT_EQ(preTokenize("(a+b)*c"), (Strings{"(a", "+b", ")*", "c"}));
  // Arabic-Indic digits are \p{N} too.
  EXPECT_EQ(preTokenize("٣٤٥٦ numbers"), (Strings{"٣٤٥", "٦", " numbers"}));
}

TEST(DeepSeekPreTokenizer, CjkAndOtherScripts) {
  EXPECT_EQ(preTokenize("你好世界abc"), (Strings{"你好世界", "abc"}));
  EXPECT_EQ(preTokenize("日本語のテキストです。"),
            (Strings{"日本語のテキストです", "。"}));
  EXPECT_EQ(preTokenize("한국어 텍스트"), (Strings{"한국어", " 텍스트"}));
  EXPECT_EQ(preTokenize("naïve café"), (Strings{"naïve", " café"}));
  // A combining mark stays with its letter ([\p{L}\p{M}]+).
  EXPECT_EQ(preTokenize("e\u0301t\u00e9"), (Strings{"e\u0301t\u00e9"}));
  EXPECT_EQ(preTokenize("👍🏽 emoji 👨‍👩‍👧"),
            (Strings{"👍🏽", " emoji", " 👨", "\u200d", "👩", "\u200d", "👧"}));
}

TEST(DeepSeekPreTokenizer, Whitespace) {
  EXPECT_EQ(preTokenize("a  b"), (Strings{"a", " ", " b"}));
  EXPECT_EQ(preTokenize("x\n\ny"), (Strings{"x", "\n\n", "y"}));
  EXPECT_EQ(preTokenize("tab\there  \r\n end"),
            (Strings{"tab", "\there", "  \r\n", " end"}));
  EXPECT_EQ(preTokenize("x   "), (Strings{"x", "   "}));
  EXPECT_EQ(preTokenize("  lead"), (Strings{" ", " lead"}));
  EXPECT_EQ(preTokenize("a\u00a0b\u3000c"), (Strings{"a", "\u00a0b", "\u3000c"}));
  EXPECT_EQ(preTokenize(""), Strings{});
}

TEST(Tokenizer, MergesApplyInRankOrder) {
  // "hello": with "l o" ranked first, "l l" never gets its chance.
  TokJson a;
  a.merge("l", "o").merge("h", "e").merge("l", "l");
  auto ta = loadJson(a, "rank_a");
  ASSERT_TRUE(ta);
  EXPECT_EQ(ta->encode("hello", false),
            (std::vector<int32_t>{a.id("he"), 'l', a.id("lo")}));

  TokJson b;
  b.merge("l", "l").merge("h", "e").merge("l", "o");
  auto tb = loadJson(b, "rank_b");
  ASSERT_TRUE(tb);
  EXPECT_EQ(tb->encode("hello", false),
            (std::vector<int32_t>{b.id("he"), b.id("ll"), 'o'}));

  // Chained merges reach the whole word; equal ranks merge leftmost first.
  TokJson c;
  c.merge("h", "e").merge("l", "l").merge("he", "ll").merge("hell", "o");
  c.merge("a", "a");
  c.mergesAsPairs = true;
  auto tc = loadJson(c, "rank_c");
  ASSERT_TRUE(tc);
  EXPECT_EQ(tc->encode("hello", false), (std::vector<int32_t>{c.id("hello")}));
  EXPECT_EQ(tc->encode("aaa", false), (std::vector<int32_t>{c.id("aa"), 'a'}));
  EXPECT_EQ(tc->encode("aaaa", false),
            (std::vector<int32_t>{c.id("aa"), c.id("aa")}));
  // Merges never cross pre-token boundaries: " hello" is one piece with a
  // leading space byte ('Ġ'), "hello world" two.
  EXPECT_EQ(tc->encode(" hello", false),
            (std::vector<int32_t>{' ', c.id("hello")}));
  EXPECT_EQ(tc->encode("hello hello", false),
            (std::vector<int32_t>{c.id("hello"), ' ', c.id("hello")}));
}

TEST(Tokenizer, UnseenCharactersFallBackToBytes) {
  TokJson j;
  j.merge("h", "e");
  auto t = loadJson(j, "bytes");
  ASSERT_TRUE(t);
  // Every byte has a token: é is C3 A9, the emoji four bytes.
  EXPECT_EQ(t->encode("é", false), byteIds("é"));
  EXPECT_EQ(t->encode("🙂", false), byteIds("🙂"));
  EXPECT_EQ(t->encode("\x01\x7f", false), byteIds("\x01\x7f"));
  EXPECT_EQ(t->encode("hé", false),
            (std::vector<int32_t>{'h', 0xC3, 0xA9}));
  EXPECT_EQ(t->encode("he", false), (std::vector<int32_t>{j.id("he")}));
  EXPECT_EQ(t->vocabSize(), 257u);
  EXPECT_EQ(t->tokenString(0xC3), "Ã");
  EXPECT_EQ(t->tokenString(' '), "Ġ");
  EXPECT_EQ(t->tokenString('\n'), "Ċ");
}

TEST(Tokenizer, SpecialTokensAreMatchedFirstAndNeverSplit) {
  TokJson j;
  j.merge("<", "|");
  j.added = {{"<｜begin▁of▁sentence｜>"}, {"<｜end▁of▁sentence｜>"},
             {"<｜User｜>", /*special=*/false, /*normalized=*/true},
             {"<a>"}, {"<a>b"}};
  auto t = loadJson(j, "special");
  ASSERT_TRUE(t);
  int bos = j.id("<｜begin▁of▁sentence｜>"), eos = j.id("<｜end▁of▁sentence｜>");
  int user = j.id("<｜User｜>");
  EXPECT_EQ(t->bosId(), bos);
  EXPECT_EQ(t->eosId(), eos);
  EXPECT_TRUE(t->isSpecial(bos));
  EXPECT_FALSE(t->isSpecial(user));
  EXPECT_EQ(t->vocabSize(), size_t(256 + 1 + 5));

  EXPECT_EQ(t->encode("a<｜begin▁of▁sentence｜>b", false),
            (std::vector<int32_t>{'a', bos, 'b'}));
  EXPECT_EQ(t->encode("x", true), (std::vector<int32_t>{bos, 'x'}));
  EXPECT_EQ(t->encode("", true), (std::vector<int32_t>{bos}));
  // Adjacent tokens, and a non-special added token (HF matches those too).
  EXPECT_EQ(t->encode("<｜User｜><｜end▁of▁sentence｜>", false),
            (std::vector<int32_t>{user, eos}));
  // Leftmost-longest: "<a>b" wins over "<a>".
  EXPECT_EQ(t->encode("<a>b<a>", false),
            (std::vector<int32_t>{j.id("<a>b"), j.id("<a>")}));
  // A partial special token is ordinary text.
  std::vector<int32_t> partial = t->encode("<｜begin", false);
  EXPECT_EQ(partial.front(), '<');
  EXPECT_EQ(t->decode(partial), "<｜begin");
  // Text around: spaces stay with the text, not the token.
  std::vector<int32_t> ids = t->encode(" <｜User｜> hi", false);
  EXPECT_EQ(ids, (std::vector<int32_t>{' ', user, ' ', 'h', 'i'}));

  // Decoding keeps special tokens unless asked to skip them.
  EXPECT_EQ(t->decode({bos, 'h', 'i', eos}),
            "<｜begin▁of▁sentence｜>hi<｜end▁of▁sentence｜>");
  EXPECT_EQ(t->decode({bos, 'h', 'i', user, eos}, /*skipSpecialTokens=*/true),
            "hi<｜User｜>");
  EXPECT_EQ(t->tokenId("<｜User｜>"), user);
}

TEST(Tokenizer, LstripRstripAbsorbWhiteSpace) {
  TokJson j;
  j.added = {{"<mask>", true, false, /*lstrip=*/true, /*rstrip=*/true}};
  auto t = loadJson(j, "strip");
  ASSERT_TRUE(t);
  int mask = j.id("<mask>");
  EXPECT_EQ(t->encode("a  <mask>  b", false),
            (std::vector<int32_t>{'a', mask, 'b'}));
}

TEST(Tokenizer, RoundTripsVariedUtf8) {
  TokJson j;
  j.merge("Ġ", "t").merge("h", "e").merge("Ġt", "he").merge("ä", "¸");
  j.added = {{"<｜begin▁of▁sentence｜>"}};
  auto t = loadJson(j, "roundtrip");
  ASSERT_TRUE(t);
  const std::string texts[] = {
      "The quick brown fox jumps over the lazy dog.",
      "  leading and trailing spaces   ",
      "tabs\tand\nnewlines\r\n\r\nand\u00a0nbsp\u3000ideographic",
      "中文字符和標點。日本語のひらがなとカタカナ。한국어",
      "emoji 😀🙂👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 flags 🇯🇵",
      "combining: e\u0301 a\u0308 n\u0303 \u1100\u1161\u11a8 \u0915\u094d\u0937",
      "Arabic مرحبا بالعالم, Hebrew שלום, Thai สวัสดี",
      "math ∑∫√∞ ≤≥ ⟨x⟩, symbols ©®™ €$¥, digits 0123456789 ١٢٣",
      "code: for (int i = 0; i < n; ++i) { x[i] += y; } // done",
      "<｜begin▁of▁sentence｜>mixed<｜begin▁of▁sentence｜> specials",
      "\x01\x02 control \x7f chars \u200b zero-width",
      "",
  };
  for (const std::string &s : texts) {
    std::vector<int32_t> ids = t->encode(s, false);
    EXPECT_EQ(t->decode(ids), s);
    EXPECT_EQ(t->decodeBytes(ids), s);
  }
  // With BOS the text follows the BOS token.
  EXPECT_EQ(t->decode(t->encode("hi", true)), "<｜begin▁of▁sentence｜>hi");
}

TEST(Tokenizer, IllFormedUtf8StillRoundTripsAsBytes) {
  TokJson j;
  auto t = loadJson(j, "illformed");
  ASSERT_TRUE(t);
  const std::string bad = std::string("ok\xC3(\xFF\xE2\x82 end\xF0\x9F", 13);
  std::vector<int32_t> ids = t->encode(bad, false);
  EXPECT_EQ(t->decodeBytes(ids), bad);
  EXPECT_EQ(t->decode(ids), utf8::toValidLossy(bad));
}

TEST(Tokenizer, DecodeHandlesPartialUtf8) {
  TokJson j;
  auto t = loadJson(j, "partial");
  ASSERT_TRUE(t);
  // "é" is two byte tokens; the first alone is half a character.
  EXPECT_EQ(t->decode({0xC3}), "\uFFFD");
  EXPECT_EQ(t->decode({0xC3, 0xA9}), "é");
  EXPECT_EQ(t->decodeBytes({0xC3}), "\xC3");
  // A 4-byte emoji cut after 3 bytes is one U+FFFD (a maximal subpart).
  EXPECT_EQ(t->decode({0xF0, 0x9F, 0x99}), "\uFFFD");
  EXPECT_EQ(t->decode({'a', 0xF0, 0x9F, 0x99, 'b'}), "a\uFFFDb");
  // Unknown ids are skipped, as HF does.
  EXPECT_EQ(t->decode({'a', 100000, -1, 'b'}), "ab");

  // Streaming: emit the complete prefix, keep an unfinished character.
  std::string pending;
  std::string shown;
  for (int32_t id : t->encode("aé🙂b", false)) {
    pending += t->decodeBytes({id});
    size_t n = utf8::completePrefixLength(pending);
    shown += pending.substr(0, n);
    pending.erase(0, n);
    EXPECT_EQ(utf8::toValidLossy(shown), shown);
  }
  EXPECT_EQ(shown, "aé🙂b");
  EXPECT_TRUE(pending.empty());
}

TEST(Tokenizer, Utf8Helpers) {
  EXPECT_EQ(utf8::completePrefixLength("ab\xE4\xB8"), 2u);
  EXPECT_EQ(utf8::completePrefixLength("ab\xE4\xB8\xAD"), 5u);
  EXPECT_EQ(utf8::completePrefixLength("ab\xFF"), 3u); // never completes
  EXPECT_EQ(utf8::completePrefixLength(""), 0u);
  EXPECT_EQ(utf8::toValidLossy("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(utf8::toValidLossy("\xC0\xAF"), "\uFFFD\uFFFD");
  size_t len;
  EXPECT_EQ(utf8::decode("\xF0\x9F\x98\x80", 0, len), 0x1F600u);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(utf8::decode("\x80", 0, len), utf8::kInvalidByteBase + 0x80);
  EXPECT_EQ(len, 1u);
}

TEST(Tokenizer, BosEosFromTokenizerConfig) {
  TokJson j;
  j.added = {{"<｜begin▁of▁sentence｜>"}, {"[BOS]"}, {"[EOS]"}};
  std::string path = writeTemp("config", "tokenizer.json", j.build());
  writeTemp("config", "tokenizer_config.json",
            R"({"bos_token": {"__type": "AddedToken", "content": "[BOS]"},
                "eos_token": "[EOS]"})");
  std::string error;
  auto t = Tokenizer::load(path, error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->bosId(), j.id("[BOS]"));
  EXPECT_EQ(t->eosId(), j.id("[EOS]"));

  TokJson none;
  auto t2 = loadJson(none, "nobos");
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->bosId(), -1);
  EXPECT_EQ(t2->eosId(), -1);
  EXPECT_EQ(t2->encode("a", true), (std::vector<int32_t>{'a'}));
}

TEST(Tokenizer, CacheGivesSameResultsAcrossCalls) {
  TokJson j;
  j.merge("a", "b").merge("ab", "c");
  auto t = loadJson(j, "cache");
  ASSERT_TRUE(t);
  std::vector<int32_t> first = t->encode("abc abc xabc", false);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(t->encode("abc abc xabc", false), first);
  EXPECT_EQ(first, (std::vector<int32_t>{j.id("abc"), ' ', j.id("abc"), ' ',
                                         'x', j.id("abc")}));
}
