//===- Tokenizer.h - byte-level BPE from a HF tokenizer.json ---*- C++ -*-===//
//
// Encodes and decodes like HF `tokenizers` does for DeepSeek V3/V4's
// tokenizer.json (standard library only):
//
//   1. added_tokens are cut out first, never split: those with
//      "normalized": false first, then the others (HF's two passes), each
//      pass leftmost-longest; lstrip/rstrip absorb neighbouring white space.
//      HF matches every added token, special or not, and so do we.
//   2. the rest goes through the pre_tokenizer (PreTokenizer.h): DeepSeek's
//      Sequence of three Isolated Splits and a ByteLevel without regex;
//   3. each piece's bytes are mapped through GPT-2's byte-to-unicode table
//      and merged by BPE (lowest merge rank first, leftmost on ties), with a
//      cache. A character missing from the vocab becomes unk_token if there
//      is one and is dropped otherwise, as HF does.
//
// Supported: normalizer null or an empty Sequence; model BPE with
// merges as "a b" strings or ["a", "b"] pairs, ignore_merges, unk_token,
// fuse_unk; decoder ByteLevel. Anything else is a load error that names the
// file and the field.
//
// bosId()/eosId() come from a tokenizer_config.json next to the file
// ("bos_token"/"eos_token", a string or {"content": ...}) when there is one,
// else from the usual names (<｜begin▁of▁sentence｜>, <s>, ...); -1 if none.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_TOKENIZER_H
#define DSV4C_RUNTIME_TOKENIZER_H

#include "runtime/PreTokenizer.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dsv4c {

class Tokenizer {
public:
  /// nullptr on failure, with `error` naming the file and the field.
  static std::unique_ptr<Tokenizer> load(const std::string &tokenizerJsonPath,
                                         std::string &error);
  /// Same, from the text of a tokenizer.json; `name` stands for the file in
  /// messages. The text of tokenizer_config.json (BOS/EOS) is `configText`
  /// when given, else read from `name`'s directory if there.
  static std::unique_ptr<Tokenizer>
  loadFromString(std::string_view json, const std::string &name,
                 std::string &error,
                 const std::string *configText = nullptr);

  /// Token ids of `text` (any bytes; ill-formed UTF-8 still round-trips),
  /// preceded by bosId() when `addBos` and there is a BOS token.
  std::vector<int32_t> encode(std::string_view text, bool addBos) const;

  /// The text of `ids` as valid UTF-8: ill-formed or incomplete byte
  /// sequences (a token boundary inside a character) become U+FFFD, as HF
  /// does. Unknown ids are skipped.
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecialTokens = false) const;
  /// The raw bytes of `ids`, possibly ending inside a UTF-8 sequence: for
  /// streaming, emit utf8::completePrefixLength() of it and keep the rest.
  std::string decodeBytes(const std::vector<int32_t> &ids,
                          bool skipSpecialTokens = false) const;

  int32_t bosId() const { return bos; }
  int32_t eosId() const { return eos; }
  /// One more than the largest id (vocab and added tokens).
  size_t vocabSize() const { return idToToken.size(); }

  /// The vocabulary string of `id` (byte-level form), or "" if unknown.
  const std::string &tokenString(int32_t id) const;
  /// The id of a vocabulary or added token string, or -1.
  int32_t tokenId(std::string_view token) const;
  bool isSpecial(int32_t id) const;

private:
  struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool special = false, normalized = false, lstrip = false, rstrip = false;
  };
  struct Trie {
    struct TrieNode {
      std::unordered_map<unsigned char, uint32_t> next;
      int32_t token = -1; // index into addedTokens
    };
    std::vector<TrieNode> nodes{1};
    void insert(const std::string &s, int32_t token);
    /// Longest token starting at text[i], or -1; sets `len`.
    int32_t longestAt(std::string_view text, size_t i, size_t &len) const;
  };
  struct Segment {
    size_t begin, end;
    int32_t id; // an added token's id, or -1 for text to pre-tokenize
  };
  struct Entry {
    std::string text;
    bool present = false, added = false, special = false;
  };

  Tokenizer() = default;
  bool configure(const std::string &name, std::string_view json,
                 std::string &error);
  bool readModel(const tokjson::Value &model, std::string &error);
  bool readAddedTokens(const tokjson::Value &list, std::string &error);
  void findSpecialIds(const std::string &name, const std::string *configText);
  void splitAdded(std::string_view text, const Trie &trie,
                  std::vector<Segment> &segments) const;
  void bpe(std::string_view bytes, std::vector<int32_t> &out) const;
  void bpeUncached(const std::string &word, std::vector<int32_t> &out) const;

  std::unordered_map<std::string, int32_t> vocab;
  std::unordered_map<uint64_t, std::pair<uint32_t, int32_t>> merges;
  std::vector<Entry> idToToken;
  std::vector<AddedToken> addedTokens;
  Trie rawTrie, normalizedTrie;
  PreTokenizer pre;
  std::string byteToChar[256]; // GPT-2 byte-to-unicode, UTF-8 encoded
  int16_t charToByte[324];     // inverse, for code points < 324; -1 if none
  int32_t unk = -1, bos = -1, eos = -1;
  bool ignoreMerges = false, fuseUnk = false;

  static constexpr size_t kCacheCapacity = 10000;
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
};

} // namespace dsv4c

#endif
