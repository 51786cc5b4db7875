//===- RopeTest.cpp - rope.mlir
//---------------------------------------------===//
//
// @rope
// (a) cpu vs reference on random inputs, a random table and random starts
//     per batch entry: q-like (9 heads of 128, starts <= 5), kv /
//     compressed-entry-like (1 head of 512, position step 4, inverse) and a
//     tiny config (rd 16 of hd 40). Tolerance 1e-2 of
//     max(1, |ref|): outputs are bf16 below 2 in magnitude (one ulp <= 2^-7),
//     and a target may contract x*c - y*s into an fma (one f32 ulp), which
//     can cross a bf16 rounding boundary.
// (b) reference vs apply_rotary_emb in double on bf16 inputs and an f32
//     table: (xe + i xo)(c +- i s). Tolerance 2^-8 |want| + 1e-6: one bf16
//     rounding (unit roundoff 2^-8) and the f32 products and sum (~2^-24 of
//     |xe| + |xo| < 4, i.e. < 1e-6), each batch entry at its own start
//     position. The nope dims must be untouched. Also
//     rope then inverse rope gives x back within two bf16 roundings.
// @rope_table
// (a) cpu vs reference, tolerance 1e-4: positions < 300, so a one-ulp
//     difference of powf (6e-8 relative) moves an angle by < 2e-5.
// (b) reference vs precompute_freqs_cis in double, V4-Flash parameters, with
//     and without YaRN: |got - want| <= 4e-6 + p * freq_j * 2^-20: the table
//     is computed in f32 as torch does (freq within a few f32 ulps after pow,
//     division and the YaRN blend, the angle p * freq rounded to f32), and
//     cos / sin of an angle off by e are off by at most e.
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::cases::ropeCase;
using v4::cases::tableCase;

namespace {

const char *kFile = "rope.mlir";

TEST(Rope, CpuMatchesReference) {
  expectCpuMatchesReference(
      ropeCase("q_b2_s19_h9_hd128", 2, 19, 9, 128, 64, 5, 1, 0));
  expectCpuMatchesReference(
      ropeCase("kv_inverse_step4", 2, 33, 1, 512, 64, 3, 4, 1));
  expectCpuMatchesReference(
      ropeCase("tiny_rd16_hd40", 1, 7, 3, 40, 16, 0, 1, 0));
}

/// The official precompute_freqs_cis in double: freq_j and, for YaRN, the
/// correction range (low, high) it derives.
struct Freqs {
  std::vector<double> freq;
  double low = 0, high = 0;
};
Freqs officialFreqs(int dim, double base, bool yarn, double factor,
                    double origLen, double betaFast, double betaSlow) {
  Freqs f;
  for (int j = 0; j < dim / 2; ++j)
    f.freq.push_back(1.0 / std::pow(base, double(2 * j) / dim));
  if (!yarn)
    return f;
  auto corrDim = [&](double rot) {
    return dim * std::log(origLen / (rot * 2 * M_PI)) / (2 * std::log(base));
  };
  f.low = std::max(std::floor(corrDim(betaFast)), 0.0);
  f.high = std::min(std::ceil(corrDim(betaSlow)), double(dim - 1));
  if (f.low == f.high)
    f.high += 0.001;
  for (int j = 0; j < dim / 2; ++j) {
    double ramp = std::clamp((j - f.low) / (f.high - f.low), 0.0, 1.0);
    double smooth = 1 - ramp;
    f.freq[j] = f.freq[j] / factor * (1 - smooth) + f.freq[j] * smooth;
  }
  return f;
}

/// An f32 table [npos, rd/2, 2] of (cos, sin)(p * freq_j), from doubles.
HostTensor tableOf(const Freqs &f, int64_t npos) {
  int64_t half = int64_t(f.freq.size());
  HostTensor t(T::F32, {npos, half, 2});
  for (int64_t p = 0; p < npos; ++p)
    for (int64_t j = 0; j < half; ++j) {
      f32Data(t)[(p * half + j) * 2] = float(std::cos(p * f.freq[j]));
      f32Data(t)[(p * half + j) * 2 + 1] = float(std::sin(p * f.freq[j]));
    }
  return t;
}

/// Batch entry bi starts at pos0 + 3 * bi (one launch, several positions).
void checkOfficialRope(int64_t b, int64_t s, int64_t nh, int64_t hd, int64_t rd,
                       int64_t pos0, int64_t pstep, bool inverse,
                       uint64_t seed) {
  std::mt19937_64 gen(seed);
  int64_t npos = pos0 + 3 * (b - 1) + (s - 1) * pstep + 1;
  HostTensor starts(T::I32, {b});
  for (int64_t bi = 0; bi < b; ++bi)
    i32Data(starts)[bi] = int32_t(pos0 + 3 * bi);
  Freqs f = officialFreqs(int(rd), 160000, true, 16, 65536, 32, 1);
  HostTensor tab = tableOf(f, npos);
  HostTensor x0 = randomBf16(gen, {b, s, nh, hd}, -2, 2);
  HostTensor x = x0;
  std::string src = kernelSource(kFile, "rope");
  std::vector<KArg> args = {
      KArg::buf(x),       KArg::buf(tab), KArg::idx(s),      KArg::idx(nh),
      KArg::idx(hd),      KArg::idx(rd),  KArg::buf(starts), KArg::idx(pstep),
      KArg::idx(inverse), KArg::idx(b)};
  Grid grid{ceilDiv(b * s, 16), 1, ceilDiv(nh, 8)};
  ASSERT_TRUE(launch(Target::Reference, src, "rope", args, grid));

  Closeness c;
  int64_t half = rd / 2;
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t i = 0; i < s; ++i)
      for (int64_t h = 0; h < nh; ++h) {
        int64_t base = ((bi * s + i) * nh + h) * hd;
        for (int64_t k = 0; k < hd - rd; ++k)
          ASSERT_EQ(bf16Data(x)[base + k], bf16Data(x0)[base + k])
              << "nope dim changed at " << at({bi, i, h, k});
        int64_t p = pos0 + 3 * bi + i * pstep;
        for (int64_t j = 0; j < half; ++j) {
          int64_t e = base + hd - rd + 2 * j;
          double xe = bf16At(x0, e), xo = bf16At(x0, e + 1);
          double cs = f32Data(tab)[(p * half + j) * 2];
          double sn = f32Data(tab)[(p * half + j) * 2 + 1];
          if (inverse)
            sn = -sn;
          c.check(bf16At(x, e), xe * cs - xo * sn, std::ldexp(1.0, -8), 1e-6,
                  "x" + at({bi, i, h, hd - rd + 2 * j}));
          c.check(bf16At(x, e + 1), xe * sn + xo * cs, std::ldexp(1.0, -8),
                  1e-6, "x" + at({bi, i, h, hd - rd + 2 * j + 1}));
        }
      }
  EXPECT_EQ(c.failures, 0) << c.failures << " of " << c.checked
                           << " elements off; first " << c.where;

  // Rotating back (the other direction) restores x within two roundings:
  // |x'' - x| <= 2^-8 |x| (last rounding) + 2^-8 |pair| (first rounding,
  // carried through a rotation) + f32 error.
  args[8] = KArg::idx(inverse ? 0 : 1); // the other direction
  ASSERT_TRUE(launch(Target::Reference, src, "rope", args, grid));
  Closeness back;
  for (int64_t e = 0; e < x.numElements(); e += 2) {
    double pair = std::hypot(bf16At(x0, e), bf16At(x0, e + 1));
    for (int64_t k : {e, e + 1})
      back.check(bf16At(x, k), bf16At(x0, k), std::ldexp(1.0, -8),
                 std::ldexp(1.0, -8) * pair * 1.01 + 1e-6,
                 "x[" + std::to_string(k) + "]");
  }
  EXPECT_EQ(back.failures, 0) << back.where;
}

TEST(Rope, ReferenceMatchesOfficialQ) {
  checkOfficialRope(2, 21, 10, 128, 64, 7, 1, false, 1);
}
TEST(Rope, ReferenceMatchesOfficialInverseOfO) {
  checkOfficialRope(1, 5, 17, 512, 64, 1000, 1, true, 2);
}
TEST(Rope, ReferenceMatchesOfficialCompressedPositions) {
  checkOfficialRope(2, 9, 1, 512, 64, 0, 128, false, 3);
}

TEST(RopeTable, CpuMatchesReference) {
  expectCpuMatchesReference(tableCase("yarn_299", 299, 1));
  expectCpuMatchesReference(tableCase("plain_40", 40, 0));
}

void checkOfficialTable(bool yarn, double base, int64_t npos) {
  const int rd = 64;
  Freqs f = officialFreqs(rd, base, yarn, 16, 65536, 32, 1);
  HostTensor tab(T::F32, {npos, rd / 2, 2});
  ASSERT_TRUE(
      launch(Target::Reference, kernelSource(kFile, "rope_table"), "rope_table",
             {KArg::buf(tab), KArg::idx(npos), KArg::idx(rd),
              KArg::f32(float(base)), KArg::idx(yarn ? 1 : 0), KArg::f32(16),
              KArg::f32(float(f.low)), KArg::f32(float(f.high))},
             {ceilDiv(npos, 16), 1, 1}));
  Closeness c;
  for (int64_t p = 0; p < npos; ++p)
    for (int64_t j = 0; j < rd / 2; ++j) {
      double ang = p * f.freq[j];
      double tol = 4e-6 + ang * std::ldexp(1.0, -20);
      c.check(f32Data(tab)[(p * rd / 2 + j) * 2], std::cos(ang), 0, tol,
              "cos" + at({p, j}));
      c.check(f32Data(tab)[(p * rd / 2 + j) * 2 + 1], std::sin(ang), 0, tol,
              "sin" + at({p, j}));
    }
  EXPECT_EQ(c.failures, 0) << c.failures << " of " << c.checked
                           << " elements off; first " << c.where;
}

TEST(RopeTable, ReferenceMatchesOfficialYarn) {
  // Compressed layers: compress_rope_theta 160000, YaRN factor 16.
  checkOfficialTable(true, 160000, 2000);
}
TEST(RopeTable, ReferenceMatchesOfficialPlain) {
  // Sliding-window-only layers: rope_theta 10000, no YaRN.
  checkOfficialTable(false, 10000, 2000);
}

} // namespace
