//===- Sampling.cpp - next-token choice from a logits row -----------------===//
#include "runtime/Sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dsv4c {

bool validateSamplingOptions(const SamplingOptions &options,
                             std::string &error) {
  if (!std::isfinite(options.temperature) || options.temperature < 0) {
    error = "temperature must be a finite number >= 0 (0 is greedy), got " +
            std::to_string(options.temperature);
    return false;
  }
  if (!(options.topP > 0 && options.topP <= 1)) {
    error = "top_p must be in (0, 1], got " + std::to_string(options.topP);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// SamplingRng
//===----------------------------------------------------------------------===//

uint64_t SamplingRng::splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

SamplingRng::SamplingRng(uint64_t seed) {
  // splitmix64 never yields an all-zero xoshiro state from four outputs.
  for (uint64_t &word : s)
    word = splitmix64(seed);
}

uint64_t SamplingRng::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

//===----------------------------------------------------------------------===//
// Sampler
//===----------------------------------------------------------------------===//

Sampler::Sampler(const SamplingOptions &options, uint64_t sequence)
    : opts(options), rng(options.seed + sequence) {}

int64_t Sampler::argmax(const float *logits, int64_t vocab) {
  int64_t best = -1;
  for (int64_t i = 0; i < vocab; ++i)
    if (!std::isnan(logits[i]) && (best < 0 || logits[i] > logits[best]))
      best = i;
  return best;
}

int64_t Sampler::sample(const float *logits, int64_t vocab) {
  // `> 0` is false for NaN too.
  if (!(opts.temperature > 0))
    return vocab <= 0 ? -1 : argmax(logits, vocab);
  return sampleWithDraw(logits, vocab, draw());
}

double Sampler::draw() { return opts.temperature > 0 ? rng.uniform() : 0; }

void Sampler::markNucleus(double target) {
  // A total order (ids are distinct): more probable first, ties to the
  // smaller id.
  auto before = [](const std::pair<double, int64_t> &a,
                   const std::pair<double, int64_t> &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  // Quickselect on mass (expected O(vocab), where a sort of the row took
  // ~10 ms at 129280 ids): [lo, hi) holds the undecided tokens, all less
  // probable than every kept one; split it at its middle, keep the upper
  // half whole when its mass falls short of the target, else look inside.
  auto lo = order.begin(), hi = order.end();
  while (hi - lo > 16) {
    auto mid = lo + (hi - lo) / 2;
    std::nth_element(lo, mid, hi, before);
    double upper = 0;
    for (auto it = lo; it != mid; ++it)
      upper += it->first;
    if (upper >= target) {
      hi = mid;
      continue;
    }
    for (auto it = lo; it != mid; ++it)
      keep[size_t(it->second)] = 1;
    target -= upper;
    lo = mid;
  }
  // The last few in order, until the mass reaches what is left.
  std::sort(lo, hi, before);
  double mass = 0;
  for (auto it = lo; it != hi; ++it) {
    keep[size_t(it->second)] = 1;
    mass += it->first;
    if (mass >= target)
      break;
  }
}

int64_t Sampler::sampleWithDraw(const float *logits, int64_t vocab, double u) {
  if (vocab <= 0)
    return -1;
  if (!(opts.temperature > 0))
    return argmax(logits, vocab);
  int64_t top = argmax(logits, vocab);
  if (top < 0)
    return -1;
  double maxLogit = logits[top];
  if (maxLogit == -std::numeric_limits<double>::infinity())
    return top; // softmax of all -inf is undefined

  // Unnormalised probabilities; NaN and -inf get 0. With +inf logits the
  // limit of softmax splits the mass equally between them.
  const double temperature = opts.temperature;
  const bool infinite = std::isinf(maxLogit);
  probs.resize(size_t(vocab));
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    float l = logits[i];
    double p;
    if (std::isnan(l))
      p = 0;
    else if (infinite)
      p = double(l) == maxLogit ? 1 : 0;
    else
      p = std::exp((double(l) - maxLogit) / temperature);
    probs[i] = p;
    total += p;
  }

  // The nucleus: most probable first, ties to the smaller id, until the
  // mass reaches topP. `< 1` is false for NaN, which keeps everything.
  const bool cut = opts.topP < 1;
  if (cut) {
    order.clear();
    for (int64_t i = 0; i < vocab; ++i)
      if (probs[i] > 0)
        order.push_back({probs[i], i});
    keep.assign(size_t(vocab), 0);
    markNucleus(double(opts.topP) * total);
  }

  // Walk in id order; the mass is summed the same way so that rounding
  // cannot put the threshold past the last kept token.
  double mass = 0;
  for (int64_t i = 0; i < vocab; ++i)
    if (!cut || keep[i])
      mass += probs[i];
  double threshold = u * mass, cum = 0;
  int64_t last = top;
  for (int64_t i = 0; i < vocab; ++i) {
    if ((cut && !keep[i]) || probs[i] <= 0)
      continue;
    cum += probs[i];
    last = i;
    if (cum > threshold)
      return i;
  }
  return last; // u * mass rounded up to mass
}

std::vector<Sampler> makeSamplers(const SamplingOptions &options,
                                  int64_t batch) {
  std::vector<Sampler> samplers;
  samplers.reserve(size_t(std::max<int64_t>(batch, 0)));
  for (int64_t i = 0; i < batch; ++i)
    samplers.emplace_back(options, uint64_t(i));
  return samplers;
}

} // namespace dsv4c
