//===- MoeCombineTest.cpp - moe_combine.mlir
//-------------------------------===//
//
// (a) cpu vs reference. @moe_finish: conformance::runCase on random ragged
//     shapes. @moe_scatter_add needs distinct rows per launch (random ints
//     may repeat), so both targets run the same chosen sequence of launches
//     (several experts, overlapping row sets, -1 rows, ragged d). Tolerance
//     0 for both: every output element is one f32 addition (and one bf16
//     rounding), specified exactly.
// (b) reference vs plain C++ of the official MoE.forward combine:
//     y = 0 (f32); per expert in ascending order y[idx] += f32(expert out);
//     out = bf16(y + f32(shared)). The same f32 operations in the same order,
//     so the comparison is bit-exact.
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::finishCase;

namespace {

const char *kFile = "moe_combine.mlir";

TEST(MoeFinish, CpuMatchesReference) {
  expectCpuMatchesReference(finishCase(16, 512));
  expectCpuMatchesReference(finishCase(37, 300));
  expectCpuMatchesReference(finishCase(1, 70));
}

/// One expert's launch: its gathered output rows and destination rows.
struct Expert {
  HostTensor ye;   // bf16 [me, d]
  HostTensor rows; // i32 [me]
};

/// Experts of a batch of m tokens: each picks distinct random rows (some
/// experts share rows with others; a few entries are -1).
std::vector<Expert> randomExperts(std::mt19937_64 &gen, int64_t m, int64_t d,
                                  int count) {
  std::vector<Expert> experts;
  for (int e = 0; e < count; ++e) {
    std::vector<int32_t> perm(m);
    for (int64_t i = 0; i < m; ++i)
      perm[i] = int32_t(i);
    std::shuffle(perm.begin(), perm.end(), gen);
    int64_t me = 1 + int64_t(gen() % uint64_t(m));
    Expert x{randomBf16(gen, {me, d}, -4, 4), HostTensor(T::I32, {me})};
    for (int64_t i = 0; i < me; ++i)
      i32Data(x.rows)[i] = gen() % 7 == 0 ? -1 : perm[i];
    experts.push_back(std::move(x));
  }
  return experts;
}

/// Runs the scatter of every expert (in order) into y on `target`.
void scatterAll(Target target, std::vector<Expert> &experts, HostTensor &y,
                int64_t d) {
  for (Expert &e : experts) {
    int64_t me = e.rows.shape[0];
    ASSERT_TRUE(launch(target, kernelSource(kFile, "moe_scatter_add"),
                       "moe_scatter_add",
                       {KArg::buf(e.ye), KArg::buf(e.rows), KArg::buf(y),
                        KArg::idx(me), KArg::idx(d)},
                       {me, ceilDiv(d, 256), 1}));
  }
}

void checkScatterTargetsAgree(int64_t m, int64_t d, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<Expert> experts = randomExperts(gen, m, d, 5);
  HostTensor yRef = randomF32(gen, {m, d}, -1, 1);
  HostTensor yCpu = yRef;
  scatterAll(Target::Reference, experts, yRef, d);
  scatterAll(Target::Cpu, experts, yCpu, d);
  for (int64_t i = 0; i < m * d; ++i)
    ASSERT_EQ(floatToBits(f32Data(yCpu)[i]), floatToBits(f32Data(yRef)[i]))
        << "y[" << i / d << "," << i % d << "]";
}

TEST(MoeScatterAdd, CpuMatchesReference) {
  checkScatterTargetsAgree(16, 512, 1);
  checkScatterTargetsAgree(23, 300, 2);
  checkScatterTargetsAgree(3, 70, 3);
}

void checkOfficial(int64_t m, int64_t d, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<Expert> experts = randomExperts(gen, m, d, 6);
  HostTensor shared = randomBf16(gen, {m, d}, -4, 4);
  HostTensor y(T::F32, {m, d});
  scatterAll(Target::Reference, experts, y, d);
  HostTensor out(T::BF16, {m, d});
  ASSERT_TRUE(launch(Target::Reference, kernelSource(kFile, "moe_finish"),
                     "moe_finish",
                     {KArg::buf(y), KArg::buf(shared), KArg::buf(out),
                      KArg::idx(m), KArg::idx(d)},
                     {ceilDiv(m, 4), ceilDiv(d, 256), 1}));

  std::vector<float> want(m * d, 0.0f);
  for (Expert &e : experts)
    for (int64_t i = 0; i < e.rows.shape[0]; ++i) {
      int32_t r = i32Data(e.rows)[i];
      if (r < 0)
        continue;
      for (int64_t c = 0; c < d; ++c)
        want[r * d + c] += float(bf16Value(bf16Data(e.ye)[i * d + c]));
    }
  for (int64_t i = 0; i < m * d; ++i) {
    ASSERT_EQ(floatToBits(f32Data(y)[i]), floatToBits(want[i]))
        << "y[" << i / d << "," << i % d << "]";
    float fin = want[i] + float(bf16Value(bf16Data(shared)[i]));
    ASSERT_EQ(bf16Data(out)[i], toBf16(fin))
        << "out[" << i / d << "," << i % d << "]";
  }
}

TEST(MoeCombine, ReferenceMatchesOfficial) {
  checkOfficial(9, 300, 4);
  checkOfficial(32, 512, 5);
}

// moe_gather_add: token t adds ye[slots[t, j]] for j in order, from y's
// value, exactly as the per-expert scatter adds them in ascending expert
// order (both are sequences of f32 additions; the comparison is bit-exact).
// With `skipped`, every third slot is -1 (another tensor-parallel rank's
// expert): it adds nothing.
void checkGatherAdd(Target target, int64_t m, int64_t k, int64_t d,
                    uint64_t seed, bool skipped = false) {
  std::mt19937_64 gen(seed);
  HostTensor ye = randomBf16(gen, {m * k, d}, -4, 4);
  std::vector<int32_t> perm(m * k);
  for (int64_t i = 0; i < m * k; ++i)
    perm[i] = int32_t(i);
  std::shuffle(perm.begin(), perm.end(), gen);
  for (int64_t i = 0; skipped && i < m * k; i += 3)
    perm[i] = -1;
  HostTensor slots(T::I32, {m, k});
  std::copy(perm.begin(), perm.end(), i32Data(slots));
  HostTensor y = randomF32(gen, {m, d}, -1, 1);
  std::vector<float> want(f32Data(y), f32Data(y) + m * d);
  for (int64_t t = 0; t < m; ++t)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t c = 0; c < d && perm[t * k + j] >= 0; ++c)
        want[t * d + c] +=
            float(bf16Value(bf16Data(ye)[perm[t * k + j] * d + c]));
  ASSERT_TRUE(launch(target, kernelSource(kFile, "moe_gather_add"),
                     "moe_gather_add",
                     {KArg::buf(ye), KArg::buf(slots), KArg::buf(y),
                      KArg::idx(m), KArg::idx(d), KArg::idx(k)},
                     {m, ceilDiv(d, 256), 1}));
  for (int64_t i = 0; i < m * d; ++i)
    ASSERT_EQ(floatToBits(f32Data(y)[i]), floatToBits(want[i]))
        << "y[" << i / d << "," << i % d << "]";
}

TEST(MoeGatherAdd, ReferenceMatchesOfficialOrder) {
  checkGatherAdd(Target::Reference, 9, 6, 300, 6);
}
TEST(MoeGatherAdd, CpuMatchesOfficialOrder) {
  checkGatherAdd(Target::Cpu, 9, 6, 300, 6);
  checkGatherAdd(Target::Cpu, 1, 6, 512, 7);
}
TEST(MoeGatherAdd, SkipsOtherRanksPicks) {
  for (Target target : {Target::Reference, Target::Cpu})
    checkGatherAdd(target, 9, 6, 300, 8, true);
}

} // namespace
