//===- BufferFill.cpp - how conformance inputs are generated
//---------------===//
#include "targets/conformance/BufferFill.h"

#include "runtime/Parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>

namespace dsv4c::conformance {

void fillBuffer(HostTensor &t, const BufferFill &fill, uint64_t seed) {
  const int64_t n = t.numElements();
  if (!fill.values.empty()) {
    for (int64_t i = 0; i < n; ++i)
      storeInt(t.data(), t.type, i,
               size_t(i) < fill.values.size() ? fill.values[size_t(i)] : 0);
  } else if (fill.distinct) {
    // A seeded Fisher-Yates shuffle of [0, hi], written out here so that
    // every standard library gives the same values.
    std::vector<int64_t> pool(fill.hi + 1);
    for (int64_t i = 0; i <= fill.hi; ++i)
      pool[i] = i;
    std::mt19937_64 gen(seed);
    for (int64_t i = fill.hi; i > 0; --i)
      std::swap(pool[i], pool[gen() % uint64_t(i + 1)]);
    for (int64_t i = 0; i < n; ++i)
      storeInt(t.data(), t.type, i, pool[size_t(i) % pool.size()]);
  } else if (fill.scaleCodes) {
    std::mt19937_64 gen(seed);
    auto *codes = static_cast<uint8_t *>(t.data());
    for (int64_t i = 0; i < n; ++i)
      codes[i] =
          uint8_t(fill.lo + int64_t(gen() % uint64_t(fill.hi - fill.lo + 1)));
  } else if (fill.random) {
    fillRandom(t, seed, fill.lo, fill.hi);
    if (fill.nonNegative && isFloatType(t.type))
      for (int64_t i = 0; i < n; ++i)
        storeFloat(t.data(), t.type, i,
                   std::fabs(loadFloat(t.data(), t.type, i)));
  }
}

void fillBufferInParallel(HostTensor &t, const BufferFill &fill,
                          uint64_t seed) {
  constexpr int64_t chunk = int64_t(1) << 20; // even: no shared e2m1 byte
  const int64_t n = t.numElements();
  bool plainRandom =
      fill.random && fill.values.empty() && !fill.distinct && !fill.scaleCodes;
  if (!plainRandom || n <= 4 * chunk) {
    fillBuffer(t, fill, seed);
    return;
  }
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t c; (c = next.fetch_add(1)) < chunks;) {
      int64_t begin = c * chunk, end = std::min(n, begin + chunk);
      fillRandomRange(t, seed * 0x9E3779B97F4A7C15ull + uint64_t(c), begin, end,
                      fill.lo, fill.hi);
      if (fill.nonNegative && isFloatType(t.type))
        for (int64_t i = begin; i < end; ++i)
          storeFloat(t.data(), t.type, i,
                     std::fabs(loadFloat(t.data(), t.type, i)));
    }
  };
  runOnThreads(threadsFor(size_t(chunks)), work);
}

void setFillJson(JsonValue &arg, const BufferFill &fill) {
  arg.set("random", JsonValue::boolean(fill.random));
  arg.set("lo", JsonValue::integer(fill.lo));
  arg.set("hi", JsonValue::integer(fill.hi));
  if (fill.distinct)
    arg.set("distinct", JsonValue::boolean(true));
  if (fill.scaleCodes)
    arg.set("scale_codes", JsonValue::boolean(true));
  if (fill.nonNegative)
    arg.set("non_negative", JsonValue::boolean(true));
  if (!fill.values.empty()) {
    JsonValue values = JsonValue::array();
    for (int64_t v : fill.values)
      values.push(JsonValue::integer(v));
    arg.set("values", std::move(values));
  }
}

bool parseFillJson(const JsonValue &arg, BufferFill &fill, std::string &error) {
  auto flag = [&](const char *key, bool &out) {
    const JsonValue *v = arg.find(key);
    if (!v)
      return true;
    if (!v->asBool()) {
      error = std::string("field '") + key + "' is not true or false";
      return false;
    }
    out = *v->asBool();
    return true;
  };
  auto integer = [&](const char *key, int64_t &out) {
    const JsonValue *v = arg.find(key);
    if (!v)
      return true;
    if (!v->asInteger()) {
      error = std::string("field '") + key + "' is not an integer";
      return false;
    }
    out = *v->asInteger();
    return true;
  };
  if (!flag("random", fill.random) || !integer("lo", fill.lo) ||
      !integer("hi", fill.hi) || !flag("distinct", fill.distinct) ||
      !flag("scale_codes", fill.scaleCodes) ||
      !flag("non_negative", fill.nonNegative))
    return false;
  if (fill.distinct && (fill.lo != 0 || fill.hi < 0 || fill.hi >= (1 << 30))) {
    error = "distinct integers need 'lo' 0 and 'hi' in [0, 2^30)";
    return false;
  }
  if (fill.scaleCodes && (fill.lo < 0 || fill.hi > 255 || fill.lo > fill.hi)) {
    error = "scale codes need 0 <= 'lo' <= 'hi' <= 255";
    return false;
  }
  if (const JsonValue *v = arg.find("values")) {
    if (!v->asArray()) {
      error = "field 'values' is not a list of integers";
      return false;
    }
    for (const JsonValue &e : *v->asArray()) {
      if (!e.asInteger()) {
        error = "field 'values' is not a list of integers";
        return false;
      }
      fill.values.push_back(*e.asInteger());
    }
  }
  return true;
}

} // namespace dsv4c::conformance
