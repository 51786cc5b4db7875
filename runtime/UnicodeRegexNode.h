//===- UnicodeRegexNode.h - UnicodeRegex's pattern tree (internal) -*- C++ -*-===//
//
// Shared by the parser (UnicodeRegexParser.cpp) and the matcher
// (UnicodeRegex.cpp); not part of the runtime's interface.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_UNICODEREGEXNODE_H
#define DSV4C_RUNTIME_UNICODEREGEXNODE_H

#include "runtime/UnicodeRegex.h"
#include "runtime/UnicodeTables.h"

namespace dsv4c {
namespace regex_detail {
constexpr uint32_t kMaxRepeat = 0xFFFFFFFFu;

/// One member of a character set.
struct SetItem {
  enum Kind : uint8_t { Range, Categories, Space, AnyButNewline } kind;
  bool negated = false;
  uint32_t lo = 0, hi = 0; // Range
  uint32_t mask = 0;       // Categories: bit per GeneralCategory
};
} // namespace regex_detail

struct UnicodeRegex::Node {
  enum Kind : uint8_t {
    Set, Seq, Alt, Repeat, LookAhead, Atomic, LineStart, LineEnd,
    TextStart, TextEnd, TextEndOrFinalNewline
  } kind;
  // Set
  std::vector<regex_detail::SetItem> items;
  bool negated = false;
  // Seq, Alt: children; Repeat, LookAhead, Atomic: children[0]
  std::vector<const Node *> children;
  uint32_t min = 0, max = 0;
  enum Mode : uint8_t { Greedy, Lazy, Possessive } mode = Greedy;
  bool negativeLook = false;

  bool matches(uint32_t cp, uint8_t cat) const {
    bool in = false;
    using regex_detail::SetItem;
    for (const SetItem &it : items) {
      bool m = false;
      switch (it.kind) {
      case SetItem::Range:
        m = cp >= it.lo && cp <= it.hi;
        break;
      case SetItem::Categories:
        m = (it.mask >> cat) & 1;
        break;
      case SetItem::Space:
        m = (cp >= 0x9 && cp <= 0xD) || cp == 0x85 ||
            cat == uint8_t(unicode::GeneralCategory::Zs) ||
            cat == uint8_t(unicode::GeneralCategory::Zl) ||
            cat == uint8_t(unicode::GeneralCategory::Zp);
        break;
      case SetItem::AnyButNewline:
        m = cp != '\n';
        break;
      }
      if (m != it.negated) {
        in = true;
        break;
      }
    }
    return in != negated;
  }
};

using Node = UnicodeRegex::Node;

} // namespace dsv4c

#endif
