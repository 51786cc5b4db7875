//===- UnicodeRegex.cpp - small backtracking regex over code points -------===//
//
// The parser (UnicodeRegexParser.cpp) turns the pattern into a tree;
// matching is recursive backtracking with explicit continuation frames, so
// alternation and repeats try their options in Oniguruma's order. A repeat of a single character class (all
// that the tokenizer patterns use) runs as a loop, not as recursion, so
// long runs of text do not deepen the stack.
//
//===----------------------------------------------------------------------===//
#include "runtime/UnicodeRegexNode.h"

#include "runtime/UnicodeTables.h"
#include "runtime/Utf8.h"

namespace dsv4c {


CodePointText CodePointText::decode(std::string_view text) {
  CodePointText t;
  t.cps.reserve(text.size());
  t.cats.reserve(text.size());
  t.offsets.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size();) {
    size_t len;
    uint32_t cp = utf8::decode(text, i, len);
    t.cps.push_back(cp);
    t.cats.push_back(uint8_t(unicode::generalCategory(cp)));
    t.offsets.push_back(i);
    i += len;
  }
  t.offsets.push_back(text.size());
  return t;
}

using Node = UnicodeRegex::Node;

UnicodeRegex::~UnicodeRegex() = default;

//===----------------------------------------------------------------------===//
// Matcher
//===----------------------------------------------------------------------===//

namespace {
/// What remains to match after the current node.
struct Frame {
  enum Kind : uint8_t { SeqRest, RepeatNext, Accept } kind;
  const Node *node = nullptr;
  uint32_t index = 0;    // SeqRest: next child; RepeatNext: iterations done
  size_t start = 0;      // RepeatNext: where the iteration began
  size_t *out = nullptr; // Accept: receives the end position
  const Frame *next = nullptr;
};

class Matcher {
public:
  Matcher(const CodePointText &t, size_t begin, size_t end)
      : cps(t.cps.data()), cats(t.cats.data()), begin(begin), end(end) {}

  bool run(const Node *n, size_t i, const Frame *k) const {
    switch (n->kind) {
    case Node::Set:
      return i < end && n->matches(cps[i], cats[i]) && cont(k, i + 1);
    case Node::Seq:
      return runSeq(n, 0, i, k);
    case Node::Alt:
      for (const Node *c : n->children)
        if (run(c, i, k))
          return true;
      return false;
    case Node::Repeat:
      if (n->children[0]->kind == Node::Set)
        return repeatSet(n, i, k);
      if (n->mode == Node::Possessive)
        return repeatPossessive(n, i, k);
      return repeat(n, 0, i, k);
    case Node::LookAhead: {
      size_t e;
      Frame acc{Frame::Accept, nullptr, 0, 0, &e, nullptr};
      bool found = run(n->children[0], i, &acc);
      return found != n->negativeLook && cont(k, i);
    }
    case Node::Atomic: {
      size_t e;
      Frame acc{Frame::Accept, nullptr, 0, 0, &e, nullptr};
      return run(n->children[0], i, &acc) && cont(k, e);
    }
    case Node::LineStart:
      return (i == begin || cps[i - 1] == '\n') && cont(k, i);
    case Node::LineEnd:
      return (i == end || cps[i] == '\n') && cont(k, i);
    case Node::TextStart:
      return i == begin && cont(k, i);
    case Node::TextEnd:
      return i == end && cont(k, i);
    case Node::TextEndOrFinalNewline:
      return (i == end || (i + 1 == end && cps[i] == '\n')) && cont(k, i);
    }
    return false;
  }

  bool cont(const Frame *k, size_t i) const {
    switch (k->kind) {
    case Frame::Accept:
      *k->out = i;
      return true;
    case Frame::SeqRest:
      return runSeq(k->node, k->index, i, k->next);
    case Frame::RepeatNext:
      // An empty iteration past the minimum would loop forever: stop.
      if (i == k->start && k->index > k->node->min)
        return false;
      return repeat(k->node, k->index, i, k->next);
    }
    return false;
  }

private:
  const uint32_t *cps;
  const uint8_t *cats;
  size_t begin, end;

  bool runSeq(const Node *n, uint32_t idx, size_t i, const Frame *k) const {
    if (idx == n->children.size())
      return cont(k, i);
    if (idx + 1 == n->children.size())
      return run(n->children[idx], i, k);
    Frame f{Frame::SeqRest, n, idx + 1, 0, nullptr, k};
    return run(n->children[idx], i, &f);
  }

  bool repeatSet(const Node *n, size_t i, const Frame *k) const {
    const Node *set = n->children[0];
    size_t avail = end - i;
    size_t limit = n->max < avail ? n->max : avail;
    size_t run = 0;
    if (n->mode == Node::Lazy) {
      for (; run < n->min; ++run)
        if (run >= limit || !set->matches(cps[i + run], cats[i + run]))
          return false;
      while (true) {
        if (cont(k, i + run))
          return true;
        if (run >= limit || !set->matches(cps[i + run], cats[i + run]))
          return false;
        ++run;
      }
    }
    while (run < limit && set->matches(cps[i + run], cats[i + run]))
      ++run;
    if (run < n->min)
      return false;
    if (n->mode == Node::Possessive)
      return cont(k, i + run);
    for (size_t r = run + 1; r-- > n->min;)
      if (cont(k, i + r))
        return true;
    return false;
  }

  bool repeatPossessive(const Node *n, size_t i, const Frame *k) const {
    uint32_t count = 0;
    while (count < n->max) {
      size_t e;
      Frame acc{Frame::Accept, nullptr, 0, 0, &e, nullptr};
      if (!run(n->children[0], i, &acc) || e == i)
        break;
      i = e;
      ++count;
    }
    return count >= n->min && cont(k, i);
  }

  bool repeat(const Node *n, uint32_t count, size_t i, const Frame *k) const {
    bool canMore = count < n->max, canStop = count >= n->min;
    Frame f{Frame::RepeatNext, n, count + 1, i, nullptr, k};
    if (n->mode == Node::Lazy) {
      if (canStop && cont(k, i))
        return true;
      return canMore && run(n->children[0], i, &f);
    }
    if (canMore && run(n->children[0], i, &f))
      return true;
    return canStop && cont(k, i);
  }
};
} // namespace

bool UnicodeRegex::search(const CodePointText &text, size_t begin, size_t end,
                          size_t from, size_t &matchBegin,
                          size_t &matchEnd) const {
  Matcher m(text, begin, end);
  for (size_t s = from; s <= end; ++s) {
    size_t e;
    Frame acc{Frame::Accept, nullptr, 0, 0, &e, nullptr};
    if (m.run(root, s, &acc)) {
      matchBegin = s;
      matchEnd = e;
      return true;
    }
  }
  return false;
}

} // namespace dsv4c
