//===- DenseTest.cpp - dense.mlir
//------------------------------------------===//
//
// (a) cpu vs reference on random inputs in [-1, 1): plain (groups 1, aligned,
//     ragged, one decode row, padded row strides) and grouped (the low-rank
//     output projection: ldx = g*k, ldy = g*n). bf16 outputs: tolerance 1e-2
//     of max(1, |ref|), as a different f32 summation order may move a result
//     across a bf16 rounding boundary (one ulp <= 2^-7 relative). f32
//     outputs: 4e-3, the worst-case f32 summation error 2 k 2^-24 sum|ab|
//     with k <= 300 and sum|ab| ~ k / 4 (uniform inputs) is 2.7e-3.
// (b) reference vs plain C++ (bf16 F.linear / the grouped einsum) in double:
//     bf16 output: 2^-8 |want| (one rounding) + k 2^-24 sum|ab| (f32
//     accumulation); f32 output: k 2^-24 sum|ab|. Padding columns of y
//     (ldy > n) must stay untouched.
// (c) split-k: the slices of K, added by each block's last program, equal
//     one slice up to the order of the f32 additions; that sum is exactly
//     the slices' partial sums added in order, and the counters end at 0.
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::denseCase;

namespace {

using Shape = v4::cases::DenseShape;

Shape plain(int64_t m, int64_t n, int64_t k) { return {m, n, k, 1, k, n}; }
Shape grouped(int64_t m, int64_t g, int64_t n, int64_t k) {
  return {m, n, k, g, g * k, g * n};
}

TEST(Dense, CpuMatchesReferenceAligned) {
  expectCpuMatchesReference(denseCase(plain(32, 128, 256), false));
  expectCpuMatchesReference(denseCase(plain(32, 128, 256), true));
}
TEST(Dense, CpuMatchesReferenceRagged) {
  expectCpuMatchesReference(denseCase(plain(37, 150, 300), false));
  expectCpuMatchesReference(denseCase(plain(37, 150, 300), true));
}
TEST(Dense, CpuMatchesReferenceDecodeRowPaddedStrides) {
  expectCpuMatchesReference(denseCase({1, 200, 130, 1, 133, 205}, false));
  expectCpuMatchesReference(denseCase({3, 70, 40, 1, 48, 71}, true));
}
TEST(Dense, CpuMatchesReferenceGrouped) {
  expectCpuMatchesReference(denseCase(grouped(19, 4, 70, 96), false));
  expectCpuMatchesReference(denseCase(grouped(2, 3, 64, 128), false));
  expectCpuMatchesReference(denseCase(grouped(17, 2, 33, 50), true));
}

void checkOfficial(const Shape &s, bool f32Out, uint64_t seed) {
  std::mt19937_64 gen(seed);
  HostTensor x = randomBf16(gen, {s.m, s.ldx}, -2, 2);
  HostTensor w = randomBf16(gen, {s.groups * s.n, s.k}, -1, 1);
  HostTensor y(f32Out ? T::F32 : T::BF16, {s.m, s.ldy});
  std::string name = f32Out ? "matmul_bf16_f32" : "matmul_bf16";
  ASSERT_TRUE(
      launch(Target::Reference, kernelSource("dense.mlir", name), name,
             {KArg::buf(x), KArg::buf(w), KArg::buf(y), KArg::idx(s.m),
              KArg::idx(s.n), KArg::idx(s.k), KArg::idx(s.ldx),
              KArg::idx(s.ldy), KArg::buf(y), KArg::buf(y), KArg::idx(1)},
             {ceilDiv(s.m, 16), ceilDiv(s.n, 64), s.groups}));
  Closeness c;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t j = 0; j < s.n; ++j) {
        double want = 0, mag = 0;
        for (int64_t kk = 0; kk < s.k; ++kk) {
          double p = bf16Value(bf16Data(x)[i * s.ldx + g * s.k + kk]) *
                     bf16Value(bf16Data(w)[(g * s.n + j) * s.k + kk]);
          want += p;
          mag += std::fabs(p);
        }
        int64_t at = i * s.ldy + g * s.n + j;
        double got = f32Out ? f32Data(y)[at] : bf16Value(bf16Data(y)[at]);
        c.check(got, want, f32Out ? 0 : std::ldexp(1.0, -8),
                s.k * std::ldexp(mag, -24),
                "y[" + std::to_string(i) + "," + std::to_string(g) + "," +
                    std::to_string(j) + "]");
      }
  EXPECT_EQ(c.failures, 0) << c.failures << " of " << c.checked
                           << " elements off; first " << c.where;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = s.groups * s.n; j < s.ldy; ++j) {
      int64_t at = i * s.ldy + j;
      ASSERT_EQ(f32Out ? f32Data(y)[at] : bf16Data(y)[at], 0)
          << "padding y[" << i << "," << j << "] written";
    }
}

TEST(Dense, CpuMatchesReferenceSplit) {
  Shape s = plain(37, 150, 300);
  s.splits = 3;
  expectCpuMatchesReference(denseCase(s, false));
  expectCpuMatchesReference(denseCase(s, true));
}

/// One launch over `splits` slices of K: y (bf16, or f32 when f32Out), and
/// the slices' partial sums in `part` when split. The block counters must
/// be back at 0 after it.
HostTensor denseSplit(Target target, const Shape &s, bool f32Out, HostTensor &x,
                      HostTensor &w, int64_t splits, HostTensor &part) {
  const std::string name = f32Out ? "matmul_bf16_f32" : "matmul_bf16";
  HostTensor y(f32Out ? T::F32 : T::BF16, {s.m, s.ldy});
  HostTensor counters(T::I32, {ceilDiv(s.m, 16) * ceilDiv(s.n, 64) * s.groups});
  part = HostTensor(T::F32, {splits, s.m, s.ldy});
  EXPECT_TRUE(launch(target, kernelSource("dense.mlir", name), name,
                     {KArg::buf(x), KArg::buf(w), KArg::buf(y), KArg::idx(s.m),
                      KArg::idx(s.n), KArg::idx(s.k), KArg::idx(s.ldx),
                      KArg::idx(s.ldy), KArg::buf(part), KArg::buf(counters),
                      KArg::idx(splits)},
                     {ceilDiv(s.m, 16), ceilDiv(s.n, 64), s.groups * splits}));
  for (int64_t i = 0; i < counters.numElements(); ++i)
    EXPECT_EQ(i32Data(counters)[i], 0) << "counter " << i << " left set";
  return y;
}

// The last program reads the slices 4 a trip: 6 slices take a second trip
// that is half past them. Its sum is the partial sums added in order from
// slice 0, in f32, exactly (the slices past `splits` add zeros).
TEST(Dense, SplitSumAddsTheSlicesInOrder) {
  const Shape s = plain(19, 70, 6 * 64);
  std::mt19937_64 gen(11);
  HostTensor x = randomBf16(gen, {s.m, s.ldx}, -2, 2);
  HostTensor w = randomBf16(gen, {s.n, s.k}, -1, 1);
  for (Target target : {Target::Reference, Target::Cpu}) {
    HostTensor part;
    HostTensor y = denseSplit(target, s, true, x, w, 6, part);
    int mismatches = 0;
    for (int64_t i = 0; i < s.m * s.n; ++i) {
      float want = 0;
      for (int64_t sp = 0; sp < 6; ++sp)
        want += f32Data(part)[sp * s.m * s.n + i];
      if (f32Data(y)[i] != want && mismatches++ == 0)
        ADD_FAILURE() << "y[" << i << "] = " << f32Data(y)[i] << ", want "
                      << want << (target == Target::Cpu ? " (cpu)" : "");
    }
    EXPECT_EQ(mismatches, 0);
  }
}

// Split-k (what GPUs do for small-M launches): 3 slices of K, added by the
// last program of each block, give the unsplit result up to the order of the
// f32 additions: bf16 within 1e-2 of max(1, |y|) (a rounding boundary), f32
// within 1e-5 (the sum of three partial sums vs one running sum, k = 200 terms
// of |ab| < 4).
void checkSplitMatchesWhole(Target target, const Shape &s, bool f32Out) {
  std::mt19937_64 gen(9);
  HostTensor x = randomBf16(gen, {s.m, s.ldx}, -2, 2);
  HostTensor w = randomBf16(gen, {s.groups * s.n, s.k}, -1, 1);
  HostTensor part;
  HostTensor whole = denseSplit(target, s, f32Out, x, w, 1, part);
  HostTensor split = denseSplit(target, s, f32Out, x, w, 3, part);
  Closeness c;
  for (int64_t i = 0; i < s.m * s.ldy; ++i) {
    double want = f32Out ? f32Data(whole)[i] : bf16Value(bf16Data(whole)[i]);
    double got = f32Out ? f32Data(split)[i] : bf16Value(bf16Data(split)[i]);
    c.check(got, want, f32Out ? 1e-5 : 1e-2, f32Out ? 1e-5 : 1e-2,
            "y #" + std::to_string(i));
  }
  EXPECT_EQ(c.failures, 0) << c.where;
}

TEST(Dense, SplitKMatchesOneSlice) {
  for (Target t : {Target::Reference, Target::Cpu})
    for (bool f32Out : {false, true}) {
      checkSplitMatchesWhole(t, plain(21, 130, 200), f32Out);
      checkSplitMatchesWhole(t, grouped(5, 4, 70, 200), f32Out);
    }
}

TEST(Dense, ReferenceMatchesOfficialLinear) {
  checkOfficial(plain(21, 130, 200), false, 1);
  checkOfficial({5, 70, 100, 1, 104, 75}, false, 2);
}
TEST(Dense, ReferenceMatchesOfficialLinearF32) {
  checkOfficial(plain(21, 130, 200), true, 3);
}
TEST(Dense, ReferenceMatchesOfficialGroupedOutputProjection) {
  checkOfficial(grouped(5, 4, 70, 96), false, 4);
  checkOfficial(grouped(18, 2, 64, 128), false, 5);
}

} // namespace
