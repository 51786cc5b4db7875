//===- SamplingTest.cpp - greedy, temperature and top-p sampling ----------===//
#include "runtime/Sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace dsv4c;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

SamplingOptions opts(float temperature, float topP = 1, uint64_t seed = 0) {
  SamplingOptions o;
  o.temperature = temperature;
  o.topP = topP;
  o.seed = seed;
  return o;
}

std::vector<int64_t> counts(Sampler &s, const std::vector<float> &logits,
                            int draws) {
  std::vector<int64_t> n(logits.size(), 0);
  for (int i = 0; i < draws; ++i) {
    int64_t id = s.sample(logits.data(), int64_t(logits.size()));
    EXPECT_GE(id, 0);
    EXPECT_LT(id, int64_t(logits.size()));
    if (id >= 0 && id < int64_t(logits.size()))
      ++n[id];
  }
  return n;
}

/// softmax(logits / t) in long double, independently of the sampler.
std::vector<double> softmax(const std::vector<float> &logits, double t) {
  long double m = -std::numeric_limits<long double>::infinity(), total = 0;
  for (float l : logits)
    m = std::max<long double>(m, l);
  std::vector<long double> e;
  for (float l : logits) {
    e.push_back(std::exp((l - m) / t));
    total += e.back();
  }
  std::vector<double> p;
  for (long double x : e)
    p.push_back(double(x / total));
  return p;
}

/// Each observed frequency within 5 standard deviations of `p` (the draws
/// are seeded, so this passes or fails deterministically; at 5 sigma a
/// correct sampler fails for fewer than 1 seed in a million), and Pearson's
/// chi-square below its 99.999% quantile.
void expectFrequencies(const std::vector<int64_t> &n,
                       const std::vector<double> &p, int draws) {
  double chi2 = 0;
  int dof = -1;
  for (size_t i = 0; i < p.size(); ++i) {
    double expected = p[i] * draws;
    double sigma = std::sqrt(draws * p[i] * (1 - p[i]));
    EXPECT_LE(std::fabs(double(n[i]) - expected), 5 * sigma + 1e-9)
        << "token " << i << ": " << n[i] << " draws, expected " << expected;
    if (p[i] > 0) {
      chi2 += (n[i] - expected) * (n[i] - expected) / expected;
      ++dof;
    } else {
      EXPECT_EQ(n[i], 0) << "token " << i << " has probability 0";
    }
  }
  // 99.999% quantiles of chi-square for 1..7 degrees of freedom.
  const double q[] = {0, 19.51, 23.03, 25.90, 28.47, 30.86, 33.11, 35.26};
  ASSERT_GE(dof, 1);
  ASSERT_LE(dof, 7);
  EXPECT_LT(chi2, q[dof]) << "chi-square with " << dof << " dof";
}

TEST(SamplingRng, MatchesTheReferenceAlgorithms) {
  // splitmix64's first output from 0 (Vigna's reference), and xoshiro256**
  // outputs computed by a separate Python implementation.
  uint64_t state = 0;
  EXPECT_EQ(SamplingRng::splitmix64(state), 0xe220a8397b1dcdafull);
  SamplingRng a(0);
  EXPECT_EQ(a.next(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(a.next(), 0xbf6e1f784956452aull);
  EXPECT_EQ(a.next(), 0x1a5f849d4933e6e0ull);
  EXPECT_EQ(a.next(), 0x6aa594f1262d2d2cull);
  SamplingRng b(42);
  EXPECT_EQ(b.next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(b.next(), 0x6104d9866d113a7eull);
  for (int i = 0; i < 1000; ++i) {
    double u = b.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Sampler, GreedyTiesGoToTheSmallestId) {
  Sampler s(opts(0));
  std::vector<float> l = {1, 3, 3, 2, 3};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(s.sample(l.data(), 5), 1);
  EXPECT_EQ(Sampler::argmax(l.data(), 5), 1);
  std::vector<float> neg = {-5, -2, -7};
  EXPECT_EQ(s.sample(neg.data(), 3), 1);
  // Negative or NaN temperature is greedy too.
  Sampler neg1(opts(-1)), nan(opts(kNaN));
  EXPECT_EQ(neg1.sample(l.data(), 5), 1);
  EXPECT_EQ(nan.sample(l.data(), 5), 1);
}

TEST(Sampler, NaNLogitsAreNeverChosen) {
  std::vector<float> l = {kNaN, 1, kNaN, 0.5f, kNaN};
  Sampler greedy(opts(0));
  EXPECT_EQ(greedy.sample(l.data(), 5), 1);
  std::vector<float> first = {kNaN, -3, 7};
  EXPECT_EQ(greedy.sample(first.data(), 3), 2);

  // Sampling: only ids 1 and 3, in proportion e^1 : e^0.5.
  Sampler s(opts(1, 1, 3));
  const int draws = 50000;
  std::vector<int64_t> n = counts(s, l, draws);
  double p1 = 1 / (1 + std::exp(-0.5));
  expectFrequencies(n, {0, p1, 0, 1 - p1, 0}, draws);

  // All NaN, or nothing at all: -1.
  std::vector<float> all = {kNaN, kNaN, kNaN};
  EXPECT_EQ(greedy.sample(all.data(), 3), -1);
  EXPECT_EQ(s.sample(all.data(), 3), -1);
  EXPECT_EQ(Sampler::argmax(all.data(), 3), -1);
  EXPECT_EQ(greedy.sample(l.data(), 0), -1);
  EXPECT_EQ(s.sample(l.data(), 0), -1);
}

TEST(Sampler, InfiniteLogits) {
  // +inf tokens share the mass; the others get none.
  std::vector<float> l = {1, kInf, 0, kInf, kNaN};
  Sampler greedy(opts(0));
  EXPECT_EQ(greedy.sample(l.data(), 5), 1);
  Sampler s(opts(1, 1, 5));
  const int draws = 20000;
  expectFrequencies(counts(s, l, draws), {0, 0.5, 0, 0.5, 0}, draws);
  // -inf is probability 0; all -inf falls back to greedy.
  std::vector<float> m = {-kInf, 0, -kInf};
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(s.sample(m.data(), 3), 1);
  std::vector<float> allNeg = {-kInf, -kInf};
  EXPECT_EQ(s.sample(allNeg.data(), 2), 0);
}

TEST(Sampler, TinyTopPIsAlwaysTheArgmax) {
  // Seeded random logits with the maximum at ids 10 and 500: the smaller
  // id wins, as in greedy.
  SamplingRng r(11);
  std::vector<float> l(1000);
  for (float &x : l)
    x = float(r.uniform() * 8 - 4);
  l[10] = l[500] = 5;
  for (float topP : {1e-6f, 0.0f, -1.0f}) {
    Sampler s(opts(1.5f, topP, 9));
    for (int i = 0; i < 2000; ++i)
      ASSERT_EQ(s.sample(l.data(), 1000), 10) << "topP " << topP;
  }
  // A temperature near 0 concentrates everything on the maximum logits:
  // tied ones stay equally likely (no top-p here to cut one).
  Sampler cold(opts(1e-6f, 1, 9));
  std::vector<int64_t> n = counts(cold, l, 2000);
  EXPECT_EQ(n[10] + n[500], 2000);
  EXPECT_GT(n[10], 800);
  EXPECT_GT(n[500], 800);
  l[500] = 4.999f;
  for (int i = 0; i < 2000; ++i)
    ASSERT_EQ(cold.sample(l.data(), 1000), 10);
}

TEST(Sampler, TemperatureFrequenciesMatchTheSoftmax) {
  std::vector<float> l = {0, 1, 2, 0.5f, -1, 3};
  const int draws = 200000;
  for (float t : {0.7f, 1.0f, 2.5f}) {
    SCOPED_TRACE("temperature " + std::to_string(t));
    Sampler s(opts(t, 1, 1234));
    expectFrequencies(counts(s, l, draws), softmax(l, t), draws);
  }
}

TEST(Sampler, TopPExcludesTheTail) {
  // softmax = .634 .233 .086 .032 .012 .004: top-p 0.9 keeps ids 0..2
  // (cumulative .953), renormalised.
  std::vector<float> l = {4, 3, 2, 1, 0, -1};
  std::vector<double> p = softmax(l, 1);
  double nucleus = p[0] + p[1] + p[2];
  ASSERT_GE(nucleus, 0.9);
  ASSERT_LT(p[0] + p[1], 0.9);
  Sampler s(opts(1, 0.9f, 77));
  const int draws = 100000;
  std::vector<int64_t> n = counts(s, l, draws);
  EXPECT_EQ(n[3] + n[4] + n[5], 0);
  expectFrequencies(n, {p[0] / nucleus, p[1] / nucleus, p[2] / nucleus, 0, 0, 0},
                    draws);

  // The order of the logits does not matter: the same, shuffled.
  std::vector<float> shuffled = {1, 3, -1, 4, 0, 2};
  Sampler t(opts(1, 0.9f, 77));
  std::vector<int64_t> m = counts(t, shuffled, 20000);
  EXPECT_EQ(m[0] + m[2] + m[4], 0);
  EXPECT_GT(m[1] * m[3] * m[5], 0);
}

TEST(Sampler, TopPTiesAtTheCutGoToTheSmallerId) {
  // Ids 1 and 2 are equally likely (.40 each): a nucleus of 0.3 holds one
  // of them, id 1.
  std::vector<float> l = {0, 2, 2, 1};
  Sampler s(opts(1, 0.3f, 5));
  for (int i = 0; i < 5000; ++i)
    ASSERT_EQ(s.sample(l.data(), 4), 1);
  // 0.5 needs both, never id 0 or 3.
  Sampler t(opts(1, 0.5f, 5));
  std::vector<int64_t> n = counts(t, l, 20000);
  EXPECT_EQ(n[0] + n[3], 0);
  expectFrequencies(n, {0, 0.5, 0.5, 0}, 20000);
}

TEST(Sampler, SameSeedSameSequence) {
  std::vector<float> l = {0.5f, -1.25f, 2, 1.5f, 0, -3, 1.75f, 0.25f};
  auto run = [&](Sampler s, int n) {
    std::vector<int64_t> out;
    for (int i = 0; i < n; ++i)
      out.push_back(s.sample(l.data(), int64_t(l.size())));
    return out;
  };
  EXPECT_EQ(run(Sampler(opts(0.8f, 1, 42)), 500),
            run(Sampler(opts(0.8f, 1, 42)), 500));
  EXPECT_NE(run(Sampler(opts(0.8f, 1, 42)), 500),
            run(Sampler(opts(0.8f, 1, 43)), 500));

  // Sequence i of a batch is seed + i.
  std::vector<Sampler> batch = makeSamplers(opts(0.8f, 0.95f, 40), 4);
  ASSERT_EQ(batch.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(run(batch[i], 200), run(Sampler(opts(0.8f, 0.95f, 40 + i)), 200));
    EXPECT_EQ(run(batch[i], 200), run(Sampler(opts(0.8f, 0.95f, 40), i), 200));
  }

  // Pinned: the same ids on every machine. Computed by a separate Python
  // implementation of the rules in Sampling.h.
  EXPECT_EQ(run(Sampler(opts(0.8f, 1, 42)), 24),
            (std::vector<int64_t>{2, 2, 6, 6, 7, 6, 6, 6, 6, 3, 6, 2,
                                  6, 2, 6, 6, 3, 6, 6, 6, 2, 2, 2, 3}));
  EXPECT_EQ(run(Sampler(opts(1.3f, 0.7f, 7)), 24),
            (std::vector<int64_t>{6, 2, 6, 6, 6, 6, 2, 2, 3, 2, 3, 6,
                                  6, 6, 3, 3, 2, 3, 2, 2, 2, 3, 3, 2}));
}

TEST(Sampler, OptionsValidation) {
  std::string error;
  EXPECT_TRUE(validateSamplingOptions(opts(0), error));
  EXPECT_TRUE(validateSamplingOptions(opts(0.7f, 0.9f), error));
  EXPECT_FALSE(validateSamplingOptions(opts(-0.1f), error));
  EXPECT_NE(error.find("temperature"), std::string::npos);
  EXPECT_FALSE(validateSamplingOptions(opts(kInf), error));
  EXPECT_FALSE(validateSamplingOptions(opts(1, 0), error));
  EXPECT_NE(error.find("top_p"), std::string::npos);
  EXPECT_FALSE(validateSamplingOptions(opts(1, 1.5f), error));
  EXPECT_FALSE(validateSamplingOptions(opts(1, kNaN), error));
}

} // namespace
