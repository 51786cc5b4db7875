//===- EmbeddingHeadTest.cpp - embedding.mlir and head.mlir
//-----------------===//
//
// Embedding: a pure copy, so (a) and (b) require exact equality.
// Head: f32 logits of bf16(RMSNorm(x) * w) @ W^T (@rmsnorm, then @head).
// Greedy token: @greedy_part then @greedy_token give runtime/Sampling.h's
// greedy choice exactly, on both targets (ties, NaN, -inf, all-NaN rows).
//  (a) cpu vs reference, tolerance 1e-4 of max(1, |ref|): f32 sums of <= 256
//      products in another order (~D * 2^-24 of sum |terms|). Both targets
//      round the normalised x to bf16 after the same f32 ops; should their
//      rsqrt ever differ in the last bit, one such rounding could flip and
//      exceed this (not the case on these fixed-seed inputs).
//  (b) reference vs the official math in double: tolerance
//      2^-15 sum_d |xn_d W_vd| (f32 accumulation, D <= 512) + 2^-7 max_d
//      |xn_d W_vd| (the kernel rounds xn to bf16 from f32, the test from
//      double; they may differ by one bf16 ulp, <= 2^-7 relative, on an
//      element whose exact value sits at a rounding boundary).
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

#include "runtime/Sampling.h"

#include <limits>

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::embeddingCase;
using v4::cases::greedyPartCase;
using v4::cases::greedyTokenCase;
using v4::cases::headCase;

namespace {

TEST(Embedding, CpuMatchesReferenceRaggedStreams) {
  expectCpuMatchesReference(embeddingCase(37, 50, 150, 4));
}
TEST(Embedding, CpuMatchesReferenceOneCopy) {
  expectCpuMatchesReference(embeddingCase(16, 40, 64, 1));
}
TEST(Embedding, CpuMatchesReferenceWide) {
  expectCpuMatchesReference(embeddingCase(5, 100, 200, 4));
}

TEST(Embedding, ReferenceMatchesOfficialGather) {
  const int64_t n = 21, vocab = 33, dim = 130, copies = 4;
  std::mt19937_64 gen(5);
  HostTensor table = randomBf16(gen, {vocab, dim}, -3, 3);
  HostTensor ids(T::I64, {n});
  for (int64_t i = 0; i < n; ++i)
    i64Data(ids)[i] = i == 3 ? -1 : int64_t(gen() % vocab);
  i64Data(ids)[0] = vocab - 1; // the last row: no read past the table's end
  HostTensor out(T::BF16, {n, copies, dim});
  for (int64_t i = 0; i < out.numElements(); ++i)
    bf16Data(out)[i] = 0x7FC0; // NaN: every element must be written
  ASSERT_TRUE(launch(Target::Reference, kernelSource("embedding.mlir"),
                     "embedding",
                     {KArg::buf(table), KArg::buf(ids), KArg::buf(out),
                      KArg::idx(n), KArg::idx(dim), KArg::idx(copies)},
                     {ceilDiv(n, 16), ceilDiv(dim, 64), 1}));
  int mismatches = 0;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t c = 0; c < copies; ++c)
      for (int64_t j = 0; j < dim; ++j) {
        int64_t id = i64Data(ids)[t];
        uint16_t want = id < 0 ? 0 : bf16Data(table)[id * dim + j];
        uint16_t got = bf16Data(out)[(t * copies + c) * dim + j];
        if (got != want && mismatches++ == 0)
          ADD_FAILURE() << "out[" << t << "," << c << "," << j << "] = " << got
                        << ", want " << want;
      }
  EXPECT_EQ(mismatches, 0);
}

TEST(Head, CpuMatchesReferenceRagged) {
  expectCpuMatchesReference(headCase({9, 200, 150}));
  expectCpuMatchesReference(headCase({3, 256, 100}));
}
TEST(Head, CpuMatchesReferenceAligned) {
  expectCpuMatchesReference(headCase({4, 128, 64}));
}

TEST(Head, ReferenceMatchesOfficialMath) {
  const int64_t m = 3, d = 256, v = 70;
  const float eps = 1e-6f;
  std::mt19937_64 gen(9);
  HostTensor x = randomBf16(gen, {m, d}, -2, 2);
  HostTensor nw = randomBf16(gen, {d}, 0.5, 1.5);
  HostTensor w = randomBf16(gen, {v, d}, -1, 1);
  HostTensor normed(T::BF16, {m, d}), logits(T::F32, {m, v});
  ASSERT_TRUE(launch(Target::Reference, kernelSource("rmsnorm.mlir"), "rmsnorm",
                     {KArg::buf(x), KArg::buf(nw), KArg::buf(normed),
                      KArg::idx(m), KArg::idx(d), KArg::f32(eps)},
                     {m, 1, 1}));
  ASSERT_TRUE(launch(Target::Reference, kernelSource("head.mlir"), "head",
                     {KArg::buf(normed), KArg::buf(w), KArg::buf(logits),
                      KArg::idx(m), KArg::idx(d), KArg::idx(v)},
                     {ceilDiv(m, 16), ceilDiv(v, 64), 1}));
  Closeness c;
  for (int64_t i = 0; i < m; ++i) {
    double ss = 0;
    for (int64_t j = 0; j < d; ++j) {
      double xv = bf16Value(bf16Data(x)[i * d + j]);
      ss += xv * xv;
    }
    double inv = 1 / std::sqrt(ss / d + eps);
    std::vector<double> xn(d);
    for (int64_t j = 0; j < d; ++j)
      xn[j] = roundBf16(bf16Value(bf16Data(x)[i * d + j]) * inv *
                        bf16Value(bf16Data(nw)[j]));
    for (int64_t o = 0; o < v; ++o) {
      double sum = 0, sumAbs = 0, maxAbs = 0;
      for (int64_t j = 0; j < d; ++j) {
        double t = xn[j] * bf16Value(bf16Data(w)[o * d + j]);
        sum += t;
        sumAbs += std::fabs(t);
        maxAbs = std::max(maxAbs, std::fabs(t));
      }
      c.check(f32Data(logits)[i * v + o], sum, 0,
              std::ldexp(sumAbs, -15) + std::ldexp(maxAbs, -7),
              "logits[" + std::to_string(i) + "," + std::to_string(o) + "]");
    }
  }
  EXPECT_EQ(c.failures, 0) << c.where;
}

TEST(GreedyToken, CpuMatchesReference) {
  expectCpuMatchesReference(greedyPartCase(3, 9000));
  expectCpuMatchesReference(greedyPartCase(2, 100));
  expectCpuMatchesReference(greedyTokenCase(3, 9000));
  expectCpuMatchesReference(greedyTokenCase(2, 300000)); // 2 trips of 256
}

// Rows that test each rule; the vocabulary is ragged (the last slice of 4096
// ids ends past it), so that ties and NaNs span lanes and slices.
TEST(GreedyToken, EqualsTheHostGreedyRule) {
  const int64_t v = 10000;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::mt19937_64 gen(3);
  std::vector<std::vector<float>> rows;
  auto noise = [&] {
    HostTensor t = randomF32(gen, {v}, -4, 4);
    return std::vector<float>(f32Data(t), f32Data(t) + v);
  };
  rows.push_back(noise()); // plain
  std::vector<float> r = noise();
  r[9999] = 9; // the last id, in the ragged trip
  rows.push_back(r);
  r = noise();
  r[5000] = 9; // a tie across lanes and trips: the smallest id wins
  r[1500] = 9;
  r[8000] = 9;
  rows.push_back(r);
  r = noise();
  r[3] = nan; // NaNs around the largest: never chosen
  r[4] = 8;
  r[7000] = nan;
  rows.push_back(r);
  rows.push_back(std::vector<float>(v, nan)); // every logit NaN: -1
  r.assign(v, -inf);
  r[0] = nan; // all -inf after a NaN: the first -inf
  rows.push_back(r);
  r = noise();
  r[6000] = inf; // +inf twice: the smaller id
  r[4097] = inf;
  rows.push_back(r);
  const int64_t m = int64_t(rows.size());
  HostTensor logits(T::F32, {m, v});
  for (int64_t i = 0; i < m; ++i)
    std::copy(rows[i].begin(), rows[i].end(), f32Data(logits) + i * v);
  for (Target target : {Target::Reference, Target::Cpu}) {
    const int64_t slices = ceilDiv(v, 4096);
    HostTensor ids(T::I32, {m}), pv(T::F32, {m, slices}),
        pi(T::I32, {m, slices});
    ASSERT_TRUE(launch(target, kernelSource("head.mlir"), "greedy_part",
                       {KArg::buf(logits), KArg::buf(pv), KArg::buf(pi),
                        KArg::idx(m), KArg::idx(v)},
                       {m, slices, 1}));
    ASSERT_TRUE(launch(target, kernelSource("head.mlir"), "greedy_token",
                       {KArg::buf(pv), KArg::buf(pi), KArg::buf(ids),
                        KArg::idx(m), KArg::idx(v)},
                       {m, 1, 1}));
    for (int64_t i = 0; i < m; ++i) {
      Sampler greedy(SamplingOptions{});
      EXPECT_EQ(i32Data(ids)[i], greedy.sample(rows[i].data(), v))
          << "row " << i << (target == Target::Cpu ? " (cpu)" : " (reference)");
    }
  }
}

} // namespace
