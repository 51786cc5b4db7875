//===- TinyTokenizer.h - a small deterministic tokenizer.json ---*- C++ -*-===//
//
// A byte-level BPE tokenizer of any vocab size >= 258 in the shape of
// DeepSeek V3/V4's tokenizer.json (DeepSeek's pre-tokenizer Splits, a
// ByteLevel decoder, a BOS TemplateProcessing post-processor, special
// tokens), so that a generated checkpoint can be run on text. Ids:
//
//   0..255          the byte tokens in byte order (GPT-2 byte-to-unicode)
//   256..           merges learned by BPE on a built-in English text: the
//                   most frequent adjacent pair within a pre-token, ties to
//                   the smallest (left id, right id); pairs seen only once
//                   are never merged
//   ..vocab-3       when the text runs out of pairs, unused special tokens
//                   <｜place▁holder▁no▁K｜> (as DeepSeek's vocab has)
//   vocab-2         <｜begin▁of▁sentence｜>
//   vocab-1         <｜end▁of▁sentence｜>
//
// The same vocab size always gives byte-identical files. Links no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_TINYTOKENIZER_H
#define DSV4C_MODELS_V4_TINYTOKENIZER_H

#include <cstdint>
#include <string>

namespace dsv4c::v4 {

/// DeepSeek's BOS and EOS strings.
inline constexpr const char kTinyBosToken[] = "<｜begin▁of▁sentence｜>";
inline constexpr const char kTinyEosToken[] = "<｜end▁of▁sentence｜>";

/// 256 byte tokens and the two special tokens.
inline constexpr int64_t kTinyTokenizerMinVocab = 258;
/// A sanity bound (V4's vocab is 129280): beyond it the file is all
/// placeholders and gigabytes.
inline constexpr int64_t kTinyTokenizerMaxVocab = int64_t(1) << 24;

/// False with `error` if `vocabSize` is outside [kTinyTokenizerMinVocab,
/// kTinyTokenizerMaxVocab].
bool checkTinyTokenizerVocab(int64_t vocabSize, std::string &error);

/// The text of tokenizer.json for `vocabSize`; false with `error` if
/// checkTinyTokenizerVocab fails.
bool buildTinyTokenizerJson(int64_t vocabSize, std::string &json,
                            std::string &error);

/// Number of merges buildTinyTokenizerJson learns at most (the built-in
/// text's limit); larger vocabs get placeholder tokens. For tests.
int64_t tinyTokenizerMaxMerges();

/// Writes `dir`/tokenizer.json and `dir`/tokenizer_config.json (naming the
/// BOS and EOS tokens); `dir` must exist.
bool writeTinyTokenizer(const std::string &dir, int64_t vocabSize,
                        std::string &error);

} // namespace dsv4c::v4

#endif
