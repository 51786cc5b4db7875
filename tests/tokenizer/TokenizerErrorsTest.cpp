//===- TokenizerErrorsTest.cpp - malformed tokenizer.json files -----------===//
//
// Every load error names the file and the field (or line/column).
//
//===----------------------------------------------------------------------===//
#include "TokenizerTestUtil.h"

#include "runtime/Tokenizer.h"

using namespace dsv4c;
using namespace tokenizer_test;

namespace {

/// Loads `json` from a file; expects failure and returns the message.
std::string loadError(const std::string &json, const std::string &tag,
                      std::string *pathOut = nullptr) {
  std::string path = writeTemp("err_" + tag, "tokenizer.json", json);
  if (pathOut)
    *pathOut = path;
  std::string error;
  auto t = Tokenizer::load(path, error);
  EXPECT_FALSE(t) << "loaded: " << tag;
  EXPECT_NE(error.find(path), std::string::npos) << error;
  return error;
}

/// `base` with the first occurrence of `from` replaced by `to`.
std::string replaced(std::string base, const std::string &from,
                     const std::string &to) {
  size_t at = base.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    base.replace(at, from.size(), to);
  return base;
}

std::string validJson() {
  TokJson j;
  j.merge("h", "e");
  j.added = {{"<｜begin▁of▁sentence｜>"}};
  return j.build();
}

#define EXPECT_HAS(haystack, needle)                                          \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

} // namespace

TEST(TokenizerErrors, MissingFile) {
  std::string error;
  EXPECT_FALSE(Tokenizer::load("/nonexistent/dir/tokenizer.json", error));
  EXPECT_HAS(error, "/nonexistent/dir/tokenizer.json");
  EXPECT_HAS(error, "cannot open");
}

TEST(TokenizerErrors, InvalidJsonNamesLineAndColumn) {
  std::string e = loadError("{\n  \"model\": {\"vocab\": [1, 2,]}\n}", "json");
  EXPECT_HAS(e, "invalid JSON");
  EXPECT_HAS(e, "line 2");
  EXPECT_HAS(loadError("", "empty"), "unexpected end of input");
  EXPECT_HAS(loadError("[]", "array"), "top level");
  EXPECT_HAS(loadError("{\"a\": \"\\ud800\"}", "surrogate"), "surrogate");
}

TEST(TokenizerErrors, ModelFields) {
  std::string v = validJson();
  EXPECT_HAS(loadError(replaced(v, "\"model\":", "\"modell\":"), "nomodel"),
             "model: expected an object");
  EXPECT_HAS(loadError(replaced(v, "\"type\":\"BPE\"", "\"type\":\"WordPiece\""),
                       "wordpiece"),
             "model.type");
  EXPECT_HAS(loadError(replaced(v, "\"vocab\":{", "\"vocab\":[{"), "vocab"),
             "invalid JSON");
  EXPECT_HAS(loadError(replaced(v, "\"vocab\":{", "\"vocab\":7,\"x\":{"),
                       "vocabkind"),
             "model.vocab: expected an object, found a number");
  EXPECT_HAS(loadError(replaced(v, "\"!\":33", "\"!\":-3"), "vocabid"),
             "model.vocab[\"!\"]: expected a non-negative integer id");
  EXPECT_HAS(loadError(replaced(v, "\"!\":33", "\"!\":1.5"), "vocabfrac"),
             "model.vocab[\"!\"]");
  EXPECT_HAS(loadError(replaced(v, "\"merges\":[\"h e\"]", "\"merges\":{}"),
                       "mergeskind"),
             "model.merges: expected an array");
  EXPECT_HAS(loadError(replaced(v, "\"h e\"", "\"he\""), "mergeform"),
             "model.merges[0]: expected \"left right\"");
  EXPECT_HAS(loadError(replaced(v, "\"h e\"", "[\"h\"]"), "mergepair"),
             "model.merges[0]");
  EXPECT_HAS(loadError(replaced(v, "\"h e\"", "\"h \\u00ff\\u0100\""),
                       "mergeoov"),
             "model.merges[0]: token");
  EXPECT_HAS(loadError(replaced(v, "\"byte_fallback\":false",
                                "\"byte_fallback\":true"),
                       "fallback"),
             "model.byte_fallback");
  EXPECT_HAS(loadError(replaced(v, "\"dropout\":null", "\"dropout\":0.1"),
                       "dropout"),
             "model.dropout");
  EXPECT_HAS(loadError(replaced(v, "\"unk_token\":null", "\"unk_token\":\"<unk>\""),
                       "unk"),
             "model.unk_token");
}

TEST(TokenizerErrors, AddedTokenFields) {
  std::string v = validJson();
  EXPECT_HAS(loadError(replaced(v, "\"content\":", "\"contents\":"), "content"),
             "added_tokens[0].content: expected a non-empty string");
  EXPECT_HAS(loadError(replaced(v, "{\"id\":257,", "{"), "noid"),
             "added_tokens[0].id: missing");
  EXPECT_HAS(loadError(replaced(v, "{\"id\":257,", "{\"id\":\"x\","), "idkind"),
             "added_tokens[0].id");
  EXPECT_HAS(loadError(replaced(v, "\"single_word\":false", "\"single_word\":true"),
                       "singleword"),
             "added_tokens[0].single_word");
  EXPECT_HAS(loadError(replaced(v, "\"special\":true", "\"special\":1"),
                       "specialkind"),
             "added_tokens[0].special: expected a boolean");
  // Id of a vocabulary token with other text.
  EXPECT_HAS(loadError(replaced(v, "{\"id\":257,", "{\"id\":5,"), "idclash"),
             "added_tokens[0].id: 5");
  EXPECT_HAS(loadError(replaced(v, "\"added_tokens\":[", "\"added_tokens\":7,\"x\":["),
                       "addedkind"),
             "added_tokens: expected an array, found a number");
}

TEST(TokenizerErrors, PipelineFields) {
  std::string v = validJson();
  EXPECT_HAS(loadError(replaced(v, "\"normalizers\":[]",
                                "\"normalizers\":[{\"type\":\"NFKC\"}]"),
                       "normalizer"),
             "normalizer:");
  EXPECT_HAS(loadError(replaced(v, "\"decoder\":{\"type\":\"ByteLevel\"",
                                "\"decoder\":{\"type\":\"Metaspace\""),
                       "decoder"),
             "decoder:");
  // An unsupported regex construct names the pre-tokenizer step.
  std::string e = loadError(replaced(v, "\\\\p{N}{1,3}", "\\\\p{Han}+"), "han");
  EXPECT_HAS(e, "pre_tokenizer.pretokenizers[0].pattern");
  EXPECT_HAS(e, "\\p{Han}");
  e = loadError(replaced(v, "\\\\p{N}{1,3}", "(?<=a)b"), "lookbehind");
  EXPECT_HAS(e, "lookbehind");
  e = loadError(replaced(v, "\"behavior\":\"Isolated\"", "\"behavior\":\"Split\""),
                "behavior");
  EXPECT_HAS(e, "pre_tokenizer.pretokenizers[0].behavior");
  e = loadError(replaced(v, "{\"type\":\"Split\"", "{\"type\":\"Whitespace\""),
                "whitespace");
  EXPECT_HAS(e, "pre_tokenizer.pretokenizers[0].type");
  EXPECT_HAS(e, "Whitespace");
  e = loadError(replaced(v, "\"add_prefix_space\":false,\"trim_offsets\":true,"
                           "\"use_regex\":false",
                         "\"add_prefix_space\":true"),
                "prefix");
  EXPECT_HAS(e, "pre_tokenizer.pretokenizers[3].add_prefix_space");
  e = loadError(replaced(v, ",\n{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                           "\"trim_offsets\":true,\"use_regex\":false}",
                         ""),
                "nobytelevel");
  EXPECT_HAS(e, "no ByteLevel");
  e = loadError(replaced(v, "\"pre_tokenizer\":", "\"pre_tokenizers\":"), "nopre");
  EXPECT_HAS(e, "pre_tokenizer: missing");
}

TEST(TokenizerErrors, ValidVariantsLoad) {
  // ByteLevel alone with the GPT-2 regex, merges as pairs, null normalizer.
  TokJson j;
  j.merge("h", "e");
  j.mergesAsPairs = true;
  j.preTokenizer = R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":true})";
  std::string json = replaced(j.build(), "\"normalizer\":{\"type\":\"Sequence\","
                                         "\"normalizers\":[]}",
                              "\"normalizer\":null");
  std::string path = writeTemp("variants", "tokenizer.json", json);
  std::string error;
  auto t = Tokenizer::load(path, error);
  ASSERT_TRUE(t) << error;
  // GPT-2 split: "'s" is its own piece, " he" keeps its space.
  EXPECT_EQ(t->encode("he's he", false),
            (std::vector<int32_t>{j.id("he"), '\'', 's', ' ', j.id("he")}));
}
