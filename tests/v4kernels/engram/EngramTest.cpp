//===- EngramTest.cpp - engram.mlir ---------------------------------------===//
//
// (a) cpu vs reference on random inputs: the hash exactly; the f32 gate and
//     conv to 1e-5 of max(1, |ref|) (targets' exp/sqrt may differ in the
//     last f32 bit), the conv's bf16 residual to 1e-2 (one bf16 ulp).
// (b) reference vs plain C++ of engram_demo_v1.py's math (Engram.forward,
//     NgramHashMapping, ShortConv) in double: the hash exactly; the gated
//     value to 1e-5 relative + 1e-6; the residual to one bf16 rounding.
// (c) decode agreement: the conv over 11 rows at once equals the same rows
//     one at a time with the state (the last (K-1)*dil normalised rows)
//     carried, bit for bit.
//
//===----------------------------------------------------------------------===//
#include "tests/v4kernels/KernelTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::kerneltest;
using v4::cases::convCase;
using v4::cases::convNormCase;
using v4::cases::hashCase;

namespace {

const char *kFile = "engram.mlir";

//===----------------------------------------------------------------------===//
// engram_hash
//===----------------------------------------------------------------------===//

TEST(EngramHash, CpuMatchesReference) {
  expectCpuMatchesReference(hashCase(37, 3, 8));
  expectCpuMatchesReference(hashCase(5, 4, 16));
  expectCpuMatchesReference(hashCase(16, 2, 3));
}

/// The demo's hash with its shifts: ctx[r, k] = ids[r - k] or pad.
TEST(EngramHash, ReferenceMatchesDemoMath) {
  const int64_t len = 29, N = 3, H = 4, cols = (N - 1) * H, pad = 7;
  std::mt19937_64 gen(11);
  std::vector<int64_t> ids(len);
  for (auto &v : ids)
    v = int64_t(gen() % 129280);
  HostTensor ctx(T::I64, {len, N}), mult(T::I64, {N}), prime(T::I64, {cols}),
      offset(T::I64, {cols}), out(T::I64, {len, cols});
  for (int64_t r = 0; r < len; ++r)
    for (int64_t k = 0; k < N; ++k)
      i64Data(ctx)[r * N + k] = r - k >= 0 ? ids[r - k] : pad;
  // Odd multipliers below int64 max / vocab / 2, as the demo draws them.
  const int64_t half = (INT64_MAX / 129280) / 2;
  for (int64_t k = 0; k < N; ++k)
    i64Data(mult)[k] = int64_t(gen() % uint64_t(half)) * 2 + 1;
  const int64_t primes[] = {646403, 646411, 646421, 646423,
                            646433, 646453, 646519, 646537};
  int64_t acc = 0;
  for (int64_t c = 0; c < cols; ++c) {
    i64Data(prime)[c] = primes[c];
    i64Data(offset)[c] = acc;
    acc += primes[c];
  }
  ASSERT_TRUE(launch(Target::Reference, kernelSource(kFile, "engram_hash"),
                     "engram_hash",
                     {KArg::buf(ctx), KArg::buf(mult), KArg::buf(prime),
                      KArg::buf(offset), KArg::buf(out), KArg::idx(len),
                      KArg::idx(N), KArg::idx(H)},
                     {ceilDiv(len, 16), 1, 1}));
  for (int64_t r = 0; r < len; ++r)
    for (int64_t n = 2; n <= N; ++n) {
      int64_t mix = 0;
      for (int64_t k = 0; k < n; ++k) {
        int64_t tok = r - k >= 0 ? ids[r - k] : pad;
        mix ^= tok * i64Data(mult)[k];
      }
      for (int64_t j = 0; j < H; ++j) {
        int64_t c = (n - 2) * H + j;
        EXPECT_EQ(i64Data(out)[r * cols + c],
                  mix % primes[c] + i64Data(offset)[c])
            << "row " << r << " col " << c;
      }
    }
}

//===----------------------------------------------------------------------===//
// engram_gate
//===----------------------------------------------------------------------===//

TEST(EngramGate, CpuMatchesReference) {
  expectCpuMatchesReference(v4::cases::engramGateCase(7, 4, 300));
  expectCpuMatchesReference(v4::cases::engramGateCase(1, 4, 64));
}

TEST(EngramGate, ReferenceMatchesDemoMath) {
  const int64_t rows = 5, hc = 4, d = 300;
  const float eps = 1.1920929e-07f;
  std::mt19937_64 gen(21);
  HostTensor key = randomF32(gen, {rows, hc, d}, -2, 2);
  HostTensor kb = randomBf16(gen, {hc, d}, -0.5, 0.5);
  HostTensor val = randomF32(gen, {rows, d}, -2, 2);
  HostTensor vb = randomBf16(gen, {d}, -0.5, 0.5);
  HostTensor n1 = randomBf16(gen, {hc, d}, 0.5, 1.5);
  HostTensor n2 = randomBf16(gen, {hc, d}, 0.5, 1.5);
  HostTensor h = randomBf16(gen, {rows, hc, d}, -3, 3);
  HostTensor out(T::F32, {rows, hc, d});
  ASSERT_TRUE(launch(Target::Reference, kernelSource(kFile, "engram_gate"),
                     "engram_gate",
                     {KArg::buf(key), KArg::buf(kb), KArg::buf(val),
                      KArg::buf(vb), KArg::buf(n1), KArg::buf(n2),
                      KArg::buf(h), KArg::buf(out), KArg::idx(rows),
                      KArg::idx(hc), KArg::idx(d), KArg::f32(eps)},
                     {rows, hc, 1}));
  Closeness c;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t s = 0; s < hc; ++s) {
      std::vector<double> k(d), q(d);
      double kk = 0, qq = 0;
      for (int64_t i = 0; i < d; ++i) {
        k[i] = f32Data(key)[(r * hc + s) * d + i] +
               bf16Value(bf16Data(kb)[s * d + i]);
        q[i] = bf16Value(bf16Data(h)[(r * hc + s) * d + i]);
        kk += k[i] * k[i];
        qq += q[i] * q[i];
      }
      double ik = 1 / std::sqrt(kk / d + eps), iq = 1 / std::sqrt(qq / d + eps);
      double g = 0;
      for (int64_t i = 0; i < d; ++i)
        g += k[i] * ik * bf16Value(bf16Data(n1)[s * d + i]) * q[i] * iq *
             bf16Value(bf16Data(n2)[s * d + i]);
      g /= std::sqrt(double(d));
      double sg = g == 0 ? 0 : std::copysign(std::sqrt(std::max(std::fabs(g), 1e-6)), g);
      double gate = 1 / (1 + std::exp(-sg));
      for (int64_t i = 0; i < d; ++i) {
        double want = gate * (f32Data(val)[r * d + i] +
                              bf16Value(bf16Data(vb)[i]));
        c.check(f32Data(out)[(r * hc + s) * d + i], want, 1e-5, 1e-6,
                "out[" + std::to_string(r) + "," + std::to_string(s) + "," +
                    std::to_string(i) + "]");
      }
    }
  EXPECT_EQ(c.failures, 0) << c.where;
}

//===----------------------------------------------------------------------===//
// engram_conv_norm + engram_conv (ShortConv and the residual add)
//===----------------------------------------------------------------------===//

using ConvShape = v4::cases::ConvShape;

TEST(EngramConv, CpuMatchesReference) {
  ConvShape s;
  expectCpuMatchesReference(convNormCase(s));
  expectCpuMatchesReference(convCase(s));
  ConvShape one;
  one.rows = 1;
  expectCpuMatchesReference(convNormCase(one));
  expectCpuMatchesReference(convCase(one));
}

/// Runs norm + conv for `rows` rows of `v` starting at `row0` with the
/// given conv state (updated to the last hist normalised rows).
void runConv(Target target, const ConvShape &full, int64_t row0, int64_t rows,
             HostTensor &v, HostTensor &wn, HostTensor &wc, HostTensor &h,
             std::vector<float> &state) {
  ConvShape s = full;
  s.rows = rows;
  const int64_t W = s.width(), hist = s.hist();
  HostTensor vPart(T::F32, {rows, s.hc, s.d}), hPart(T::BF16, {rows, W});
  std::memcpy(vPart.data(), f32Data(v) + row0 * W, rows * W * 4);
  std::memcpy(hPart.data(), bf16Data(h) + row0 * W, rows * W * 2);
  HostTensor xn(T::F32, {hist + rows, W});
  std::memcpy(xn.data(), state.data(), hist * W * 4);
  ASSERT_TRUE(launch(target, kernelSource(kFile, "engram_conv_norm"),
                     "engram_conv_norm",
                     {KArg::buf(vPart), KArg::buf(wn), KArg::buf(xn),
                      KArg::idx(rows), KArg::idx(s.hc), KArg::idx(s.d),
                      KArg::idx(hist), KArg::f32(1e-5f)},
                     {rows, s.hc, 1}));
  ASSERT_TRUE(launch(target, kernelSource(kFile, "engram_conv"), "engram_conv",
                     {KArg::buf(xn), KArg::buf(wc), KArg::buf(vPart),
                      KArg::buf(hPart), KArg::idx(rows), KArg::idx(W),
                      KArg::idx(s.k), KArg::idx(s.dil)},
                     {ceilDiv(rows, 4), ceilDiv(W, 256), 1}));
  std::memcpy(state.data(), f32Data(xn) + rows * W, hist * W * 4);
  std::memcpy(bf16Data(h) + row0 * W, hPart.data(), rows * W * 2);
}

TEST(EngramConv, ReferenceMatchesDemoShortConv) {
  ConvShape s;
  const int64_t W = s.width(), hist = s.hist();
  std::mt19937_64 gen(31);
  HostTensor v = randomF32(gen, {s.rows, s.hc, s.d}, -2, 2);
  HostTensor wn = randomBf16(gen, {s.hc, s.d}, 0.5, 1.5);
  HostTensor wc = randomBf16(gen, {W, s.k}, -0.7, 0.7);
  HostTensor h = randomBf16(gen, {s.rows, W}, -3, 3);
  HostTensor h0(T::BF16, {s.rows, W});
  std::memcpy(h0.data(), h.data(), s.rows * W * 2);
  std::vector<float> state(hist * W, 0.0f);
  runConv(Target::Reference, s, 0, s.rows, v, wn, wc, h, state);

  // ShortConv.forward: per-stream RMSNorm (eps 1e-5), Conv1d(groups = C,
  // padding (K-1)*dil, dilation dil) truncated to T, SiLU; then v + conv.
  std::vector<double> xn(s.rows * W);
  for (int64_t r = 0; r < s.rows; ++r)
    for (int64_t st = 0; st < s.hc; ++st) {
      double ss = 0;
      for (int64_t i = 0; i < s.d; ++i) {
        double x = f32Data(v)[(r * s.hc + st) * s.d + i];
        ss += x * x;
      }
      double inv = 1 / std::sqrt(ss / s.d + 1e-5);
      for (int64_t i = 0; i < s.d; ++i)
        xn[r * W + st * s.d + i] = f32Data(v)[(r * s.hc + st) * s.d + i] *
                                   inv * bf16Value(bf16Data(wn)[st * s.d + i]);
    }
  Closeness c;
  for (int64_t t = 0; t < s.rows; ++t)
    for (int64_t ch = 0; ch < W; ++ch) {
      double y = 0;
      for (int64_t j = 0; j < s.k; ++j) {
        int64_t src = t - (s.k - 1 - j) * s.dil;
        if (src >= 0)
          y += bf16Value(bf16Data(wc)[ch * s.k + j]) * xn[src * W + ch];
      }
      y = y / (1 + std::exp(-y));
      double want = bf16Value(bf16Data(h0)[t * W + ch]) +
                    f32Data(v)[t * W + ch] + y;
      c.check(bf16Value(bf16Data(h)[t * W + ch]), want, std::ldexp(1.0, -8),
              1e-5, "h[" + std::to_string(t) + "," + std::to_string(ch) + "]");
    }
  EXPECT_EQ(c.failures, 0) << c.where;
}

TEST(EngramConv, DecodeMatchesPrefill) {
  for (Target target : {Target::Reference, Target::Cpu}) {
    ConvShape s;
    const int64_t W = s.width(), hist = s.hist();
    std::mt19937_64 gen(41);
    HostTensor v = randomF32(gen, {s.rows, s.hc, s.d}, -2, 2);
    HostTensor wn = randomBf16(gen, {s.hc, s.d}, 0.5, 1.5);
    HostTensor wc = randomBf16(gen, {W, s.k}, -0.7, 0.7);
    HostTensor hAll = randomBf16(gen, {s.rows, W}, -3, 3);
    HostTensor hStep(T::BF16, {s.rows, W});
    std::memcpy(hStep.data(), hAll.data(), s.rows * W * 2);
    std::vector<float> stateAll(hist * W, 0.0f), stateStep(hist * W, 0.0f);
    runConv(target, s, 0, s.rows, v, wn, wc, hAll, stateAll);
    // A 4-row prefill, then one row at a time.
    runConv(target, s, 0, 4, v, wn, wc, hStep, stateStep);
    for (int64_t r = 4; r < s.rows; ++r)
      runConv(target, s, r, 1, v, wn, wc, hStep, stateStep);
    EXPECT_EQ(std::memcmp(hAll.data(), hStep.data(), s.rows * W * 2), 0);
    EXPECT_EQ(std::memcmp(stateAll.data(), stateStep.data(), hist * W * 4), 0);
  }
}

} // namespace
