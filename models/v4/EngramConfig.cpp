//===- EngramConfig.cpp - the `engram` section of config.json -------------===//
#include "models/v4/Config.h"

#include <algorithm>
#include <set>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {

bool isPrime(int64_t v) {
  if (v < 2)
    return false;
  for (int64_t d = 2; d * d <= v; ++d)
    if (v % d == 0)
      return false;
  return true;
}

} // namespace

bool EngramConfig::hasLayer(int64_t layer) const {
  return std::find(layerIds.begin(), layerIds.end(), layer) != layerIds.end();
}

bool v4::parseEngramConfig(const JsonValue &section, EngramConfig &e,
                           std::string &error, const std::string &source) {
  auto fail = [&](const std::string &field, const std::string &what) {
    error = source + ": field 'engram." + field + "' " + what;
    return false;
  };
  if (!section.isObject()) {
    error = source + ": field 'engram' must be an object, is " +
            section.kindName();
    return false;
  }
  auto integer = [&](const char *name, int64_t &out, bool required) {
    const JsonValue *v = section.find(name);
    if (!v)
      return required ? fail(name, "is missing") : true;
    if (!v->asInteger())
      return fail(name, std::string("must be an integer, is ") + v->kindName());
    out = *v->asInteger();
    return true;
  };
  auto list = [&](const char *name, std::vector<int64_t> &out) {
    const JsonValue *v = section.find(name);
    if (!v)
      return fail(name, "is missing");
    if (!v->asArray())
      return fail(name, std::string("must be a list of integers, is ") +
                            v->kindName());
    out.clear();
    for (const JsonValue &x : *v->asArray()) {
      if (!x.asInteger())
        return fail(name, "must be a list of integers");
      out.push_back(*x.asInteger());
    }
    return true;
  };
  return list("layer_ids", e.layerIds) &&
         list("engram_vocab_size", e.vocabSizes) &&
         integer("max_ngram_size", e.maxNgram, true) &&
         integer("n_embed_per_ngram", e.embedPerNgram, true) &&
         integer("n_head_per_ngram", e.headsPerNgram, true) &&
         integer("kernel_size", e.kernelSize, false) &&
         integer("seed", e.seed, false) && integer("pad_id", e.padId, true);
}

bool v4::validateEngramConfig(const EngramConfig &e, int64_t numLayers,
                              int64_t vocabSize, std::string &error,
                              const std::string &source) {
  auto fail = [&](const std::string &field, const std::string &what) {
    error = source + ": field 'engram." + field + "' " + what;
    return false;
  };
  if (e.layerIds.empty())
    return fail("layer_ids", "is empty");
  std::set<int64_t> seen;
  for (int64_t l : e.layerIds) {
    if (l < 0 || l >= numLayers)
      return fail("layer_ids", "holds " + std::to_string(l) +
                                   ", not a layer in [0, " +
                                   std::to_string(numLayers) + ")");
    if (!seen.insert(l).second)
      return fail("layer_ids", "holds " + std::to_string(l) + " twice");
  }
  if (e.maxNgram < 2 || e.maxNgram > 4)
    return fail("max_ngram_size", "is " + std::to_string(e.maxNgram) +
                                      "; must be 2 to 4 (engram_hash)");
  if (int64_t(e.vocabSizes.size()) != e.maxNgram - 1)
    return fail("engram_vocab_size",
                "must have max_ngram_size - 1 = " +
                    std::to_string(e.maxNgram - 1) + " entries, has " +
                    std::to_string(e.vocabSizes.size()));
  for (int64_t v : e.vocabSizes)
    if (v < 2 || v > (int64_t(1) << 40))
      return fail("engram_vocab_size",
                  "holds " + std::to_string(v) + "; must be 2 to 2^40");
  if (e.headsPerNgram < 1)
    return fail("n_head_per_ngram", "must be at least 1");
  if (e.hashColumns() > 64)
    return fail("n_head_per_ngram",
                "is " + std::to_string(e.headsPerNgram) +
                    "; (max_ngram_size - 1) * n_head_per_ngram must be <= 64 "
                    "(engram_hash)");
  if (e.embedPerNgram < 1 || e.embedPerNgram % e.headsPerNgram)
    return fail("n_embed_per_ngram",
                "is " + std::to_string(e.embedPerNgram) +
                    "; must be a positive multiple of n_head_per_ngram");
  if (e.headDim() < 64)
    return fail("n_embed_per_ngram",
                "is " + std::to_string(e.embedPerNgram) +
                    "; n_embed_per_ngram / n_head_per_ngram must be >= 64 "
                    "(the embedding gather)");
  if (e.kernelSize < 1 || e.kernelSize > 16)
    return fail("kernel_size",
                "is " + std::to_string(e.kernelSize) + "; must be 1 to 16");
  if (e.padId < 0 || e.padId >= vocabSize)
    return fail("pad_id", "is " + std::to_string(e.padId) +
                              ", not a token id in [0, " +
                              std::to_string(vocabSize) + ")");
  return true;
}

JsonValue v4::engramConfigToJson(const EngramConfig &e) {
  auto ints = [](const std::vector<int64_t> &v) {
    JsonValue a = JsonValue::array();
    for (int64_t x : v)
      a.push(JsonValue::integer(x));
    return a;
  };
  JsonValue j = JsonValue::object();
  j.set("layer_ids", ints(e.layerIds));
  j.set("engram_vocab_size", ints(e.vocabSizes));
  j.set("max_ngram_size", JsonValue::integer(e.maxNgram));
  j.set("n_embed_per_ngram", JsonValue::integer(e.embedPerNgram));
  j.set("n_head_per_ngram", JsonValue::integer(e.headsPerNgram));
  j.set("kernel_size", JsonValue::integer(e.kernelSize));
  j.set("seed", JsonValue::integer(e.seed));
  j.set("pad_id", JsonValue::integer(e.padId));
  return j;
}

std::map<int64_t, std::vector<int64_t>>
v4::engramPrimes(const EngramConfig &e) {
  std::set<int64_t> used;
  std::map<int64_t, std::vector<int64_t>> out;
  for (int64_t layer : e.layerIds) {
    std::vector<int64_t> &primes = out[layer];
    for (int64_t n = 2; n <= e.maxNgram; ++n) {
      int64_t start = e.vocabSizes[n - 2] - 1;
      for (int64_t h = 0; h < e.headsPerNgram; ++h) {
        int64_t p = start + 1;
        while (!isPrime(p) || used.count(p))
          ++p;
        used.insert(p);
        primes.push_back(p);
        start = p;
      }
    }
  }
  return out;
}
