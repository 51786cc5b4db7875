//===- SwigluTest.cpp - swiglu.mlir ----------------------------------------===//
//
// (a) cpu vs reference, tolerance 1e-2 of max(1, |ref|): bf16 outputs, and
//     the targets' exp may differ in the last f32 bit, which can move a
//     result across a bf16 rounding boundary (one ulp <= 2^-7 relative).
// (b) reference vs the official Expert.forward activation in double:
//     w * silu(min(g, L)) * clamp(u, -L, L), rounded to bf16 by the kernel.
//     Tolerance 2^-8 |want| (one bf16 rounding) + 1e-6 (f32 evaluation of
//     exp / divide, relative ~1e-7 of values below 100).
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::swigluCase;

namespace {

// Random inputs lie in [-1, 1): a limit of 0.5 makes both clamps active.
TEST(Swiglu, CpuMatchesReferenceRaggedClamped) {
  expectCpuMatchesReference(swigluCase(37, 300, true, 0.5));
}
TEST(Swiglu, CpuMatchesReferenceSharedNoLimit) {
  expectCpuMatchesReference(swigluCase(16, 256, false, 0));
}
TEST(Swiglu, CpuMatchesReferenceDecode) {
  expectCpuMatchesReference(swigluCase(3, 700, true, 10));
}

void checkOfficial(bool weighted, float limit) {
  const int64_t m = 19, n = 300;
  std::mt19937_64 gen(weighted ? 3 : 4);
  HostTensor g = randomBf16(gen, {m, n}, -15, 15);
  HostTensor u = randomBf16(gen, {m, n}, -15, 15);
  HostTensor rw = randomF32(gen, {m}, 0, 1.5);
  HostTensor out(T::BF16, {m, n});
  ASSERT_TRUE(launch(Target::Reference, kernelSource("swiglu.mlir"), "swiglu",
                     {KArg::buf(g), KArg::buf(u), KArg::buf(rw), KArg::buf(out),
                      KArg::idx(m), KArg::idx(n), KArg::idx(weighted ? m : 0),
                      KArg::f32(limit)},
                     {ceilDiv(m, 4), ceilDiv(n, 256), 1}));
  Closeness c;
  int clampedGates = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double gate = bf16Value(bf16Data(g)[i * n + j]);
      double up = bf16Value(bf16Data(u)[i * n + j]);
      if (limit > 0) {
        clampedGates += gate > limit;
        gate = std::min(gate, double(limit));
        up = std::max(-double(limit), std::min(double(limit), up));
      }
      double want = gate / (1 + std::exp(-gate)) * up;
      if (weighted)
        want *= f32Data(rw)[i];
      c.check(bf16Value(bf16Data(out)[i * n + j]), want, std::ldexp(1.0, -8),
              1e-6, "out[" + std::to_string(i) + "," + std::to_string(j) + "]");
    }
  EXPECT_EQ(c.failures, 0) << c.where;
  if (limit > 0)
    EXPECT_GT(clampedGates, 0); // the test exercises the clamp
}

TEST(Swiglu, ReferenceMatchesOfficialRoutedExpert) { checkOfficial(true, 10); }
TEST(Swiglu, ReferenceMatchesOfficialSharedExpert) { checkOfficial(false, 10); }
TEST(Swiglu, ReferenceMatchesOfficialNoLimit) { checkOfficial(true, 0); }

} // namespace
