//===- HeadRmsTest.cpp - head_rms.mlir -------------------------------------===//
//
// (a) cpu vs reference on random inputs (aligned, ragged rows and columns,
//     hd 1024). Tolerance 2e-2 of max(1, |ref|): the targets' f32 sum order
//     and rsqrt may differ in the last f32 bit, which can flip the bf16
//     rounding of ms or r (one ulp, <= 2^-7 relative) and then that of the
//     output (another ulp): two bf16 ulps, 2^-6.
// (b) reference vs the official bf16 chain in plain C++: sq = bf16(x*x),
//     ms = bf16(mean) (the sum in double), t = bf16(ms + eps),
//     r = bf16(1/sqrt(t)), out = bf16(x * r). The kernel sums in f32, which
//     may flip the rounding of ms when the mean lies within f32 error of a
//     bf16 boundary; tolerance 2^-6 |want| (two ulps, as in (a)), and at
//     least 99% of the elements must be bit-exact. Rows include all zeros
//     and tiny values (eps dominates) and large values.
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::headRmsCase;

namespace {

TEST(HeadRms, CpuMatchesReference) {
  expectCpuMatchesReference(headRmsCase(32, 512));
  expectCpuMatchesReference(headRmsCase(37, 512));
  expectCpuMatchesReference(headRmsCase(5, 300));
  expectCpuMatchesReference(headRmsCase(18, 1024));
}

void checkOfficial(int64_t rows, int64_t hd, uint64_t seed) {
  const float eps = 1e-6f;
  std::mt19937_64 gen(seed);
  HostTensor x(T::BF16, {rows, hd});
  std::uniform_real_distribution<double> u(-1, 1);
  for (int64_t i = 0; i < rows; ++i) {
    double scale = std::ldexp(1.0, int(i % 9) * 3 - 14); // 2^-14 .. 2^10
    for (int64_t c = 0; c < hd; ++c)
      bf16Data(x)[i * hd + c] = i == 1 ? 0 : toBf16(float(u(gen) * scale));
  }
  HostTensor in = x;
  ASSERT_TRUE(launch(Target::Reference, kernelSource("head_rms.mlir"),
                     "head_rms",
                     {KArg::buf(x), KArg::idx(rows), KArg::idx(hd),
                      KArg::f32(eps)},
                     {ceilDiv(rows, 16), 1, 1}));
  Closeness c;
  int exact = 0;
  for (int64_t i = 0; i < rows; ++i) {
    double sum = 0;
    for (int64_t k = 0; k < hd; ++k) {
      double v = bf16Value(bf16Data(in)[i * hd + k]);
      sum += roundBf16(v * v);
    }
    double ms = roundBf16(sum / hd);
    double t = roundBf16(float(ms) + eps);
    double r = roundBf16(1 / std::sqrt(t));
    for (int64_t k = 0; k < hd; ++k) {
      double v = bf16Value(bf16Data(in)[i * hd + k]);
      double want = roundBf16(v * r);
      double got = bf16Value(bf16Data(x)[i * hd + k]);
      exact += got == want;
      c.check(got, want, std::ldexp(1.0, -6), 0,
              "x[" + std::to_string(i) + "," + std::to_string(k) + "]");
    }
  }
  EXPECT_EQ(c.failures, 0) << c.failures << " of " << c.checked
                           << " elements off; first " << c.where;
  EXPECT_GE(exact, c.checked * 99 / 100) << "bit-exact: " << exact;
}

TEST(HeadRms, ReferenceMatchesOfficial) {
  checkOfficial(37, 512, 1);
  checkOfficial(9, 200, 2);
  checkOfficial(16, 1024, 3);
}

} // namespace
