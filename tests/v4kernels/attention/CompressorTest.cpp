//===- CompressorTest.cpp - compressor.mlir
//--------------------------------===//
//
// (a) cpu vs reference on random inputs: ratio 4 with overlap (d 512, a
//     2-token tail), ratio 128 plain (d 512), the indexer's compressor
//     (ratio 4 overlap, d 128) and a tiny config (d 40, rd 16, ratio 8).
//     Tolerance 4e-2 of max(1, |ref|): a last-bit difference of exp may flip
//     the bf16 rounding of a pooled value (one ulp, 2^-7 relative), which
//     moves the normalised and rotated bf16 outputs (|y| < 4) by up to two
//     bf16 ulps (2 x 2^-6).
// (b) reference vs the official Compressor.forward (start_pos 0) in double:
//     overlap_transform, per-channel softmax over the window, weighted sum,
//     bf16, RMSNorm (f32 weight from bf16), bf16, RoPE at position
//     e * ratio with the YaRN table of compressed layers, bf16.
//     Tolerance, nope dims: 2^-6 |want| + 1e-6, i.e. a possible one-ulp
//     difference of the bf16 pooled value when the f32 sum lies within f32
//     error of a rounding boundary (2^-7 relative, carried linearly through
//     the norm) plus the final rounding (2^-8). Rope dims: 2^-8 |want| +
//     2^-6 (|xe| + |xo|), the same error of the two inputs of each rotated
//     pair plus the final rounding. Entries past s / ratio stay untouched.
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::cases::compressorCase;

namespace {

const char *kFile = "compressor.mlir";

using Shape = v4::cases::CompressorShape;

TEST(Compressor, CpuMatchesReference) {
  expectCpuMatchesReference(
      compressorCase("overlap4_d512", {2, 18, 512, 64, 4, 1, 5}));
  expectCpuMatchesReference(
      compressorCase("plain128_d512", {1, 300, 512, 64, 128, 0, 2}));
  expectCpuMatchesReference(
      compressorCase("indexer_d128", {1, 13, 128, 64, 4, 1, 3}));
  expectCpuMatchesReference(
      compressorCase("tiny_d40_rd16_r8", {2, 27, 40, 16, 8, 0, 4}));
}

/// YaRN-scaled freqs of compressed layers (official precompute_freqs_cis:
/// compress_rope_theta 160000, factor 16, original_seq_len 65536, beta 32/1).
HostTensor yarnTable(int64_t rd, int64_t npos) {
  const double base = 160000, factor = 16, orig = 65536;
  auto corrDim = [&](double rot) {
    return rd * std::log(orig / (rot * 2 * M_PI)) / (2 * std::log(base));
  };
  double low = std::max(std::floor(corrDim(32)), 0.0);
  double high = std::min(std::ceil(corrDim(1)), double(rd - 1));
  HostTensor t(T::F32, {npos, rd / 2, 2});
  for (int64_t j = 0; j < rd / 2; ++j) {
    double f = 1.0 / std::pow(base, double(2 * j) / rd);
    double smooth = 1 - std::clamp((j - low) / (high - low), 0.0, 1.0);
    f = f / factor * (1 - smooth) + f * smooth;
    for (int64_t p = 0; p < npos; ++p) {
      f32Data(t)[(p * rd / 2 + j) * 2] = float(std::cos(p * f));
      f32Data(t)[(p * rd / 2 + j) * 2 + 1] = float(std::sin(p * f));
    }
  }
  return t;
}

void checkOfficial(const Shape &sh, uint64_t seed) {
  const double eps = 1e-6;
  std::mt19937_64 gen(seed);
  int64_t cw = (1 + sh.overlap) * sh.d, n = sh.s / sh.ratio;
  int64_t npos = n * sh.ratio + 1;
  HostTensor kv = randomF32(gen, {sh.b, sh.s, cw}, -1, 1);
  HostTensor score = randomF32(gen, {sh.b, sh.s, cw}, -3, 3);
  HostTensor ape = randomF32(gen, {sh.ratio, cw}, -1, 1);
  HostTensor w = randomBf16(gen, {sh.d}, 0.5, 1.5);
  HostTensor tab = yarnTable(sh.rd, npos);
  HostTensor out(T::BF16, {sh.b, sh.orows, sh.d});
  ASSERT_TRUE(
      launch(Target::Reference, kernelSource(kFile, "compressor"), "compressor",
             {KArg::buf(kv), KArg::buf(score), KArg::buf(ape), KArg::buf(w),
              KArg::buf(tab), KArg::buf(out), KArg::idx(sh.s), KArg::idx(sh.d),
              KArg::idx(sh.rd), KArg::idx(sh.ratio), KArg::idx(sh.overlap),
              KArg::idx(sh.orows), KArg::f32(float(eps))},
             {n, sh.b, 1}));

  Closeness c;
  for (int64_t bi = 0; bi < sh.b; ++bi) {
    for (int64_t e = 0; e < n; ++e) {
      // Pooling: the window's (row, channel) pairs for output channel ch.
      std::vector<double> x(sh.d);
      for (int64_t ch = 0; ch < sh.d; ++ch) {
        std::vector<std::pair<double, double>> win; // (score, kv)
        auto add = [&](int64_t token, int64_t r, int64_t col) {
          int64_t at = (bi * sh.s + token) * cw + col;
          win.push_back(
              {f32Data(score)[at] + double(f32Data(ape)[r * cw + col]),
               f32Data(kv)[at]});
        };
        if (sh.overlap) {
          if (e > 0) // overlap_transform: previous block, first half
            for (int64_t r = 0; r < sh.ratio; ++r)
              add((e - 1) * sh.ratio + r, r, ch);
          for (int64_t r = 0; r < sh.ratio; ++r) // this block, second half
            add(e * sh.ratio + r, r, sh.d + ch);
        } else {
          for (int64_t r = 0; r < sh.ratio; ++r)
            add(e * sh.ratio + r, r, ch);
        }
        double mx = -INFINITY, den = 0, num = 0;
        for (auto &[s, v] : win)
          mx = std::max(mx, s);
        for (auto &[s, v] : win) {
          den += std::exp(s - mx);
          num += std::exp(s - mx) * v;
        }
        x[ch] = roundBf16(num / den); // kv.to(bf16)
      }
      double ss = 0;
      for (double v : x)
        ss += v * v;
      double inv = 1 / std::sqrt(ss / sh.d + eps);
      std::vector<double> y(sh.d);
      for (int64_t ch = 0; ch < sh.d; ++ch)
        y[ch] = roundBf16(bf16At(w, ch) * (x[ch] * inv));
      int64_t orow = (bi * sh.orows + e) * sh.d, nope = sh.d - sh.rd;
      for (int64_t ch = 0; ch < nope; ++ch)
        c.check(bf16At(out, orow + ch), y[ch], std::ldexp(1.0, -6), 1e-6,
                "out" + at({bi, e, ch}));
      int64_t p = e * sh.ratio;
      for (int64_t j = 0; j < sh.rd / 2; ++j) {
        double xe = y[nope + 2 * j], xo = y[nope + 2 * j + 1];
        double cs = f32Data(tab)[(p * sh.rd / 2 + j) * 2];
        double sn = f32Data(tab)[(p * sh.rd / 2 + j) * 2 + 1];
        double tol = std::ldexp(1.0, -6) * (std::fabs(xe) + std::fabs(xo));
        c.check(bf16At(out, orow + nope + 2 * j), xe * cs - xo * sn,
                std::ldexp(1.0, -8), tol, "out" + at({bi, e, nope + 2 * j}));
        c.check(bf16At(out, orow + nope + 2 * j + 1), xe * sn + xo * cs,
                std::ldexp(1.0, -8), tol,
                "out" + at({bi, e, nope + 2 * j + 1}));
      }
    }
    for (int64_t e = n; e < sh.orows; ++e)
      for (int64_t ch = 0; ch < sh.d; ++ch)
        ASSERT_EQ(bf16Data(out)[(bi * sh.orows + e) * sh.d + ch], 0)
            << "entry " << e << " past s / ratio was written";
  }
  EXPECT_EQ(c.failures, 0) << c.failures << " of " << c.checked
                           << " elements off; first " << c.where;
}

TEST(Compressor, ReferenceMatchesOfficialOverlapRatio4) {
  checkOfficial({2, 18, 512, 64, 4, 1, 5}, 1);
}
TEST(Compressor, ReferenceMatchesOfficialPlainRatio128) {
  checkOfficial({1, 260, 512, 64, 128, 0, 3}, 2);
}
TEST(Compressor, ReferenceMatchesOfficialIndexerCompressor) {
  checkOfficial({1, 13, 128, 64, 4, 1, 4}, 3);
}

} // namespace
