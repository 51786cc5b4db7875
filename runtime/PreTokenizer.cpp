//===- PreTokenizer.cpp - HF pre-tokenizer splits for byte-level BPE ------===//
#include "runtime/PreTokenizer.h"

#include "runtime/TokenizerJson.h"

#include <algorithm>

namespace dsv4c {
namespace {
/// The split HF's ByteLevel pre-tokenizer applies when use_regex is true.
const char kGpt2Pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

/// A regex matching `s` literally.
std::string escapeLiteral(const std::string &s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z')))
      out += '\\';
    out += c;
  }
  return out;
}

bool readBool(const tokjson::Value &obj, const char *key, bool dflt,
              const std::string &where, bool &out, std::string &error) {
  const tokjson::Value *v = obj.find(key);
  if (!v || v->isNull()) {
    out = dflt;
    return true;
  }
  if (!v->isBool()) {
    error = where + "." + key + ": expected a boolean, found " + v->kindName();
    return false;
  }
  out = v->boolean;
  return true;
}

struct Span {
  size_t begin, end;
  bool isMatch;
};
} // namespace

bool PreTokenizer::addSplitFromJson(const tokjson::Value &v,
                                    const std::string &where,
                                    std::string &error) {
  const tokjson::Value *pat = v.find("pattern");
  if (!pat || !pat->isObject()) {
    error = where + ".pattern: expected an object {\"Regex\": ...} or "
                    "{\"String\": ...}";
    return false;
  }
  std::string regex;
  if (const tokjson::Value *r = pat->find("Regex"); r && r->isString()) {
    regex = r->text;
  } else if (const tokjson::Value *s = pat->find("String"); s && s->isString()) {
    regex = escapeLiteral(s->text);
  } else {
    error = where + ".pattern: expected a string member \"Regex\" or \"String\"";
    return false;
  }
  Split split;
  std::string reError;
  split.regex = UnicodeRegex::compile(regex, reError);
  if (!split.regex) {
    error = where + ".pattern: unsupported or invalid regex " + reError +
            " in \"" + regex + "\"";
    return false;
  }
  const tokjson::Value *b = v.find("behavior");
  if (!b || !b->isString()) {
    error = where + ".behavior: expected a string";
    return false;
  }
  static const std::pair<const char *, Behavior> kBehaviors[] = {
      {"Removed", Behavior::Removed},
      {"Isolated", Behavior::Isolated},
      {"MergedWithPrevious", Behavior::MergedWithPrevious},
      {"MergedWithNext", Behavior::MergedWithNext},
      {"Contiguous", Behavior::Contiguous}};
  bool known = false;
  for (auto &[name, beh] : kBehaviors)
    if (b->text == name) {
      split.behavior = beh;
      known = true;
    }
  if (!known) {
    error = where + ".behavior: unknown behavior \"" + b->text + "\"";
    return false;
  }
  if (!readBool(v, "invert", false, where, split.invert, error))
    return false;
  splits.push_back(std::move(split));
  return true;
}

bool PreTokenizer::addByteLevelFromJson(const tokjson::Value &v,
                                        const std::string &where,
                                        std::string &error) {
  bool prefix, useRegex;
  // HF's defaults: add_prefix_space and use_regex are true when absent.
  if (!readBool(v, "add_prefix_space", true, where, prefix, error) ||
      !readBool(v, "use_regex", true, where, useRegex, error))
    return false;
  if (prefix) {
    error = where + ".add_prefix_space: true is not supported (DeepSeek "
                    "uses false)";
    return false;
  }
  if (useRegex) {
    Split split;
    std::string reError;
    split.regex = UnicodeRegex::compile(kGpt2Pattern, reError);
    splits.push_back(std::move(split));
  }
  return true;
}

bool PreTokenizer::configure(const tokjson::Value &v, std::string &error) {
  splits.clear();
  const std::string root = "pre_tokenizer";
  if (!v.isObject()) {
    error = root + ": expected an object, found " + v.kindName() +
            " (byte-level BPE needs a ByteLevel pre-tokenizer)";
    return false;
  }
  std::vector<std::pair<const tokjson::Value *, std::string>> steps;
  const tokjson::Value *type = v.find("type");
  if (type && type->isString() && type->text == "Sequence") {
    const tokjson::Value *list = v.find("pretokenizers");
    if (!list || !list->isArray()) {
      error = root + ".pretokenizers: expected an array";
      return false;
    }
    for (size_t i = 0; i < list->items.size(); ++i)
      steps.push_back({&list->items[i],
                       root + ".pretokenizers[" + std::to_string(i) + "]"});
  } else {
    steps.push_back({&v, root});
  }
  bool sawByteLevel = false;
  for (auto &[step, where] : steps) {
    const tokjson::Value *t = step->isObject() ? step->find("type") : nullptr;
    if (!t || !t->isString()) {
      error = where + ".type: expected a string";
      return false;
    }
    if (sawByteLevel) {
      error = where + ": a " + t->text + " after ByteLevel is not supported";
      return false;
    }
    if (t->text == "Split") {
      if (!addSplitFromJson(*step, where, error))
        return false;
    } else if (t->text == "ByteLevel") {
      if (!addByteLevelFromJson(*step, where, error))
        return false;
      sawByteLevel = true;
    } else {
      error = where + ".type: pre-tokenizer \"" + t->text +
              "\" is not supported (only Split, ByteLevel and Sequence are)";
      return false;
    }
  }
  if (!sawByteLevel) {
    error = root + ": no ByteLevel pre-tokenizer (only byte-level BPE is "
                   "supported)";
    return false;
  }
  return true;
}

void PreTokenizer::split(std::string_view text, size_t base,
                         std::vector<std::pair<size_t, size_t>> &pieces) const {
  if (text.empty())
    return;
  CodePointText t = CodePointText::decode(text);
  // Pieces as code point index ranges.
  std::vector<std::pair<size_t, size_t>> cur = {{0, t.cps.size()}}, next;
  std::vector<Span> spans, merged;
  for (const Split &sp : splits) {
    next.clear();
    for (auto [a, b] : cur) {
      // HF's find_matches over onig's find_iter: an empty match right where
      // the previous match ended is skipped by advancing one code point.
      spans.clear();
      size_t prev = a, from = a;
      bool haveLast = false;
      size_t lastEnd = 0;
      size_t ms, me;
      while (from <= b && sp.regex->search(t, a, b, from, ms, me)) {
        if (ms == me && haveLast && lastEnd == me) {
          from = me + 1;
          continue;
        }
        from = me;
        haveLast = true;
        lastEnd = me;
        if (prev != ms)
          spans.push_back({prev, ms, false});
        spans.push_back({ms, me, true});
        prev = me;
      }
      if (prev != b)
        spans.push_back({prev, b, false});
      if (sp.invert)
        for (Span &s : spans)
          s.isMatch = !s.isMatch;

      merged.clear();
      bool previousMatch = false;
      switch (sp.behavior) {
      case Behavior::Isolated:
        merged = spans;
        break;
      case Behavior::Removed:
        for (const Span &s : spans)
          if (!s.isMatch)
            merged.push_back(s);
        break;
      case Behavior::MergedWithPrevious:
        for (const Span &s : spans) {
          if (s.isMatch && !previousMatch && !merged.empty())
            merged.back().end = s.end;
          else
            merged.push_back(s);
          previousMatch = s.isMatch;
        }
        break;
      case Behavior::MergedWithNext:
        for (size_t i = spans.size(); i-- > 0;) {
          const Span &s = spans[i];
          if (s.isMatch && !previousMatch && !merged.empty())
            merged.back().begin = s.begin;
          else
            merged.push_back(s);
          previousMatch = s.isMatch;
        }
        std::reverse(merged.begin(), merged.end());
        break;
      case Behavior::Contiguous:
        for (const Span &s : spans) {
          if (s.isMatch == previousMatch && !merged.empty())
            merged.back().end = s.end;
          else
            merged.push_back(s);
          previousMatch = s.isMatch;
        }
        break;
      }
      for (const Span &s : merged)
        if (s.begin != s.end)
          next.push_back({s.begin, s.end});
    }
    cur.swap(next);
  }
  for (auto [a, b] : cur)
    pieces.push_back({base + t.offsets[a], base + t.offsets[b]});
}

} // namespace dsv4c
