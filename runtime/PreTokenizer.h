//===- PreTokenizer.h - HF pre-tokenizer splits for byte-level BPE -*- C++ -*-===//
//
// The `pre_tokenizer` of a HF tokenizer.json, as far as byte-level BPE
// needs it: a Split, a ByteLevel, or a Sequence of Splits ending in a
// ByteLevel. Split patterns ({"Regex": ...} or {"String": ...}) run on
// UnicodeRegex with the behaviours Removed, Isolated, MergedWithPrevious,
// MergedWithNext and Contiguous (and `invert`), reproducing HF's
// find-matches/split rules, empty matches included. ByteLevel must have
// add_prefix_space false; use_regex true adds the GPT-2 split.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_PRETOKENIZER_H
#define DSV4C_RUNTIME_PRETOKENIZER_H

#include "runtime/UnicodeRegex.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsv4c {
namespace tokjson {
struct Value;
}

class PreTokenizer {
public:
  enum class Behavior {
    Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous
  };
  struct Split {
    std::unique_ptr<UnicodeRegex> regex;
    Behavior behavior = Behavior::Isolated;
    bool invert = false;
  };

  /// Reads the "pre_tokenizer" value. On failure returns false and sets
  /// `error` to "pre_tokenizer.<field>: what".
  bool configure(const tokjson::Value &v, std::string &error);

  /// Appends the pieces of `text` to `pieces` as byte ranges [begin, end)
  /// offset by `base`.
  void split(std::string_view text, size_t base,
             std::vector<std::pair<size_t, size_t>> &pieces) const;

  /// Adds a split (used by configure, and by tests).
  void addSplit(Split s) { splits.push_back(std::move(s)); }

private:
  std::vector<Split> splits;
  bool addSplitFromJson(const tokjson::Value &v, const std::string &where,
                        std::string &error);
  bool addByteLevelFromJson(const tokjson::Value &v, const std::string &where,
                            std::string &error);
};

} // namespace dsv4c

#endif
