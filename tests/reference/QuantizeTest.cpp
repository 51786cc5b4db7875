//===- QuantizeTest.cpp - tile.quantize and tile.dequantize ---------------===//
//
// Expectations follow DeepSeek's act_quant / fp4_act_quant, written here
// independently of the interpreter: the power-of-two rounding uses frexp
// instead of the f32 bit manipulation the interpreter does.
//
//===----------------------------------------------------------------------===//
#include "ReferenceTestUtil.h"

#include <cmath>

using namespace dsv4c;
using namespace dsv4c::testing;

namespace {

class Quantize : public ReferenceTest {};

/// 2^ceil(log2(s)) for a positive normal s.
float ceilPowerOfTwo(float s) {
  int e;
  float m = std::frexp(s, &e); // s = m * 2^e, m in [0.5, 1)
  return m == 0.5f ? s : std::ldexp(1.0f, e);
}

struct Expected {
  std::vector<float> q, scales;
};

/// Quantizes a rows x cols row-major matrix in blocks of 1 x block.
Expected quantizeRows(const std::vector<float> &x, int rows, int cols,
                      int block, bool fp4, bool roundScale) {
  float fmax = fp4 ? 6.0f : 448.0f;
  float floor = fp4 ? 6.0f * std::ldexp(1.0f, -126) : 1e-4f;
  Expected e;
  e.q.resize(x.size());
  for (int r = 0; r < rows; ++r)
    for (int b0 = 0; b0 < cols; b0 += block) {
      int end = std::min(cols, b0 + block);
      float amax = 0;
      for (int c = b0; c < end; ++c)
        amax = std::max(amax, std::fabs(x[r * cols + c]));
      amax = std::max(amax, floor);
      float s = amax * static_cast<float>(1.0 / fmax);
      if (roundScale)
        s = ceilPowerOfTwo(s);
      e.scales.push_back(s);
      for (int c = b0; c < end; ++c) {
        float v = std::clamp(x[r * cols + c] / s, -fmax, fmax);
        e.q[r * cols + c] = fp4 ? roundE2M1(v) : roundE4M3(v);
      }
    }
  return e;
}

/// Rows of 12 in blocks of 8 (the second block is partial); row 1 is so
/// small that its amax is below the 1e-4 floor.
std::vector<float> sampleInput() {
  std::vector<float> x(2 * 12);
  for (int c = 0; c < 12; ++c) {
    x[c] = std::sin(0.7f * c) * (c < 8 ? 3.0f : 0.02f) + (c == 5 ? 100.0f : 0);
    x[12 + c] = 1e-6f * (c - 5);
  }
  return x;
}

TEST_F(Quantize, E4M3WithF32ScalesNoRounding) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %q: !tile.ptr<f8E4M3FN>, %s: !tile.ptr<f32>, %d: !tile.ptr<bf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c12 = arith.constant 12 : index
  %t = tile.load %x[%c0, %c0] strides[%c12, %c1] : !tile.ptr<f32> -> tensor<2x12xf32>
  %tq, %ts = tile.quantize %t {block = array<i64: 1, 8>} : tensor<2x12xf32> -> tensor<2x12xf8E4M3FN>, tensor<2x2xf32>
  tile.store %tq, %q[%c0, %c0] strides[%c12, %c1] : tensor<2x12xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %ts, %s[%c0, %c0] strides[%c2, %c1] : tensor<2x2xf32> -> !tile.ptr<f32>
  %dq = tile.dequantize %tq, %ts {block = array<i64: 1, 8>} : tensor<2x12xf8E4M3FN>, tensor<2x2xf32> -> tensor<2x12xbf16>
  tile.store %dq, %d[%c0, %c0] strides[%c12, %c1] : tensor<2x12xbf16> -> !tile.ptr<bf16>
  tile.return
}
)mlir";
  std::vector<float> xv = sampleInput();
  Guarded<float> x(xv), s(std::vector<float>(4, 0.0f));
  Guarded<uint8_t> q(std::vector<uint8_t>(24, 0));
  Guarded<uint16_t> d(std::vector<uint16_t>(24, 0));
  KernelArgs args;
  for (void *p : {x.data(), q.data(), s.data(), d.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  Expected e = quantizeRows(xv, 2, 12, 8, /*fp4=*/false, /*roundScale=*/false);
  for (int b = 0; b < 4; ++b)
    EXPECT_EQ(s[b], e.scales[b]) << b;
  // Row 1 is below the floor: its scale is 1e-4 / 448.
  EXPECT_EQ(s[2], 1e-4f * static_cast<float>(1.0 / 448));
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(f8E4M3FNToFloat(q[i]), e.q[i]) << i;
    EXPECT_EQ(bf16ToFloat(d[i]), roundBf16(e.q[i] * e.scales[(i / 12) * 2 + (i % 12) / 8]))
        << i;
  }
  EXPECT_EQ(f8E4M3FNToFloat(q[5]), 448.0f) << "the block's amax maps to fmax";
}

TEST_F(Quantize, E4M3WithRoundScaleAndE8M0Scales) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %q: !tile.ptr<f8E4M3FN>, %s: !tile.ptr<f8E8M0FNU>, %d: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c12 = arith.constant 12 : index
  %t = tile.load %x[%c0, %c0] strides[%c12, %c1] : !tile.ptr<f32> -> tensor<2x12xf32>
  %tq, %ts = tile.quantize %t {block = array<i64: 1, 8>, round_scale} : tensor<2x12xf32> -> tensor<2x12xf8E4M3FN>, tensor<2x2xf8E8M0FNU>
  tile.store %tq, %q[%c0, %c0] strides[%c12, %c1] : tensor<2x12xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %ts, %s[%c0, %c0] strides[%c2, %c1] : tensor<2x2xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
  %dq = tile.dequantize %tq, %ts {block = array<i64: 1, 8>} : tensor<2x12xf8E4M3FN>, tensor<2x2xf8E8M0FNU> -> tensor<2x12xf32>
  tile.store %dq, %d[%c0, %c0] strides[%c12, %c1] : tensor<2x12xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  std::vector<float> xv = sampleInput();
  Guarded<float> x(xv), d(std::vector<float>(24, 0.0f));
  Guarded<uint8_t> q(std::vector<uint8_t>(24, 0)), s(std::vector<uint8_t>(4, 0));
  KernelArgs args;
  for (void *p : {x.data(), q.data(), s.data(), d.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  Expected e = quantizeRows(xv, 2, 12, 8, /*fp4=*/false, /*roundScale=*/true);
  for (int b = 0; b < 4; ++b)
    EXPECT_EQ(f8E8M0FNUToFloat(s[b]), e.scales[b]) << b;
  // amax 100 (> floor): 100/448 = 0.223 -> 2^-2.
  EXPECT_EQ(f8E8M0FNUToFloat(s[0]), 0.25f);
  // Below the floor: 1e-4/448 = 2.23e-7 -> 2^-22 = 2.38e-7.
  EXPECT_EQ(f8E8M0FNUToFloat(s[2]), std::ldexp(1.0f, -22));
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(f8E4M3FNToFloat(q[i]), e.q[i]) << i;
    EXPECT_EQ(d[i], e.q[i] * e.scales[(i / 12) * 2 + (i % 12) / 8]) << i;
  }
}

TEST_F(Quantize, E2M1PackedWithE8M0Scales) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<bf16>, %q: !tile.ptr<f4E2M1FN>, %s: !tile.ptr<f8E8M0FNU>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %t = tile.load %x[%c0, %c0] strides[%c16, %c1] : !tile.ptr<bf16> -> tensor<3x16xbf16>
  %tq, %ts = tile.quantize %t {block = array<i64: 1, 16>, round_scale} : tensor<3x16xbf16> -> tensor<3x16xf4E2M1FN>, tensor<3x1xf8E8M0FNU>
  tile.store %tq, %q[%c0, %c0] strides[%c16, %c1] : tensor<3x16xf4E2M1FN> -> !tile.ptr<f4E2M1FN>
  tile.store %ts, %s[%c0, %c0] strides[%c1, %c1] : tensor<3x1xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
  tile.return
}
)mlir";
  std::vector<float> xf(48);
  std::vector<uint16_t> xv(48);
  for (int i = 0; i < 48; ++i) {
    float v = i < 16 ? 0.9f * std::cos(1.3f * i) * (i + 1)
                     : (i < 32 ? 0.0f : 1e-3f * (i - 40));
    xv[i] = floatToBf16(v);
    xf[i] = bf16ToFloat(xv[i]);
  }
  Guarded<uint16_t> x(xv);
  Guarded<uint8_t> q(std::vector<uint8_t>(24, 0)), s(std::vector<uint8_t>(3, 0));
  KernelArgs args;
  for (void *p : {x.data(), q.data(), s.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  Expected e = quantizeRows(xf, 3, 16, 16, /*fp4=*/true, /*roundScale=*/true);
  for (int b = 0; b < 3; ++b)
    EXPECT_EQ(f8E8M0FNUToFloat(s[b]), e.scales[b]) << b;
  // An all-zero row: amax is the floor 6 * 2^-126, so s = 2^-126.
  EXPECT_EQ(f8E8M0FNUToFloat(s[1]), std::ldexp(1.0f, -126));
  for (int i = 0; i < 48; ++i) {
    uint8_t nibble = (q[i / 2] >> (4 * (i % 2))) & 0xF;
    EXPECT_EQ(f4E2M1FNToFloat(nibble), e.q[i]) << i;
  }
}

} // namespace
