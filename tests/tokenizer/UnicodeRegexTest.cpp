//===- UnicodeRegexTest.cpp - the pre-tokenizer regex matcher -------------===//
#include "runtime/UnicodeRegex.h"
#include "runtime/UnicodeTables.h"

#include <gtest/gtest.h>

using namespace dsv4c;

namespace {
using Strings = std::vector<std::string>;

std::unique_ptr<UnicodeRegex> compileOk(const std::string &pattern) {
  std::string error;
  auto re = UnicodeRegex::compile(pattern, error);
  EXPECT_TRUE(re) << pattern << ": " << error;
  return re;
}

/// Successive non-overlapping matches, as strings (empty matches skipped).
Strings findAll(const std::string &pattern, const std::string &text) {
  auto re = compileOk(pattern);
  Strings out;
  if (!re)
    return out;
  CodePointText t = CodePointText::decode(text);
  size_t from = 0, b, e;
  while (from <= t.cps.size() &&
         re->search(t, 0, t.cps.size(), from, b, e)) {
    if (e > b)
      out.push_back(text.substr(t.offsets[b], t.offsets[e] - t.offsets[b]));
    from = e > b ? e : e + 1;
  }
  return out;
}

std::string compileError(const std::string &pattern) {
  std::string error;
  auto re = UnicodeRegex::compile(pattern, error);
  EXPECT_FALSE(re) << pattern;
  return error;
}
} // namespace

TEST(UnicodeTables, Categories) {
  using G = unicode::GeneralCategory;
  EXPECT_EQ(unicode::generalCategory('A'), G::Lu);
  EXPECT_EQ(unicode::generalCategory('a'), G::Ll);
  EXPECT_EQ(unicode::generalCategory('7'), G::Nd);
  EXPECT_EQ(unicode::generalCategory(' '), G::Zs);
  EXPECT_EQ(unicode::generalCategory('\n'), G::Cc);
  EXPECT_EQ(unicode::generalCategory(0x4E2D), G::Lo);   // 中
  EXPECT_EQ(unicode::generalCategory(0x0301), G::Mn);   // combining acute
  EXPECT_EQ(unicode::generalCategory(0x3002), G::Po);   // 。
  EXPECT_EQ(unicode::generalCategory(0x1F600), G::So);  // 😀
  EXPECT_EQ(unicode::generalCategory(0x2028), G::Zl);
  EXPECT_EQ(unicode::generalCategory(0xE000), G::Co);
  EXPECT_EQ(unicode::generalCategory(0xD800), G::Cs);
  EXPECT_EQ(unicode::generalCategory(0x10FFFF), G::Cn);
  EXPECT_EQ(unicode::generalCategory(0x110000), G::Cn);
  EXPECT_TRUE(unicode::isWhiteSpace(0x3000));
  EXPECT_TRUE(unicode::isWhiteSpace(0x85));
  EXPECT_FALSE(unicode::isWhiteSpace(0x200B)); // zero width space is Cf
  EXPECT_FALSE(unicode::isWhiteSpace(0x1C));
}

TEST(UnicodeRegex, ClassesAndProperties) {
  EXPECT_EQ(findAll("\\p{L}+", "abc déf 中文 123"),
            (Strings{"abc", "déf", "中文"}));
  EXPECT_EQ(findAll("\\p{N}{1,3}", "12345 ٣٤"), (Strings{"123", "45", "٣٤"}));
  EXPECT_EQ(findAll("[\\p{P}\\p{S}]+", "a+b, c!?"), (Strings{"+", ",", "!?"}));
  EXPECT_EQ(findAll("\\P{L}+", "ab12cd"), (Strings{"12"}));
  EXPECT_EQ(findAll("\\p{^L}+", "ab12cd"), (Strings{"12"}));
  EXPECT_EQ(findAll("[^\\s\\p{L}]+", "ab 12;cd"), (Strings{"12;"}));
  EXPECT_EQ(findAll("\\s+", "a \t\u3000b"), (Strings{" \t\u3000"}));
  EXPECT_EQ(findAll("\\S+", "a \t b"), (Strings{"a", "b"}));
  EXPECT_EQ(findAll("\\d+", "x42y٣"), (Strings{"42", "٣"}));
  EXPECT_EQ(findAll("[一-龥]+", "漢字かな"), (Strings{"漢字"}));
  EXPECT_EQ(findAll("[\\x{3040}-\\x{309F}]+", "漢字かな"), (Strings{"かな"}));
  EXPECT_EQ(findAll("\\u0041+", "AAb"), (Strings{"AA"}));
  EXPECT_EQ(findAll("[\\[\\]\\\\-]+", "a[]\\-b"), (Strings{"[]\\-"}));
  EXPECT_EQ(findAll("[-a]+", "b-a-b"), (Strings{"-a-"}));
  EXPECT_EQ(findAll("[a-]+", "b-a-b"), (Strings{"-a-"}));
  EXPECT_EQ(findAll("[]a]+", "x]a]"), (Strings{"]a]"}));
  EXPECT_EQ(findAll(".+", "ab\ncd"), (Strings{"ab", "cd"}));
  EXPECT_EQ(findAll("\\p{Lu}\\p{Ll}+", "HelloWorld"), (Strings{"Hello", "World"}));
  EXPECT_EQ(findAll("[\\p{L}\\p{M}]+", "e\u0301x"), (Strings{"e\u0301x"}));
}

TEST(UnicodeRegex, AlternationIsLeftmostFirst) {
  EXPECT_EQ(findAll("a|ab", "ab"), (Strings{"a"}));
  EXPECT_EQ(findAll("ab|a", "ab"), (Strings{"ab"}));
  EXPECT_EQ(findAll("x(?:ab|a)c", "xac xabc"), (Strings{"xac", "xabc"}));
}

TEST(UnicodeRegex, Repeats) {
  EXPECT_EQ(findAll("a{2}", "aaaaa"), (Strings{"aa", "aa"}));
  EXPECT_EQ(findAll("a{2,}", "aaaaa"), (Strings{"aaaaa"}));
  EXPECT_EQ(findAll("a{,2}", "aaa"), (Strings{"aa", "a"}));
  EXPECT_EQ(findAll("a{1,2}?", "aaa"), (Strings{"a", "a", "a"}));
  EXPECT_EQ(findAll("a+?b", "aaab"), (Strings{"aaab"}));
  EXPECT_EQ(findAll("a*ab", "aaab"), (Strings{"aaab"}));
  // Possessive repeats never give back: a++a cannot match.
  EXPECT_EQ(findAll("a++a", "aaa"), Strings{});
  EXPECT_EQ(findAll("(?:ab)++", "ababa"), (Strings{"abab"}));
  EXPECT_EQ(findAll("(?>a+)b", "aab"), (Strings{"aab"}));
  EXPECT_EQ(findAll("(?>a|ab)c", "abc"), Strings{});
  EXPECT_EQ(findAll("(?:a|b)*c", "ababc"), (Strings{"ababc"}));
  EXPECT_EQ(findAll("(?:a*)*b", "aab"), (Strings{"aab"}));
  // A literal brace that is not an interval.
  EXPECT_EQ(findAll("x{y}", "x{y}"), (Strings{"x{y}"}));
}

TEST(UnicodeRegex, LookaheadAndAnchors) {
  // Trailing white space: all but the last space, unless at the end.
  EXPECT_EQ(findAll("\\s+(?!\\S)", "a   b"), (Strings{"  "}));
  EXPECT_EQ(findAll("\\s+(?!\\S)", "a   "), (Strings{"   "}));
  EXPECT_EQ(findAll("a(?=b)", "ab ac"), (Strings{"a"}));
  EXPECT_EQ(findAll("^a", "a\na"), (Strings{"a", "a"}));
  EXPECT_EQ(findAll("a$", "a\na"), (Strings{"a", "a"}));
  EXPECT_EQ(findAll("\\Aa", "a\na"), (Strings{"a"}));
  EXPECT_EQ(findAll("a\\z", "a\na"), (Strings{"a"}));
  EXPECT_EQ(findAll("\\s+$", "a  \nb  "), (Strings{"  ", "  "}));
}

TEST(UnicodeRegex, CaseInsensitiveGroups) {
  EXPECT_EQ(findAll("(?i:'s|'ll)", "it's IT'S we'LL"), (Strings{"'s", "'S", "'LL"}));
  // Oniguruma folds U+017F (long s) with s, U+212A (Kelvin) with k.
  EXPECT_EQ(findAll("(?i:'s)", "x'\u017F"), (Strings{"'\u017F"}));
  EXPECT_EQ(findAll("(?i:k)", "\u212A"), (Strings{"\u212A"}));
  EXPECT_EQ(findAll("(?i:a)(?-i:b)", "AB Ab"), (Strings{"Ab"}));
}

TEST(UnicodeRegex, WindowLimitsLookahead) {
  auto re = compileOk("\\s+(?!\\S)");
  ASSERT_TRUE(re);
  CodePointText t = CodePointText::decode("a  b");
  size_t b, e;
  // Within [0, 3) the text ends after the spaces: both are taken.
  ASSERT_TRUE(re->search(t, 0, 3, 0, b, e));
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(e, 3u);
  ASSERT_TRUE(re->search(t, 0, 4, 0, b, e));
  EXPECT_EQ(e, 2u);
}

TEST(UnicodeRegex, InvalidUtf8InSubjectMatchesNoClass) {
  CodePointText t = CodePointText::decode(std::string("a\xFF" "b", 3));
  ASSERT_EQ(t.cps.size(), 3u);
  auto re = compileOk("[^\\p{L}]");
  ASSERT_TRUE(re);
  size_t b, e;
  ASSERT_TRUE(re->search(t, 0, 3, 0, b, e));
  EXPECT_EQ(b, 1u); // the invalid byte is "not a letter"
  EXPECT_EQ(t.offsets[3], 3u);
}

TEST(UnicodeRegex, DeepSeekPatternsCompile) {
  compileOk("\\p{N}{1,3}");
  compileOk("[一-龥぀-ゟ゠-ヿ]+");
  compileOk("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|"
            "[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|"
            "\\s*[\r\n]+|\\s+(?!\\S)|\\s+");
  // cl100k / Llama 3 and o200k-style shapes.
  compileOk("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
            "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
            "\\s+(?!\\S)|\\s+");
  compileOk("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*"
            "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?");
}

TEST(UnicodeRegex, UnsupportedConstructsFailLoudly) {
  EXPECT_NE(compileError("\\p{Han}+").find("unsupported Unicode property"),
            std::string::npos);
  EXPECT_NE(compileError("\\w+").find("unsupported escape '\\w'"),
            std::string::npos);
  EXPECT_NE(compileError("\\bx").find("'\\b'"), std::string::npos);
  EXPECT_NE(compileError("(?<=a)b").find("lookbehind"), std::string::npos);
  EXPECT_NE(compileError("(?<!a)b").find("lookbehind"), std::string::npos);
  EXPECT_NE(compileError("(a)\\1").find("unsupported escape"), std::string::npos);
  EXPECT_NE(compileError("[a[b]]").find("nested"), std::string::npos);
  EXPECT_NE(compileError("[\\p{L}&&[^a]]").find("&&"), std::string::npos);
  EXPECT_NE(compileError("(?i)a").find("unsupported group"), std::string::npos);
  EXPECT_NE(compileError("(?i:[a-z])").find("case-insensitive"), std::string::npos);
  EXPECT_NE(compileError("(?i:é)").find("non-ASCII"), std::string::npos);
  EXPECT_NE(compileError("(?x:a)").find("unsupported group"), std::string::npos);
  EXPECT_NE(compileError("a)").find("unmatched ')'"), std::string::npos);
  EXPECT_NE(compileError("(a").find("missing ')'"), std::string::npos);
  EXPECT_NE(compileError("[ab").find("missing ']'"), std::string::npos);
  EXPECT_NE(compileError("*a").find("nothing to repeat"), std::string::npos);
  EXPECT_NE(compileError("a{3,2}").find("n > m"), std::string::npos);
  EXPECT_NE(compileError("[z-a]").find("out of order"), std::string::npos);
  EXPECT_NE(compileError("(?!a)*").find("repeat of an anchor"), std::string::npos);
  EXPECT_NE(compileError("ab\\").find("trailing backslash"), std::string::npos);
  // The offset of the problem is reported.
  EXPECT_NE(compileError("abc\\w").find("at offset 3"), std::string::npos);
}
