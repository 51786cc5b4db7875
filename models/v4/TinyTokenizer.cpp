//===- TinyTokenizer.cpp - a small deterministic tokenizer.json -----------===//
#include "models/v4/TinyTokenizer.h"

#include "runtime/Json.h"
#include "runtime/PreTokenizer.h"
#include "runtime/TokenizerJson.h"
#include "runtime/Utf8.h"

#include <climits>
#include <cstdio>
#include <filesystem>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dsv4c::v4 {
namespace {

using J = JsonValue;

/// The training text: plain English prose with some numbers, punctuation,
/// contractions and line breaks, written for this file.
const char *const kTrainingText = R"(The river runs past the old mill and
through the middle of the town. In the morning the water is cold and clear,
and by the afternoon it is warm enough for the children to wade in it. The
people of the town have lived beside the river for a long time, and they
know its moods: quiet in the summer, loud and brown in the spring, and thin
and grey under the ice in the winter.

There is a small market on the square every Saturday. Farmers bring apples,
pears, potatoes, onions and cheese; a baker sells bread that is still warm;
and a woman from the next valley sells honey in glass jars. Prices are
written on slates: 3 apples for 1 coin, a loaf for 2 coins, a jar of honey
for 5 coins. Nobody is in a hurry, and most of the talk is about the weather.

"Will it rain today?" asked the baker.
"I don't think so," said the farmer. "The wind is from the west, and the
sky is clear over the hills. It'll be dry until the evening."
"Then I'll leave the bread outside," said the baker, "and we'll see."

A computer is a machine that follows instructions. The instructions are
called a program, and the person who writes them is called a programmer. A
program reads some input, does some work, and writes some output. For
example, a program may read a list of numbers, add them together, and print
the total. If the list is 1, 2, 3 and 4, the total is 10. Programs are
written in programming languages, and each language has its own rules for
what a correct program looks like.

The weather changes with the seasons. In the spring the days grow longer
and the trees turn green. In the summer the sun is high and the nights are
short. In the autumn the leaves turn yellow, orange and red, and then they
fall. In the winter the days are short, the nights are long, and the ground
is often covered with snow. Each season has its own work: planting in the
spring, tending the fields in the summer, harvesting in the autumn, and
mending tools in the winter.

A good teacher does not only tell students the answer. She asks them
questions, lets them try, and helps them see where they went wrong. When a
student makes a mistake, the teacher says: "That is a good start. What
happens if you try it another way?" In this way the students learn to think
for themselves, and they remember what they have learned for a long time.

The train leaves the station at 7:45 in the morning and arrives in the city
at 9:30. On the way it stops at four small towns. Some passengers read, some
sleep, and some look out of the window at the fields, the farms and the
river. On the return trip, the train leaves the city at 18:15 and is back
home before dark, except in the middle of winter.

Water boils at 100 degrees and freezes at 0 degrees on the Celsius scale.
Light from the sun takes about 8 minutes to reach the earth. The moon goes
around the earth in about 27 days, and the earth goes around the sun in
about 365 days. These are simple facts, but it took people a very long time
to learn them, and each one was found by careful observation and by
thinking about what was seen.

The library is open from Monday to Friday. Anyone may come in, sit at one
of the long tables, and read. There are books about history, science,
music, cooking, travel and many other things. The librarian knows where
every book is, and she is always happy to help a reader who is looking for
something new. "If you can't find it," she says, "ask me, and we'll look
for it together."

It is a quiet evening. The lamps are lit along the street, the shops are
closing, and people are walking home. A dog barks somewhere, a door opens
and closes, and the smell of cooking drifts out of the houses. Soon the
town is dark and still, and the only sound is the river, running on through
the night as it always has.
)";

/// DeepSeek V3's pre-tokenizer Splits, as its tokenizer.json has them (the
/// \r and \n here are the characters themselves).
const char *const kSplits[] = {
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|"
    "[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|"
    "\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
};

constexpr int64_t kMinPairCount = 2;

J preTokenizerJson() {
  J list = J::array();
  for (const char *pattern : kSplits)
    list.push(J::object({{"type", J::string("Split")},
                         {"pattern", J::object({{"Regex", J::string(pattern)}})},
                         {"behavior", J::string("Isolated")},
                         {"invert", J::boolean(false)}}));
  list.push(J::object({{"type", J::string("ByteLevel")},
                       {"add_prefix_space", J::boolean(false)},
                       {"trim_offsets", J::boolean(true)},
                       {"use_regex", J::boolean(false)}}));
  return J::object(
      {{"type", J::string("Sequence")}, {"pretokenizers", std::move(list)}});
}

/// GPT-2's byte-to-unicode table, UTF-8 encoded: printable Latin-1 bytes
/// stand for themselves, the other 68 take U+0100.. in byte order.
std::vector<std::string> byteLevelChars() {
  std::vector<std::string> chars(256);
  uint32_t nextExtra = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    utf8::append(chars[b], printable ? b : nextExtra++);
  }
  return chars;
}

struct Trained {
  std::vector<std::string> tokens; // byte-level strings, by id
  std::vector<std::pair<int32_t, int32_t>> merges;
};

/// BPE on the training text's pre-tokens until `maxTokens` tokens exist or
/// no pair occurs kMinPairCount times.
bool train(int64_t maxTokens, const J &preTokenizer, Trained &out,
           std::string &error) {
  tokjson::Value pv;
  PreTokenizer pre;
  if (!tokjson::parse(writeJson(preTokenizer), pv, error) ||
      !pre.configure(pv, error)) {
    error = "tiny tokenizer: bad built-in pre_tokenizer: " + error;
    return false;
  }
  std::string_view text(kTrainingText);
  std::vector<std::pair<size_t, size_t>> pieces;
  pre.split(text, 0, pieces);
  // Unique words in byte order, so that nothing depends on hashing.
  std::map<std::string, int64_t> counts;
  for (auto [b, e] : pieces)
    ++counts[std::string(text.substr(b, e - b))];
  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> freq;
  for (const auto &[w, n] : counts) {
    words.emplace_back(w.begin(), w.end());
    for (int32_t &c : words.back())
      c = int32_t(uint8_t(c)); // byte b is token b
    freq.push_back(n);
  }

  out.tokens = byteLevelChars();
  std::unordered_map<std::string, int32_t> ids;
  for (int32_t b = 0; b < 256; ++b)
    ids[out.tokens[b]] = b;
  while (int64_t(out.tokens.size()) < maxTokens) {
    std::unordered_map<uint64_t, int64_t> pairCounts;
    for (size_t w = 0; w < words.size(); ++w)
      for (size_t i = 0; i + 1 < words[w].size(); ++i)
        pairCounts[(uint64_t(words[w][i]) << 32) | uint32_t(words[w][i + 1])] +=
            freq[w];
    uint64_t best = 0;
    int64_t bestCount = 0;
    for (auto [key, n] : pairCounts)
      if (n > bestCount || (n == bestCount && key < best)) {
        best = key;
        bestCount = n;
      }
    if (bestCount < kMinPairCount)
      break;
    int32_t a = int32_t(best >> 32), b = int32_t(best & 0xFFFFFFFF);
    // Two merges can spell the same string ("ab"+"c", "a"+"bc"): both map
    // to one id, as HF's trainer does.
    std::string merged = out.tokens[a] + out.tokens[b];
    auto [it, isNew] = ids.try_emplace(merged, int32_t(out.tokens.size()));
    if (isNew)
      out.tokens.push_back(merged);
    out.merges.push_back({a, b});
    for (std::vector<int32_t> &word : words) {
      size_t j = 0;
      for (size_t i = 0; i < word.size(); ++j) {
        if (i + 1 < word.size() && word[i] == a && word[i + 1] == b) {
          word[j] = it->second;
          i += 2;
        } else {
          word[j] = word[i++];
        }
      }
      word.resize(j);
    }
  }
  return true;
}

J addedToken(int64_t id, const std::string &content) {
  return J::object({{"id", J::integer(id)},
                    {"content", J::string(content)},
                    {"single_word", J::boolean(false)},
                    {"lstrip", J::boolean(false)},
                    {"rstrip", J::boolean(false)},
                    {"normalized", J::boolean(false)},
                    {"special", J::boolean(true)}});
}

/// HF's TemplateProcessing that puts BOS before each sequence, as
/// DeepSeek's post_processor does (HF's encode(add_special_tokens=True)).
J bosPostProcessor(int64_t bosId) {
  auto special = [](int typeId) {
    return J::object({{"SpecialToken",
                       J::object({{"id", J::string(kTinyBosToken)},
                                  {"type_id", J::integer(typeId)}})}});
  };
  auto sequence = [](const char *name, int typeId) {
    return J::object({{"Sequence", J::object({{"id", J::string(name)},
                                              {"type_id", J::integer(typeId)}})}});
  };
  return J::object(
      {{"type", J::string("TemplateProcessing")},
       {"single", J::array({special(0), sequence("A", 0)})},
       {"pair", J::array({special(0), sequence("A", 0), special(1),
                          sequence("B", 1)})},
       {"special_tokens",
        J::object({{kTinyBosToken,
                    J::object({{"id", J::string(kTinyBosToken)},
                               {"ids", J::array({J::integer(bosId)})},
                               {"tokens",
                                J::array({J::string(kTinyBosToken)})}})}})}});
}

} // namespace

int64_t tinyTokenizerMaxMerges() {
  Trained t;
  std::string error;
  if (!train(INT32_MAX, preTokenizerJson(), t, error))
    return -1;
  return int64_t(t.merges.size());
}

bool checkTinyTokenizerVocab(int64_t vocabSize, std::string &error) {
  if (vocabSize >= kTinyTokenizerMinVocab && vocabSize <= kTinyTokenizerMaxVocab)
    return true;
  error = "vocab_size " + std::to_string(vocabSize) +
          " does not suit the generated tokenizer: it needs " +
          std::to_string(kTinyTokenizerMinVocab) + " (256 byte tokens, BOS "
          "and EOS) to " + std::to_string(kTinyTokenizerMaxVocab) + " ids";
  return false;
}

bool buildTinyTokenizerJson(int64_t vocabSize, std::string &json,
                            std::string &error) {
  if (!checkTinyTokenizerVocab(vocabSize, error))
    return false;
  J pre = preTokenizerJson();
  Trained t;
  if (!train(vocabSize - 2, pre, t, error))
    return false;

  // Placeholders fill what the text could not, then BOS and EOS.
  std::vector<std::pair<int64_t, std::string>> added;
  for (int64_t id = int64_t(t.tokens.size()); id < vocabSize - 2; ++id)
    added.push_back({id, "<｜place▁holder▁no▁" +
                             std::to_string(id - int64_t(t.tokens.size())) +
                             "｜>"});
  added.push_back({vocabSize - 2, kTinyBosToken});
  added.push_back({vocabSize - 1, kTinyEosToken});

  // Added tokens are in model.vocab too, so HF keeps their ids whatever
  // their order.
  J::Object vocab;
  vocab.reserve(size_t(vocabSize));
  for (size_t id = 0; id < t.tokens.size(); ++id)
    vocab.push_back({t.tokens[id], J::integer(int64_t(id))});
  J addedList = J::array();
  for (const auto &[id, content] : added) {
    vocab.push_back({content, J::integer(id)});
    addedList.push(addedToken(id, content));
  }
  J merges = J::array();
  for (auto [a, b] : t.merges)
    merges.push(J::string(t.tokens[a] + " " + t.tokens[b]));

  J root = J::object(
      {{"version", J::string("1.0")},
       {"truncation", J::null()},
       {"padding", J::null()},
       {"added_tokens", std::move(addedList)},
       {"normalizer", J::object({{"type", J::string("Sequence")},
                                 {"normalizers", J::array()}})},
       {"pre_tokenizer", std::move(pre)},
       {"post_processor", bosPostProcessor(vocabSize - 2)},
       {"decoder", J::object({{"type", J::string("ByteLevel")},
                              {"add_prefix_space", J::boolean(true)},
                              {"trim_offsets", J::boolean(true)},
                              {"use_regex", J::boolean(true)}})},
       {"model", J::object({{"type", J::string("BPE")},
                            {"dropout", J::null()},
                            {"unk_token", J::null()},
                            {"continuing_subword_prefix", J::null()},
                            {"end_of_word_suffix", J::null()},
                            {"fuse_unk", J::boolean(false)},
                            {"byte_fallback", J::boolean(false)},
                            {"vocab", J::object(std::move(vocab))},
                            {"merges", std::move(merges)}})}});
  json = writeJson(root);
  return true;
}

bool writeTinyTokenizer(const std::string &dir, int64_t vocabSize,
                        std::string &error) {
  namespace fs = std::filesystem;
  std::string json;
  if (!buildTinyTokenizerJson(vocabSize, json, error))
    return false;
  std::string path = (fs::path(dir) / "tokenizer.json").string();
  std::FILE *f = std::fopen(path.c_str(), "wb");
  bool ok = f && std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (f && std::fclose(f) != 0)
    ok = false;
  if (!ok) {
    error = path + ": cannot write";
    return false;
  }
  // transformers reads these; our Tokenizer takes bos/eos from it.
  J config = J::object({{"add_bos_token", J::boolean(true)},
                        {"add_eos_token", J::boolean(false)},
                        {"bos_token", J::string(kTinyBosToken)},
                        {"eos_token", J::string(kTinyEosToken)},
                        {"pad_token", J::string(kTinyEosToken)},
                        {"unk_token", J::null()},
                        {"clean_up_tokenization_spaces", J::boolean(false)},
                        {"tokenizer_class", J::string("PreTrainedTokenizerFast")}});
  return writeJsonFile((fs::path(dir) / "tokenizer_config.json").string(),
                       config, error, JsonWriteOptions{2});
}

} // namespace dsv4c::v4
