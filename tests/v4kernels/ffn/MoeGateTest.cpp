//===- MoeGateTest.cpp - moe_gate.mlir --------------------------------------===//
//
// (a) cpu vs reference, tolerance 1e-5 of max(1, |ref|): weights are f32
//     (a few f32 roundings apart at most) and expert indices must be equal.
// (b) reference (matmul_bf16_f32 for the logits, then moe_gate) vs the
//     official Gate.forward in double: sqrt(softplus) scores,
//     top-6 of score + bias (or tid2eid rows), weights normalised and times
//     route_scale. Indices must match exactly (inputs are random, so the
//     6th and 7th biased scores are far apart compared with f32 error);
//     weights within 1e-5 relative (f32 dot over D <= 256 terms and a few
//     transcendental ops: well below 1e-5).
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

#include <algorithm>
#include <numeric>

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::moeGateCase;

namespace {

constexpr int64_t kTopK = 6;

TEST(MoeGate, CpuMatchesReferenceScoreRagged) {
  expectCpuMatchesReference(moeGateCase(37, 40, false, 8));
}
TEST(MoeGate, CpuMatchesReferenceScoreFlashExperts) {
  expectCpuMatchesReference(moeGateCase(8, 256, false, 8));
}
TEST(MoeGate, CpuMatchesReferenceHash) {
  expectCpuMatchesReference(moeGateCase(37, 16, true, 50));
}

void checkOfficial(bool hash) {
  const int64_t m = 11, d = 256, e = 64, vocab = 100;
  const float routeScale = 2.5f;
  std::mt19937_64 gen(hash ? 21 : 22);
  HostTensor x = randomBf16(gen, {m, d}, -1, 1);
  HostTensor wg = randomBf16(gen, {e, d}, -0.5, 0.5);
  HostTensor bias = randomF32(gen, {e}, -0.3, 0.3);
  HostTensor tid2eid(T::I64, {vocab, kTopK});
  for (int64_t v = 0; v < vocab; ++v) { // distinct experts per token
    std::vector<int64_t> all(e);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), gen);
    for (int64_t j = 0; j < kTopK; ++j)
      i64Data(tid2eid)[v * kTopK + j] = all[j];
  }
  HostTensor ids(T::I64, {m});
  for (int64_t i = 0; i < m; ++i)
    i64Data(ids)[i] = int64_t(gen() % vocab);
  HostTensor wout(T::F32, {m, kTopK});
  HostTensor iout(T::I32, {m, kTopK});
  // As the executor runs it: the logits (matmul_bf16_f32), then moe_gate.
  HostTensor logits(T::F32, {m, e});
  ASSERT_TRUE(
      launch(Target::Reference, kernelSource("dense.mlir", "matmul_bf16_f32"),
             "matmul_bf16_f32",
             {KArg::buf(x), KArg::buf(wg), KArg::buf(logits), KArg::idx(m),
              KArg::idx(e), KArg::idx(d), KArg::idx(d), KArg::idx(e),
              KArg::buf(logits), KArg::buf(logits), KArg::idx(1)},
             {ceilDiv(m, 16), ceilDiv(e, 64), 1}));
  ASSERT_TRUE(launch(Target::Reference, kernelSource("moe_gate.mlir"),
                     "moe_gate",
                     {KArg::buf(logits), KArg::buf(bias), KArg::buf(tid2eid),
                      KArg::buf(ids), KArg::buf(wout), KArg::buf(iout),
                      KArg::idx(m), KArg::idx(e), KArg::idx(hash ? 1 : 0),
                      KArg::f32(routeScale)},
                     {ceilDiv(m, 4), 1, 1}));
  Closeness c;
  for (int64_t i = 0; i < m; ++i) {
    std::vector<double> score(e), biased(e);
    for (int64_t j = 0; j < e; ++j) {
      double z = 0;
      for (int64_t k = 0; k < d; ++k)
        z += bf16Value(bf16Data(x)[i * d + k]) * bf16Value(bf16Data(wg)[j * d + k]);
      double sp = z > 20 ? z : std::log1p(std::exp(z)); // F.softplus
      score[j] = std::sqrt(sp);
      biased[j] = score[j] + f32Data(bias)[j];
    }
    std::vector<int64_t> want(kTopK);
    if (hash) {
      for (int64_t j = 0; j < kTopK; ++j)
        want[j] = i64Data(tid2eid)[i64Data(ids)[i] * kTopK + j];
    } else {
      std::vector<int64_t> order(e);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return biased[a] > biased[b];
      });
      std::copy(order.begin(), order.begin() + kTopK, want.begin());
    }
    double sum = 0;
    for (int64_t j = 0; j < kTopK; ++j)
      sum += score[want[j]];
    for (int64_t j = 0; j < kTopK; ++j) {
      std::string at = "[" + std::to_string(i) + "," + std::to_string(j) + "]";
      EXPECT_EQ(i32Data(iout)[i * kTopK + j], want[j]) << "idx" << at;
      c.check(f32Data(wout)[i * kTopK + j], score[want[j]] / sum * routeScale,
              1e-5, 0, "w" + at);
    }
  }
  EXPECT_EQ(c.failures, 0) << c.where;
}

TEST(MoeGate, ReferenceMatchesOfficialScoreRouting) { checkOfficial(false); }
TEST(MoeGate, ReferenceMatchesOfficialHashRouting) { checkOfficial(true); }

} // namespace
