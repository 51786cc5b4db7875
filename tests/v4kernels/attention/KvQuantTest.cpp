//===- KvQuantTest.cpp - kv_quant.mlir -------------------------------------===//
//
// (a) cpu vs reference on random rows: V4's 448-of-512 layout, a strided
//     row layout, and a tiny config whose quantised width (24) is a partial
//     block. Tolerance 0: with a power-of-two scale every step is exact or a
//     single specified rounding (to e4m3, ties to even).
// (b) reference vs the official act_quant(kv[..., :448], 64, "ue8m0",
//     inplace=True) (later revision: inner rounding to e4m3) written here in
//     plain C++: per row and block of 64, amax = max(max|x|, 1e-4),
//     s = 2^ceil(log2(f32(amax * f32(1/448)))), x = bf16(e4m3(x / s) * s).
//     Tolerance 0, for the same reason; the inputs span 2^-30..2^10 per
//     block, include an all-zero block and blocks below the 1e-4 floor, so
//     e4m3 subnormals, underflow to 0 and the floor are exercised. The rope
//     dims and rows past `rows` must be untouched.
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::cases::quantCase;

namespace {

const char *kFile = "kv_quant.mlir";

TEST(KvQuant, CpuMatchesReference) {
  expectCpuMatchesReference(quantCase("v4_37x512", 37, 512, 448));
  expectCpuMatchesReference(quantCase("strided_5x576", 5, 576, 448));
  expectCpuMatchesReference(quantCase("tiny_16x40_nq24", 16, 40, 24));
}

TEST(KvQuant, ReferenceMatchesOfficialActQuant) {
  const int64_t rows = 19, ld = 512, nq = 448, allocRows = 21;
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_int_distribution<int> ex(-30, 10);
  HostTensor x0(T::BF16, {allocRows, ld});
  for (int64_t r = 0; r < allocRows; ++r)
    for (int64_t blk = 0; blk < ld / 64; ++blk) {
      int e = ex(gen); // one magnitude per block, values spread below it
      for (int64_t j = 0; j < 64; ++j) {
        double v = u(gen) * std::ldexp(1.0, e) * std::pow(2.0, -8 * u(gen) - 8);
        if (r == 3 && blk == 2)
          v = 0; // all-zero block: scale from the 1e-4 floor
        if (r == 4)
          v = u(gen) * 1e-6; // below the floor
        bf16Data(x0)[r * ld + blk * 64 + j] = toBf16(float(v));
      }
    }
  HostTensor x = x0;
  ASSERT_TRUE(launch(Target::Reference, kernelSource(kFile, "kv_quant"),
                     "kv_quant",
                     {KArg::buf(x), KArg::idx(rows), KArg::idx(ld),
                      KArg::idx(nq)},
                     {ceilDiv(rows, 16), ceilDiv(nq, 64), 1}));
  int mismatches = 0, subnormals = 0, zeros = 0;
  std::string first;
  for (int64_t r = 0; r < allocRows; ++r)
    for (int64_t blk = 0; blk < ld / 64; ++blk) {
      bool quantised = r < rows && blk * 64 < nq;
      float amax = 0;
      for (int64_t j = 0; j < 64; ++j)
        amax = std::max(amax, float(std::fabs(bf16At(x0, r * ld + blk * 64 + j))));
      double s = pow2Scale(amax, 1e-4f, 1.0f / 448.0f);
      for (int64_t j = 0; j < 64; ++j) {
        int64_t i = r * ld + blk * 64 + j;
        double want = bf16At(x0, i);
        if (quantised) {
          double q = roundE4m3(want / s);
          subnormals += q != 0 && std::fabs(q) < std::ldexp(1.0, -6);
          zeros += q == 0 && want != 0;
          want = roundBf16(q * s);
        }
        if (bf16At(x, i) != want && mismatches++ == 0)
          first = "x" + at({r, blk * 64 + j}) + ": got " +
                  std::to_string(bf16At(x, i)) + ", want " + std::to_string(want);
      }
    }
  EXPECT_EQ(mismatches, 0) << first;
  EXPECT_GT(subnormals, 0); // the test reaches e4m3 subnormals
  EXPECT_GT(zeros, 0);      // and values that round to 0
}

} // namespace
