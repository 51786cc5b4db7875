//===- TokenizerTestUtil.h - tokenizer.json builders for tests -*- C++ -*-===//
#ifndef DSV4C_TESTS_TOKENIZER_TOKENIZERTESTUTIL_H
#define DSV4C_TESTS_TOKENIZER_TOKENIZERTESTUTIL_H

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace tokenizer_test {

/// DeepSeek V3's pre_tokenizer, as its tokenizer.json spells it.
inline const char *deepseekPreTokenizer() {
  return R"({"type":"Sequence","pretokenizers":[
{"type":"Split","pattern":{"Regex":"\\p{N}{1,3}"},"behavior":"Isolated","invert":false},
{"type":"Split","pattern":{"Regex":"[一-龥぀-ゟ゠-ヿ]+"},"behavior":"Isolated","invert":false},
{"type":"Split","pattern":{"Regex":"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},
{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]})";
}

/// GPT-2's byte-to-unicode map (written independently of the runtime's).
inline std::string byteChar(unsigned char b) {
  unsigned cp = b;
  bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  if (!printable) {
    unsigned n = 0;
    for (unsigned x = 0; x < b; ++x) {
      bool p = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174;
      n += !p;
    }
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

/// The byte-level form of `text`.
inline std::string byteLevel(const std::string &text) {
  std::string s;
  for (unsigned char c : text)
    s += byteChar(c);
  return s;
}

inline std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

struct AddedTok {
  std::string content;
  bool special = true;
  bool normalized = false;
  bool lstrip = false, rstrip = false;
};

/// A byte-level BPE tokenizer.json: ids 0..255 are the byte characters in
/// byte order, then `tokens` (byte-level strings), then `added`.
struct TokJson {
  std::vector<std::string> tokens;
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<AddedTok> added;
  std::string preTokenizer = deepseekPreTokenizer();
  bool mergesAsPairs = false;

  /// Adds a merge of two byte-level strings and its result as a token.
  TokJson &merge(const std::string &a, const std::string &b) {
    merges.push_back({a, b});
    tokens.push_back(a + b);
    return *this;
  }
  int id(const std::string &byteLevelToken) const {
    for (int b = 0; b < 256; ++b)
      if (byteChar(b) == byteLevelToken)
        return b;
    for (size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] == byteLevelToken)
        return int(256 + i);
    for (size_t i = 0; i < added.size(); ++i)
      if (added[i].content == byteLevelToken)
        return int(256 + tokens.size() + i);
    ADD_FAILURE() << "no token " << byteLevelToken;
    return -1;
  }

  std::string build() const {
    std::string vocab, sep;
    for (int b = 0; b < 256; ++b) {
      vocab += sep + jsonString(byteChar(b)) + ":" + std::to_string(b);
      sep = ",";
    }
    for (size_t i = 0; i < tokens.size(); ++i)
      vocab += "," + jsonString(tokens[i]) + ":" + std::to_string(256 + i);
    std::string m;
    sep = "";
    for (auto &[a, b] : merges) {
      m += sep + (mergesAsPairs ? "[" + jsonString(a) + "," + jsonString(b) + "]"
                                : jsonString(a + " " + b));
      sep = ",";
    }
    std::string at;
    sep = "";
    for (size_t i = 0; i < added.size(); ++i) {
      const AddedTok &a = added[i];
      auto b = [](bool v) { return v ? "true" : "false"; };
      at += sep + "{\"id\":" + std::to_string(256 + tokens.size() + i) +
            ",\"content\":" + jsonString(a.content) +
            ",\"single_word\":false,\"lstrip\":" + b(a.lstrip) +
            ",\"rstrip\":" + b(a.rstrip) + ",\"normalized\":" +
            b(a.normalized) + ",\"special\":" + b(a.special) + "}";
      sep = ",";
    }
    return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
           "\"added_tokens\":[" + at + "],"
           "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[]},"
           "\"pre_tokenizer\":" + preTokenizer + ","
           "\"post_processor\":null,"
           "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,"
           "\"trim_offsets\":true,\"use_regex\":true},"
           "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,"
           "\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,"
           "\"fuse_unk\":false,\"byte_fallback\":false,\"vocab\":{" + vocab +
           "},\"merges\":[" + m + "]}}";
  }
};

/// Writes `content` to a fresh directory under the test temp dir and
/// returns the file's path.
inline std::string writeTemp(const std::string &dir, const std::string &name,
                             const std::string &content) {
  std::string d = testing::TempDir() + "dsv4c_tok_" + dir;
  std::error_code ec;
  std::filesystem::create_directories(d, ec);
  if (ec)
    ADD_FAILURE() << "cannot create " << d << ": " << ec.message();
  std::string path = d + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return path;
}

} // namespace tokenizer_test

#endif
