//===- Tokenizer.cpp - byte-level BPE from a HF tokenizer.json ------------===//
//
// Encoding and decoding; reading tokenizer.json is in TokenizerLoad.cpp.
//
//===----------------------------------------------------------------------===//
#include "runtime/Tokenizer.h"

#include "runtime/UnicodeTables.h"
#include "runtime/Utf8.h"

#include <algorithm>
#include <iterator>
#include <queue>

namespace dsv4c {

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

const std::string &Tokenizer::tokenString(int32_t id) const {
  static const std::string empty;
  if (id < 0 || size_t(id) >= idToToken.size() || !idToToken[id].present)
    return empty;
  return idToToken[id].text;
}

int32_t Tokenizer::tokenId(std::string_view token) const {
  if (token.empty())
    return -1;
  for (const AddedToken &a : addedTokens)
    if (a.content == token)
      return a.id;
  auto it = vocab.find(std::string(token));
  return it == vocab.end() ? -1 : it->second;
}

bool Tokenizer::isSpecial(int32_t id) const {
  return id >= 0 && size_t(id) < idToToken.size() && idToToken[id].special;
}

void Tokenizer::Trie::insert(const std::string &s, int32_t token) {
  uint32_t n = 0;
  for (unsigned char c : s) {
    auto it = nodes[n].next.find(c);
    if (it == nodes[n].next.end()) {
      nodes.emplace_back();
      uint32_t child = uint32_t(nodes.size() - 1);
      nodes[n].next[c] = child;
      n = child;
    } else {
      n = it->second;
    }
  }
  if (nodes[n].token < 0)
    nodes[n].token = token;
}

int32_t Tokenizer::Trie::longestAt(std::string_view text, size_t i,
                                   size_t &len) const {
  int32_t best = -1;
  uint32_t n = 0;
  for (size_t j = i; j < text.size(); ++j) {
    auto it = nodes[n].next.find(static_cast<unsigned char>(text[j]));
    if (it == nodes[n].next.end())
      break;
    n = it->second;
    if (nodes[n].token >= 0) {
      best = nodes[n].token;
      len = j + 1 - i;
    }
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

void Tokenizer::splitAdded(std::string_view text, const Trie &trie,
                           std::vector<Segment> &segments) const {
  // Leftmost-longest matches; lstrip/rstrip widen a match over white space
  // (never into the previous match).
  auto spaceBefore = [&](size_t i) -> size_t {
    size_t k = i;
    while (k > 0) {
      size_t start = k - 1;
      while (start > 0 && (uint8_t(text[start]) & 0xC0) == 0x80)
        --start;
      size_t len;
      if (!unicode::isWhiteSpace(utf8::decode(text, start, len)) ||
          start + len != k)
        break;
      k = start;
    }
    return k;
  };
  size_t plain = 0; // start of the pending plain text
  size_t floor = 0; // end of the previous match
  if (trie.nodes.size() == 1 || text.empty()) {
    if (!text.empty())
      segments.push_back({0, text.size(), -1});
    return;
  }
  for (size_t i = 0; i < text.size();) {
    size_t len;
    int32_t t = trie.longestAt(text, i, len);
    if (t < 0) {
      ++i;
      continue;
    }
    const AddedToken &a = addedTokens[t];
    size_t begin = i, end = i + len;
    if (a.lstrip)
      begin = std::max(spaceBefore(begin), floor);
    if (a.rstrip)
      while (end < text.size()) {
        size_t l;
        if (!unicode::isWhiteSpace(utf8::decode(text, end, l)))
          break;
        end += l;
      }
    if (begin > plain)
      segments.push_back({plain, begin, -1});
    segments.push_back({begin, end, a.id});
    plain = floor = i = end;
  }
  if (plain < text.size())
    segments.push_back({plain, text.size(), -1});
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addBos) const {
  std::vector<int32_t> ids;
  if (addBos && bos >= 0)
    ids.push_back(bos);
  std::vector<Segment> first, segments;
  splitAdded(text, rawTrie, first);
  for (const Segment &s : first) {
    if (s.id >= 0) {
      segments.push_back(s);
      continue;
    }
    size_t before = segments.size();
    splitAdded(text.substr(s.begin, s.end - s.begin), normalizedTrie, segments);
    for (size_t k = before; k < segments.size(); ++k) {
      segments[k].begin += s.begin;
      segments[k].end += s.begin;
    }
  }
  std::vector<std::pair<size_t, size_t>> pieces;
  for (const Segment &s : segments) {
    if (s.id >= 0) {
      ids.push_back(s.id);
      continue;
    }
    pieces.clear();
    pre.split(text.substr(s.begin, s.end - s.begin), s.begin, pieces);
    for (auto [b, e] : pieces)
      bpe(text.substr(b, e - b), ids);
  }
  return ids;
}

void Tokenizer::bpe(std::string_view bytes, std::vector<int32_t> &out) const {
  std::string word;
  word.reserve(bytes.size() * 2);
  for (unsigned char b : bytes)
    word += byteToChar[b];
  if (ignoreMerges)
    if (auto it = vocab.find(word); it != vocab.end()) {
      out.push_back(it->second);
      return;
    }
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (auto it = cache.find(word); it != cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  bpeUncached(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (cache.size() < kCacheCapacity)
    cache.emplace(std::move(word), std::move(ids));
}

void Tokenizer::bpeUncached(const std::string &word,
                            std::vector<int32_t> &out) const {
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool alive;
  };
  std::vector<Symbol> syms;
  // One initial symbol per byte (each byte is one character of `word`).
  for (size_t i = 0; i < word.size();) {
    size_t len;
    utf8::decode(word, i, len);
    auto it = vocab.find(word.substr(i, len));
    i += len;
    int32_t id;
    if (it != vocab.end()) {
      id = it->second;
    } else if (unk >= 0) {
      if (fuseUnk && !syms.empty() && syms.back().id == unk)
        continue;
      id = unk;
    } else {
      continue; // HF drops a character it cannot represent
    }
    int32_t n = int32_t(syms.size());
    syms.push_back({id, n - 1, n + 1, true});
  }
  if (syms.empty())
    return;
  syms.back().next = -1;

  struct Merge {
    uint32_t rank;
    int32_t pos;
    int32_t newId;
    bool operator>(const Merge &o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Merge, std::vector<Merge>, std::greater<Merge>> queue;
  auto pairAt = [&](int32_t pos) {
    int32_t nx = syms[pos].next;
    if (nx < 0)
      return;
    uint64_t key = (uint64_t(uint32_t(syms[pos].id)) << 32) | uint32_t(syms[nx].id);
    if (auto it = merges.find(key); it != merges.end())
      queue.push({it->second.first, pos, it->second.second});
  };
  for (int32_t i = 0; i + 1 < int32_t(syms.size()); ++i)
    pairAt(i);
  while (!queue.empty()) {
    Merge m = queue.top();
    queue.pop();
    Symbol &left = syms[m.pos];
    if (!left.alive || left.next < 0)
      continue;
    Symbol &right = syms[left.next];
    uint64_t key = (uint64_t(uint32_t(left.id)) << 32) | uint32_t(right.id);
    auto it = merges.find(key);
    if (it == merges.end() || it->second.second != m.newId)
      continue; // stale: the pair changed since it was queued
    left.id = m.newId;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0)
      syms[left.next].prev = m.pos;
    if (left.prev >= 0)
      pairAt(left.prev);
    pairAt(m.pos);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next)
    out.push_back(syms[i].id);
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

std::string Tokenizer::decodeBytes(const std::vector<int32_t> &ids,
                                   bool skipSpecialTokens) const {
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || size_t(id) >= idToToken.size() || !idToToken[id].present)
      continue;
    const Entry &e = idToToken[id];
    if (skipSpecialTokens && e.special)
      continue;
    // HF's ByteLevel decoder: map every character back to its byte; a
    // token with a character outside the table is taken as it is.
    size_t mark = out.size();
    bool mapped = true;
    for (size_t i = 0; i < e.text.size();) {
      size_t len;
      uint32_t cp = utf8::decode(e.text, i, len);
      i += len;
      if (cp >= std::size(charToByte) || charToByte[cp] < 0) {
        mapped = false;
        break;
      }
      out += char(charToByte[cp]);
    }
    if (!mapped) {
      out.resize(mark);
      out += e.text;
    }
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids,
                              bool skipSpecialTokens) const {
  return utf8::toValidLossy(decodeBytes(ids, skipSpecialTokens));
}

} // namespace dsv4c
