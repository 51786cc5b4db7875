//===- UnicodeRegexParser.cpp - pattern text to UnicodeRegex tree ---------===//
//
// Recursive descent over the pattern's code points; anything outside the
// subset documented in UnicodeRegex.h is an error naming its offset.
//
//===----------------------------------------------------------------------===//
#include "runtime/UnicodeRegexNode.h"

#include "runtime/Utf8.h"

#include <cctype>

namespace dsv4c {

using unicode::GeneralCategory;
using regex_detail::SetItem;
using regex_detail::kMaxRepeat;

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

class RegexParser {
public:
  RegexParser(std::string_view p, UnicodeRegex &re) : re(re) {
    text = CodePointText::decode(p);
  }

  bool parse(std::string &error) {
    const Node *root = parseAlt(false);
    if (root && pos < text.cps.size())
      fail(text.cps[pos] == ')' ? "unmatched ')'" : "unexpected character");
    if (!err.empty()) {
      error = err;
      return false;
    }
    re.root = root;
    return true;
  }

private:
  UnicodeRegex &re;
  CodePointText text;
  size_t pos = 0;
  std::string err;

  Node *make(Node::Kind k) {
    re.nodes.push_back(std::make_unique<Node>());
    re.nodes.back()->kind = k;
    return re.nodes.back().get();
  }
  std::nullptr_t fail(const std::string &what) {
    if (err.empty()) {
      size_t off = pos < text.offsets.size() ? text.offsets[pos] : 0;
      err = "at offset " + std::to_string(off) + ": " + what;
    }
    return nullptr;
  }
  bool atEnd() const { return pos >= text.cps.size(); }
  uint32_t peek(size_t k = 0) const {
    return pos + k < text.cps.size() ? text.cps[pos + k] : 0xFFFFFFFFu;
  }

  const Node *parseAlt(bool ci) {
    std::vector<const Node *> alts;
    while (true) {
      const Node *s = parseSeq(ci);
      if (!s)
        return nullptr;
      alts.push_back(s);
      if (peek() != '|')
        break;
      ++pos;
    }
    if (alts.size() == 1)
      return alts[0];
    Node *n = make(Node::Alt);
    n->children = std::move(alts);
    return n;
  }

  const Node *parseSeq(bool ci) {
    Node *seq = make(Node::Seq);
    while (!atEnd() && peek() != '|' && peek() != ')') {
      const Node *atom = parseAtom(ci);
      if (!atom)
        return nullptr;
      const Node *q = parseQuantifier(atom);
      if (!q)
        return nullptr;
      seq->children.push_back(q);
    }
    if (seq->children.size() == 1)
      return seq->children[0];
    return seq;
  }

  bool readNumber(uint32_t &v) {
    if (peek() < '0' || peek() > '9')
      return false;
    uint64_t x = 0;
    while (peek() >= '0' && peek() <= '9') {
      x = x * 10 + (peek() - '0');
      if (x > 100000)
        return false;
      ++pos;
    }
    v = uint32_t(x);
    return true;
  }

  /// {n} {n,} {n,m} {,m}; leaves pos unchanged and returns false when the
  /// brace does not start an interval (Oniguruma then reads it literally).
  bool parseInterval(uint32_t &mn, uint32_t &mx) {
    size_t save = pos;
    ++pos; // '{'
    bool hasMin = readNumber(mn);
    if (!hasMin)
      mn = 0;
    if (peek() == '}' && hasMin) {
      ++pos;
      mx = mn;
      return true;
    }
    if (peek() == ',') {
      ++pos;
      if (!readNumber(mx))
        mx = kMaxRepeat;
      if (peek() == '}' && (hasMin || mx != kMaxRepeat)) {
        ++pos;
        return true;
      }
    }
    pos = save;
    return false;
  }

  const Node *parseQuantifier(const Node *atom) {
    while (true) {
      uint32_t mn, mx;
      uint32_t c = peek();
      if (c == '*') {
        mn = 0, mx = kMaxRepeat, ++pos;
      } else if (c == '+') {
        mn = 1, mx = kMaxRepeat, ++pos;
      } else if (c == '?') {
        mn = 0, mx = 1, ++pos;
      } else if (c == '{' && parseInterval(mn, mx)) {
        if (mn > mx)
          return fail("repeat {n,m} with n > m");
      } else {
        return atom;
      }
      if (atom->kind == Node::LookAhead || atom->kind == Node::LineStart ||
          atom->kind == Node::LineEnd || atom->kind == Node::TextStart ||
          atom->kind == Node::TextEnd ||
          atom->kind == Node::TextEndOrFinalNewline)
        return fail("repeat of an anchor or lookahead is not supported");
      Node *r = make(Node::Repeat);
      r->children = {atom};
      r->min = mn;
      r->max = mx;
      if (peek() == '?') {
        r->mode = Node::Lazy;
        ++pos;
      } else if (peek() == '+' && c != '{') {
        r->mode = Node::Possessive;
        ++pos;
      }
      atom = r;
    }
  }

  Node *singleton(uint32_t cp, bool ci) {
    Node *n = make(Node::Set);
    addLiteral(n->items, cp, ci);
    return n;
  }

  bool addLiteral(std::vector<SetItem> &items, uint32_t cp, bool ci) {
    items.push_back({SetItem::Range, false, cp, cp, 0});
    if (!ci)
      return true;
    if (cp >= 0x80)
      return fail("case-insensitive matching of a non-ASCII literal is "
                  "not supported"),
             false;
    uint32_t lower = cp | 0x20;
    if (lower >= 'a' && lower <= 'z') {
      items.push_back({SetItem::Range, false, lower & ~0x20u, lower & ~0x20u, 0});
      items.push_back({SetItem::Range, false, lower, lower, 0});
      // Oniguruma's Unicode case folding also pairs these with ASCII.
      if (lower == 's')
        items.push_back({SetItem::Range, false, 0x17F, 0x17F, 0});
      if (lower == 'k')
        items.push_back({SetItem::Range, false, 0x212A, 0x212A, 0});
    }
    return true;
  }

  const Node *parseGroup(bool ci) {
    ++pos; // '('
    Node::Kind kind = Node::Seq;
    bool negLook = false, innerCi = ci;
    if (peek() == '?') {
      uint32_t c = peek(1);
      if (c == ':') {
        pos += 2;
      } else if (c == '=' || c == '!') {
        kind = Node::LookAhead;
        negLook = c == '!';
        pos += 2;
      } else if (c == '>') {
        kind = Node::Atomic;
        pos += 2;
      } else if (c == 'i' && peek(2) == ':') {
        innerCi = true;
        pos += 3;
      } else if (c == '-' && peek(2) == 'i' && peek(3) == ':') {
        innerCi = false;
        pos += 4;
      } else if (c == '<' && (peek(2) == '=' || peek(2) == '!')) {
        return fail("lookbehind is not supported");
      } else {
        return fail("unsupported group syntax '(?" +
                    (c < 0x80 ? std::string(1, char(c)) : std::string("...")) +
                    "' (only (?: (?i: (?-i: (?= (?! (?> are)");
      }
    }
    const Node *inner = parseAlt(innerCi);
    if (!inner)
      return nullptr;
    if (peek() != ')')
      return fail("missing ')'");
    ++pos;
    if (kind == Node::Seq)
      return inner;
    Node *n = make(kind);
    n->children = {inner};
    n->negativeLook = negLook;
    return n;
  }

  bool hexDigits(size_t maxDigits, uint32_t &v) {
    size_t k = 0;
    v = 0;
    while (k < maxDigits) {
      uint32_t c = peek();
      uint32_t d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        break;
      v = v * 16 + d;
      if (v > 0x10FFFF)
        return fail("code point above U+10FFFF"), false;
      ++pos, ++k;
    }
    return k > 0 || (fail("expected hex digits"), false);
  }

  /// \p{...} after the 'p'/'P'; adds one Categories item.
  bool parseProperty(std::vector<SetItem> &items, bool negated) {
    if (peek() != '{')
      return fail("expected '{' after \\p"), false;
    ++pos;
    if (peek() == '^') {
      negated = !negated;
      ++pos;
    }
    std::string name;
    while (!atEnd() && peek() != '}') {
      if (peek() >= 0x80)
        return fail("bad property name"), false;
      name += char(peek());
      ++pos;
    }
    if (atEnd())
      return fail("missing '}' after property name"), false;
    ++pos;
    uint32_t mask = propertyMask(name);
    if (!mask)
      return fail("unsupported Unicode property \\p{" + name +
                  "} (only General_Category values are)"),
             false;
    items.push_back({SetItem::Categories, negated, 0, 0, mask});
    return true;
  }

  static uint32_t propertyMask(const std::string &name) {
    using G = GeneralCategory;
    auto bits = [](std::initializer_list<G> cs) {
      uint32_t m = 0;
      for (G c : cs)
        m |= unicode::categoryBit(c);
      return m;
    };
    static const char *const kShort[] = {
        "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd",
        "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm",
        "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
    for (int i = 0; i < unicode::kNumGeneralCategories; ++i)
      if (name == kShort[i])
        return 1u << i;
    if (name == "L" || name == "Letter")
      return bits({G::Lu, G::Ll, G::Lt, G::Lm, G::Lo});
    if (name == "M" || name == "Mark")
      return bits({G::Mn, G::Mc, G::Me});
    if (name == "N" || name == "Number")
      return bits({G::Nd, G::Nl, G::No});
    if (name == "P" || name == "Punctuation")
      return bits({G::Pc, G::Pd, G::Ps, G::Pe, G::Pi, G::Pf, G::Po});
    if (name == "S" || name == "Symbol")
      return bits({G::Sm, G::Sc, G::Sk, G::So});
    if (name == "Z" || name == "Separator")
      return bits({G::Zs, G::Zl, G::Zp});
    if (name == "C" || name == "Other")
      return bits({G::Cc, G::Cf, G::Cs, G::Co, G::Cn});
    return 0;
  }

  /// After a backslash. Adds set items to `items` (when `inClass` or the
  /// escape is a class) or sets `anchor`. Returns false on error.
  bool parseEscape(std::vector<SetItem> &items, bool inClass, bool ci,
                   Node::Kind &anchor, bool &isAnchor) {
    isAnchor = false;
    if (atEnd())
      return fail("trailing backslash"), false;
    uint32_t c = peek();
    ++pos;
    auto lit = [&](uint32_t cp) { return addLiteral(items, cp, ci); };
    switch (c) {
    case 'r': return lit('\r');
    case 'n': return lit('\n');
    case 't': return lit('\t');
    case 'f': return lit('\f');
    case 'v': return lit('\v');
    case 'a': return lit('\a');
    case 'e': return lit(0x1B);
    case '0': return lit(0);
    case 's':
    case 'S':
      items.push_back({SetItem::Space, c == 'S', 0, 0, 0});
      return true;
    case 'd':
    case 'D':
      items.push_back({SetItem::Categories, c == 'D', 0, 0,
                       unicode::categoryBit(GeneralCategory::Nd)});
      return true;
    case 'p':
    case 'P':
      return parseProperty(items, c == 'P');
    case 'x': {
      uint32_t v;
      if (peek() == '{') {
        ++pos;
        if (!hexDigits(8, v))
          return false;
        if (peek() != '}')
          return fail("missing '}' in \\x{...}"), false;
        ++pos;
      } else if (!hexDigits(2, v)) {
        return false;
      }
      return lit(v);
    }
    case 'u': {
      size_t save = pos;
      uint32_t v;
      if (!hexDigits(4, v) || pos - save != 4)
        return fail("\\u needs four hex digits"), false;
      return lit(v);
    }
    case 'A':
    case 'z':
    case 'Z':
      if (inClass)
        break;
      isAnchor = true;
      anchor = c == 'A' ? Node::TextStart
                        : c == 'z' ? Node::TextEnd : Node::TextEndOrFinalNewline;
      return true;
    default:
      if (c < 0x80 && !isalnum(int(c)))
        return lit(c);
      break;
    }
    pos -= 2; // report the backslash
    std::string shown = c < 0x80 ? std::string(1, char(c)) : "<non-ASCII>";
    return fail("unsupported escape '\\" + shown + "'"), false;
  }

  const Node *parseClass(bool ci) {
    if (ci)
      return fail("case-insensitive character classes are not supported");
    ++pos; // '['
    Node *n = make(Node::Set);
    if (peek() == '^') {
      n->negated = true;
      ++pos;
    }
    bool first = true;
    while (true) {
      if (atEnd())
        return fail("missing ']'");
      uint32_t c = peek();
      if (c == ']' && !first) {
        ++pos;
        return n;
      }
      first = false;
      if (c == '[')
        return fail("nested character classes are not supported");
      if (c == '&' && peek(1) == '&')
        return fail("'&&' in character classes is not supported");
      // One member: a single code point (possibly the start of a range) or
      // an escape that is itself a class.
      uint32_t lo;
      if (c == '\\') {
        ++pos;
        std::vector<SetItem> tmp;
        Node::Kind a;
        bool isAnchor;
        if (!parseEscape(tmp, true, false, a, isAnchor))
          return nullptr;
        if (tmp.size() != 1 || tmp[0].kind != SetItem::Range) {
          n->items.insert(n->items.end(), tmp.begin(), tmp.end());
          if (peek() == '-' && peek(1) != ']')
            return fail("a range cannot start at a class escape");
          continue;
        }
        lo = tmp[0].lo;
      } else {
        lo = c;
        ++pos;
      }
      uint32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos + 1 < text.cps.size()) {
        ++pos;
        uint32_t d = peek();
        if (d == '[')
          return fail("nested character classes are not supported");
        if (d == '\\') {
          ++pos;
          std::vector<SetItem> tmp;
          Node::Kind a;
          bool isAnchor;
          if (!parseEscape(tmp, true, false, a, isAnchor))
            return nullptr;
          if (tmp.size() != 1 || tmp[0].kind != SetItem::Range)
            return fail("a range cannot end at a class escape");
          hi = tmp[0].lo;
        } else {
          hi = d;
          ++pos;
        }
        if (hi < lo)
          return fail("character class range out of order");
      }
      n->items.push_back({SetItem::Range, false, lo, hi, 0});
    }
  }

  const Node *parseAtom(bool ci) {
    uint32_t c = peek();
    switch (c) {
    case '(':
      return parseGroup(ci);
    case '[':
      return parseClass(ci);
    case '.': {
      ++pos;
      Node *n = make(Node::Set);
      n->items.push_back({SetItem::AnyButNewline, false, 0, 0, 0});
      return n;
    }
    case '^':
      ++pos;
      return make(Node::LineStart);
    case '$':
      ++pos;
      return make(Node::LineEnd);
    case '*':
    case '+':
    case '?':
      return fail("repeat with nothing to repeat");
    case '\\': {
      ++pos;
      Node *n = make(Node::Set);
      Node::Kind a;
      bool isAnchor;
      if (!parseEscape(n->items, false, ci, a, isAnchor))
        return nullptr;
      if (isAnchor)
        n->kind = a;
      return n;
    }
    default:
      if (c >= utf8::kInvalidByteBase)
        return fail("pattern is not valid UTF-8");
      ++pos;
      return singleton(c, ci);
    }
  }
};


std::unique_ptr<UnicodeRegex> UnicodeRegex::compile(std::string_view pattern,
                                                    std::string &error) {
  std::unique_ptr<UnicodeRegex> re(new UnicodeRegex());
  re->source.assign(pattern);
  RegexParser p(pattern, *re);
  if (!p.parse(error))
    return nullptr;
  return re;
}

} // namespace dsv4c
