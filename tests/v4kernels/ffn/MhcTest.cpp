//===- MhcTest.cpp - mhc.mlir: mhc_mix, mhc_pre, mhc_post, mhc_head -------===//
//
// (a) cpu vs reference through conformance::runCase, tolerance 1e-2 of
//     max(1, |ref|): each kernel stores bf16 streams (a different f32
//     summation order may flip one bf16 rounding, <= 2^-7 relative). For
//     mhc_pre, whose post/comb outputs are f32, a second test compares those
//     at 1e-5 (f32 evaluation of exp and 20 Sinkhorn rounds). mhc_mix (the
//     partial sums both read) at 1e-4.
// (b) reference vs the official Block.hc_pre / hc_split_sinkhorn /
//     Block.hc_post / ParallelHead.hc_head in double. Tolerances: bf16
//     outputs 2^-8 |want| (one rounding) + 1e-5 (f32 mix and sigmoid, which
//     enter the result with weights <= ~1); post and comb 1e-5 absolute
//     (values <= 2; f32 dot over 4D <= 1024 terms, then saturating sigmoid or
//     normalisations that do not amplify error).
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::headMixCase;
using v4::cases::mixCase;
using v4::cases::postCase;
using v4::cases::preCase;

namespace {

constexpr int64_t kHc = 4, kMix = 24;
constexpr float kNormEps = 1e-6f, kHcEps = 1e-6f;
constexpr int64_t kIters = 20, kSlices = 32;

TEST(MhcMix, CpuMatchesReferenceRagged) { expectCpuMatchesReference(mixCase(10, 100, 24)); }
TEST(MhcMix, CpuMatchesReferenceHeadRows) { expectCpuMatchesReference(mixCase(5, 1100, 4)); }
TEST(MhcPre, CpuMatchesReferenceRagged) { expectCpuMatchesReference(preCase(10, 100)); }
TEST(MhcPre, CpuMatchesReferenceAligned) { expectCpuMatchesReference(preCase(4, 256)); }
TEST(MhcPost, CpuMatchesReferenceRagged) { expectCpuMatchesReference(postCase(10, 200)); }
TEST(MhcPost, CpuMatchesReferenceAligned) { expectCpuMatchesReference(postCase(4, 128)); }
TEST(MhcPost, CpuMatchesReferenceOneToken) { expectCpuMatchesReference(postCase(1, 300)); }
TEST(MhcHead, CpuMatchesReferenceRagged) { expectCpuMatchesReference(headMixCase(10, 100)); }
TEST(MhcHead, CpuMatchesReferenceAligned) { expectCpuMatchesReference(headMixCase(4, 256)); }

/// Realistic-looking mHC inputs: streams, fn, scale and base.
struct PreInputs {
  HostTensor h, fn, scale, base;
};

PreInputs preInputs(int64_t n, int64_t d, int64_t mix, int64_t nScale,
                    uint64_t seed) {
  std::mt19937_64 gen(seed);
  return PreInputs{randomBf16(gen, {n, kHc, d}, -2, 2),
                   randomF32(gen, {mix, kHc * d}, -0.1, 0.1),
                   randomF32(gen, {nScale}, 0.5, 2),
                   randomF32(gen, {mix}, -1, 1)};
}

/// mhc_mix (the first `rows` rows of fn) into a fresh partial-sum buffer,
/// as the executor runs it before mhc_pre and mhc_head.
HostTensor mixParts(Target target, PreInputs &in, int64_t n, int64_t d,
                    int64_t rows) {
  HostTensor part(T::F32, {n, kSlices, kSlices});
  EXPECT_TRUE(launch(target, kernelSource("mhc.mlir", "mhc_mix"), "mhc_mix",
                     {KArg::buf(in.h), KArg::buf(in.fn), KArg::buf(part),
                      KArg::idx(n), KArg::idx(d), KArg::idx(rows)},
                     {ceilDiv(n, 4), kSlices, 1}));
  return part;
}

/// mhc_mix then mhc_pre on `target`.
bool launchPre(Target target, PreInputs &in, HostTensor &y, HostTensor &post,
               HostTensor &comb, int64_t n, int64_t d) {
  HostTensor part = mixParts(target, in, n, d, kMix);
  return launch(target, kernelSource("mhc.mlir", "mhc_pre"), "mhc_pre",
                {KArg::buf(in.h), KArg::buf(part), KArg::buf(in.scale),
                 KArg::buf(in.base), KArg::buf(y), KArg::buf(post),
                 KArg::buf(comb), KArg::idx(n), KArg::idx(d),
                 KArg::f32(kNormEps), KArg::f32(kHcEps), KArg::idx(kIters)},
                {ceilDiv(n, 4), ceilDiv(d, 256) + 1, 1});
}

TEST(MhcPre, CpuMatchesReferenceF32Outputs) {
  // d = 1100: y spans five column programs (256 wide), the mixes 32
  // slices of 128 + 3 empty ones.
  const int64_t n = 7, d = 1100;
  HostTensor y[2], post[2], comb[2];
  for (int t = 0; t < 2; ++t) {
    PreInputs in = preInputs(n, d, kMix, 3, 31);
    y[t] = HostTensor(T::BF16, {n, d});
    post[t] = HostTensor(T::F32, {n, kHc});
    comb[t] = HostTensor(T::F32, {n, kHc, kHc});
    ASSERT_TRUE(launchPre(t ? Target::Cpu : Target::Reference, in, y[t],
                          post[t], comb[t], n, d));
  }
  Closeness c;
  for (int64_t i = 0; i < n * kHc; ++i)
    c.check(f32Data(post[1])[i], f32Data(post[0])[i], 0, 1e-5,
            "post #" + std::to_string(i));
  for (int64_t i = 0; i < n * kHc * kHc; ++i)
    c.check(f32Data(comb[1])[i], f32Data(comb[0])[i], 0, 1e-5,
            "comb #" + std::to_string(i));
  for (int64_t i = 0; i < n * d; ++i)
    c.check(bf16Value(bf16Data(y[1])[i]), bf16Value(bf16Data(y[0])[i]),
            std::ldexp(1.0, -7), 1e-5, "y #" + std::to_string(i));
  EXPECT_EQ(c.failures, 0) << c.where;
}

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

/// Official mixes of token t: (flatten(h) @ fn^T) * rsqrt(mean(h^2) + eps).
std::vector<double> mixes(PreInputs &in, int64_t t, int64_t d, int64_t mix) {
  int64_t hd = kHc * d;
  double ss = 0;
  for (int64_t j = 0; j < hd; ++j) {
    double v = bf16Value(bf16Data(in.h)[t * hd + j]);
    ss += v * v;
  }
  double rs = 1 / std::sqrt(ss / hd + kNormEps);
  std::vector<double> out(mix);
  for (int64_t r = 0; r < mix; ++r) {
    double dot = 0;
    for (int64_t j = 0; j < hd; ++j)
      dot += bf16Value(bf16Data(in.h)[t * hd + j]) * f32Data(in.fn)[r * hd + j];
    out[r] = dot * rs;
  }
  return out;
}

/// y[t] = sum_i pre_i h[t, i], checked against the kernel's bf16 output.
void checkMix(Closeness &c, PreInputs &in, HostTensor &y, int64_t t, int64_t d,
              const double *pre) {
  for (int64_t j = 0; j < d; ++j) {
    double want = 0;
    for (int64_t i = 0; i < kHc; ++i)
      want += pre[i] * bf16Value(bf16Data(in.h)[(t * kHc + i) * d + j]);
    c.check(bf16Value(bf16Data(y)[t * d + j]), want, std::ldexp(1.0, -8), 1e-5,
            "y[" + std::to_string(t) + "," + std::to_string(j) + "]");
  }
}

TEST(MhcPre, ReferenceMatchesOfficialSinkhorn) {
  const int64_t n = 6, d = 600;
  PreInputs in = preInputs(n, d, kMix, 3, 41);
  HostTensor y(T::BF16, {n, d}), post(T::F32, {n, kHc}),
      comb(T::F32, {n, kHc, kHc});
  ASSERT_TRUE(launchPre(Target::Reference, in, y, post, comb, n, d));
  const float *scale = f32Data(in.scale), *base = f32Data(in.base);
  Closeness c;
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> mx = mixes(in, t, d, kMix);
    double pre[kHc], cm[kHc][kHc];
    for (int64_t i = 0; i < kHc; ++i) {
      pre[i] = sigmoid(mx[i] * scale[0] + base[i]) + kHcEps;
      double postWant = 2 * sigmoid(mx[kHc + i] * scale[1] + base[kHc + i]);
      c.check(f32Data(post)[t * kHc + i], postWant, 0, 1e-5,
              "post[" + std::to_string(t) + "," + std::to_string(i) + "]");
    }
    for (int64_t j = 0; j < kHc; ++j)
      for (int64_t k = 0; k < kHc; ++k)
        cm[j][k] = mx[2 * kHc + j * kHc + k] * scale[2] + base[2 * kHc + j * kHc + k];
    auto rowNorm = [&](bool softmax) {
      for (int64_t j = 0; j < kHc; ++j) {
        double mxv = -INFINITY, sum = 0;
        for (int64_t k = 0; k < kHc; ++k)
          mxv = std::max(mxv, cm[j][k]);
        for (int64_t k = 0; k < kHc; ++k) {
          if (softmax)
            cm[j][k] = std::exp(cm[j][k] - mxv);
          sum += cm[j][k];
        }
        for (int64_t k = 0; k < kHc; ++k)
          cm[j][k] = softmax ? cm[j][k] / sum + kHcEps : cm[j][k] / (sum + kHcEps);
      }
    };
    auto colNorm = [&] {
      for (int64_t k = 0; k < kHc; ++k) {
        double sum = 0;
        for (int64_t j = 0; j < kHc; ++j)
          sum += cm[j][k];
        for (int64_t j = 0; j < kHc; ++j)
          cm[j][k] /= sum + kHcEps;
      }
    };
    rowNorm(true); // softmax(-1) + eps
    colNorm();
    for (int64_t it = 0; it < kIters - 1; ++it) {
      rowNorm(false);
      colNorm();
    }
    for (int64_t j = 0; j < kHc; ++j)
      for (int64_t k = 0; k < kHc; ++k)
        c.check(f32Data(comb)[(t * kHc + j) * kHc + k], cm[j][k], 0, 1e-5,
                "comb[" + std::to_string(t) + "," + std::to_string(j) + "," +
                    std::to_string(k) + "]");
    checkMix(c, in, y, t, d, pre);
  }
  EXPECT_EQ(c.failures, 0) << c.where;
  // Sinkhorn makes comb (nearly) doubly stochastic: a sanity check of the test.
  for (int64_t k = 0; k < kHc; ++k) {
    double col = 0;
    for (int64_t j = 0; j < kHc; ++j)
      col += f32Data(comb)[j * kHc + k];
    EXPECT_NEAR(col, 1.0, 1e-3);
  }
}

TEST(MhcPost, ReferenceMatchesOfficialMath) {
  const int64_t n = 5, d = 150;
  std::mt19937_64 gen(51);
  HostTensor x = randomBf16(gen, {n, d}, -3, 3);
  HostTensor res = randomBf16(gen, {n, kHc, d}, -3, 3);
  HostTensor post = randomF32(gen, {n, kHc}, 0, 2);
  HostTensor comb = randomF32(gen, {n, kHc, kHc}, 0, 1);
  HostTensor out(T::BF16, {n, kHc, d});
  ASSERT_TRUE(launch(Target::Reference, kernelSource("mhc.mlir", "mhc_post"),
                     "mhc_post",
                     {KArg::buf(x), KArg::buf(res), KArg::buf(post),
                      KArg::buf(comb), KArg::buf(out), KArg::idx(n),
                      KArg::idx(d)},
                     {ceilDiv(n, 4), ceilDiv(d, 128), 1}));
  Closeness c;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < kHc; ++k)
      for (int64_t e = 0; e < d; ++e) {
        double want = f32Data(post)[t * kHc + k] * bf16Value(bf16Data(x)[t * d + e]);
        for (int64_t j = 0; j < kHc; ++j)
          want += f32Data(comb)[(t * kHc + j) * kHc + k] *
                  bf16Value(bf16Data(res)[(t * kHc + j) * d + e]);
        c.check(bf16Value(bf16Data(out)[(t * kHc + k) * d + e]), want,
                std::ldexp(1.0, -8), 1e-5,
                "out[" + std::to_string(t) + "," + std::to_string(k) + "," +
                    std::to_string(e) + "]");
      }
  EXPECT_EQ(c.failures, 0) << c.where;
}

TEST(MhcHead, ReferenceMatchesOfficialMath) {
  const int64_t n = 6, d = 600;
  PreInputs in = preInputs(n, d, kHc, 1, 61);
  HostTensor y(T::BF16, {n, d});
  HostTensor part = mixParts(Target::Reference, in, n, d, kHc);
  ASSERT_TRUE(launch(Target::Reference, kernelSource("mhc.mlir", "mhc_head"),
                     "mhc_head",
                     {KArg::buf(in.h), KArg::buf(part), KArg::buf(in.scale),
                      KArg::buf(in.base), KArg::buf(y), KArg::idx(n),
                      KArg::idx(d), KArg::f32(kNormEps), KArg::f32(kHcEps)},
                     {ceilDiv(n, 4), ceilDiv(d, 256), 1}));
  Closeness c;
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> mx = mixes(in, t, d, kHc);
    double pre[kHc];
    for (int64_t i = 0; i < kHc; ++i)
      pre[i] = sigmoid(mx[i] * f32Data(in.scale)[0] + f32Data(in.base)[i]) + kHcEps;
    checkMix(c, in, y, t, d, pre);
  }
  EXPECT_EQ(c.failures, 0) << c.where;
}

} // namespace
