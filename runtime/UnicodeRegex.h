//===- UnicodeRegex.h - small backtracking regex over code points -*- C++ -*-===//
//
// Just enough of Oniguruma (the engine HF `tokenizers` uses for Split
// pre-tokenizers) to run the pre-tokenizer patterns of byte-level BPE
// tokenizers (DeepSeek V3/V4, GPT-2, cl100k/Llama 3, Qwen2) with the same
// leftmost-first, backtracking semantics. Supported:
//
//   literals (any code point), `.` (anything but \n)
//   escapes  \r \n \t \f \v \e \a \0, \xHH, \x{H..}, \uHHHH, and a
//            backslash before any non-alphanumeric ASCII character
//   classes  \s \S (Unicode White_Space, as Oniguruma's \s), \d \D
//            (General_Category Nd), \p{X} \P{X} \p{^X} for the General_Category
//            values (L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi
//            Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Cs Co Cn, or the long
//            names Letter Mark Number Punctuation Symbol Separator Other)
//   [...]    with ^ negation, ranges, and all of the above inside
//   groups   (...) (never captures), (?:...), (?i:...) (ASCII literals
//            only; s/k also match U+017F/U+212A as Oniguruma folds them),
//            (?=...) (?!...) lookahead, (?>...) atomic
//   repeats  * + ? {n} {n,} {n,m} {,m}, each greedy, lazy (?) or
//            possessive (+)
//   anchors  ^ $ (line anchors, as in Ruby syntax), \A \z \Z
//   |        alternation, first alternative that matches wins
//
// Anything else (\w, \b, back-references, lookbehind, scripts such as
// \p{Han}, nested classes and && in classes, inline flags other than (?i:,
// case-insensitive classes or non-ASCII literals) is rejected by compile()
// with an error naming the construct and its offset: never a silent
// mismatch.
//
// Matching runs on decoded code points with their General_Category; a
// subject is a window [begin, end) and lookahead/anchors see only the window.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_UNICODEREGEX_H
#define DSV4C_RUNTIME_UNICODEREGEX_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4c {

/// Decoded text: code points (invalid UTF-8 bytes as utf8::kInvalidByteBase
/// + byte), their General_Category, and the byte offset of each (plus one
/// past the end).
struct CodePointText {
  std::vector<uint32_t> cps;
  std::vector<uint8_t> cats;
  std::vector<size_t> offsets;
  static CodePointText decode(std::string_view text);
};

class UnicodeRegex {
public:
  struct Node;
  ~UnicodeRegex();

  /// nullptr and `error` ("at offset N: what") on a syntax error or an
  /// unsupported construct.
  static std::unique_ptr<UnicodeRegex> compile(std::string_view pattern,
                                               std::string &error);

  /// The leftmost match starting at or after `from` within the window
  /// [begin, end) of `text` (code point indices). Empty matches count.
  bool search(const CodePointText &text, size_t begin, size_t end, size_t from,
              size_t &matchBegin, size_t &matchEnd) const;

  const std::string &pattern() const { return source; }

private:
  UnicodeRegex() = default;
  std::string source;
  std::vector<std::unique_ptr<Node>> nodes; // owns every node
  const Node *root = nullptr;
  friend class RegexParser;
};

} // namespace dsv4c

#endif
