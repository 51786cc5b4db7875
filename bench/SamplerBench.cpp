//===- SamplerBench.cpp - the host's temperature/top-p choice -------------===//
//
// runtime/Sampling.h's Sampler over one row of V4's vocabulary (129280
// logits): the host path of a sampled step (rows the device leaves to the
// host: a nucleus wider than its 1024 tokens, as a random-weight model's
// flat logits give) and of `--dump-logits` runs. Rows: flat (uniform logits
// in [-1, 1]: the nucleus at top-p 0.95 is most of the vocabulary) and
// peaked (200 plausible ids over a low floor); top-p 0.95 and 1. Beside
// them the floor every choice pays: exp of each logit in double.
//
//===----------------------------------------------------------------------===//
#include "runtime/Sampling.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

using namespace dsv4c;

namespace {

constexpr int64_t kVocab = 129280;

std::vector<float> row(bool peaked) {
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<float> unit(-1, 1);
  std::vector<float> l(kVocab);
  for (float &x : l)
    x = peaked ? -8 + unit(gen) : unit(gen);
  if (peaked)
    for (int k = 0; k < 200; ++k)
      l[size_t(gen() % kVocab)] = 4 + unit(gen);
  return l;
}

// range(0): 1 = peaked; range(1): top-p in hundredths.
void BM_SampleHost(benchmark::State &state) {
  const std::vector<float> l = row(state.range(0) == 1);
  SamplingOptions o;
  o.temperature = 0.8f;
  o.topP = float(state.range(1)) / 100;
  Sampler s(o);
  for (auto _ : state)
    benchmark::DoNotOptimize(s.sample(l.data(), kVocab));
}
BENCHMARK(BM_SampleHost)->ArgsProduct({{0, 1}, {95, 100}});

void BM_ExpFloor(benchmark::State &state) {
  const std::vector<float> l = row(false);
  std::vector<double> p(kVocab);
  for (auto _ : state) {
    for (int64_t i = 0; i < kVocab; ++i)
      p[size_t(i)] = std::exp((double(l[size_t(i)]) - 1) / 0.8);
    benchmark::DoNotOptimize(p.data());
  }
}
BENCHMARK(BM_ExpFloor);

} // namespace

BENCHMARK_MAIN();
