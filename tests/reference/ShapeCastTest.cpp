//===- ShapeCastTest.cpp - splat, iota, broadcast, reshape, trans, cast ---===//
#include "ReferenceTestUtil.h"

#include <cmath>
#include <limits>

using namespace dsv4c;
using namespace dsv4c::testing;

namespace {

class ShapeCast : public ReferenceTest {};

TEST_F(ShapeCast, SplatIotaBroadcastReshapeTrans) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<i32>, %o: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %c12 = arith.constant 12 : index
  %x3 = tile.load %x[%c0, %c0, %c0] strides[%c12, %c4, %c1] : !tile.ptr<i32> -> tensor<2x3x4xi32>
  %t3 = tile.trans %x3 {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xi32> -> tensor<4x2x3xi32>
  %f = tile.reshape %t3 : tensor<4x2x3xi32> -> tensor<24xi32>
  tile.store %f, %o[%c0] strides[%c1] : tensor<24xi32> -> !tile.ptr<i32>
  %x2 = tile.load %x[%c0, %c0] strides[%c3, %c1] : !tile.ptr<i32> -> tensor<2x3xi32>
  %t2 = tile.trans %x2 {perm = array<i64: 1, 0>} : tensor<2x3xi32> -> tensor<3x2xi32>
  %c24 = arith.constant 24 : index
  tile.store %t2, %o[%c0, %c24] strides[%c2, %c1] : tensor<3x2xi32> -> !tile.ptr<i32>
  %col = tile.load %x[%c0, %c0] strides[%c1, %c1] : !tile.ptr<i32> -> tensor<2x1xi32>
  %b = tile.broadcast %col : tensor<2x1xi32> -> tensor<2x4xi32>
  %c30 = arith.constant 30 : index
  tile.store %b, %o[%c0, %c30] strides[%c4, %c1] : tensor<2x4xi32> -> !tile.ptr<i32>
  %i = tile.iota : tensor<5xi32>
  %s = arith.constant 40 : i32
  %sp = tile.splat %s : tensor<5xi32>
  %is = arith.addi %i, %sp : tensor<5xi32>
  %c38 = arith.constant 38 : index
  tile.store %is, %o[%c38] strides[%c1] : tensor<5xi32> -> !tile.ptr<i32>
  %i64 = tile.iota : tensor<3xi64>
  %i64t = arith.trunci %i64 : tensor<3xi64> to tensor<3xi32>
  %c43 = arith.constant 43 : index
  tile.store %i64t, %o[%c43] strides[%c1] : tensor<3xi32> -> !tile.ptr<i32>
  tile.return
}
)mlir";
  std::vector<int32_t> xv(24);
  for (int i = 0; i < 24; ++i)
    xv[i] = i * 3 + 1;
  Guarded<int32_t> x(xv), o(std::vector<int32_t>(46, -1));
  KernelArgs args;
  args.addPointer(x.data());
  args.addPointer(o.data());
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  // r[a, b, c] = x[b, c, a] for perm [2, 0, 1].
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(o[(a * 2 + b) * 3 + c], xv[(b * 3 + c) * 4 + a]);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 2; ++c)
      EXPECT_EQ(o[24 + r * 2 + c], xv[c * 3 + r]);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(o[30 + r * 4 + c], xv[r]);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(o[38 + i], 40 + i);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(o[43 + i], i);
}

TEST_F(ShapeCast, FloatCastsRoundAndSaturate) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %bf: !tile.ptr<bf16>, %h: !tile.ptr<f16>,
               %e4: !tile.ptr<f8E4M3FN>, %e2: !tile.ptr<f4E2M1FN>,
               %e8: !tile.ptr<f8E8M0FNU>, %ints: !tile.ptr<i32>, %back: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<f32> -> tensor<8xf32>
  %a = tile.cast %t : tensor<8xf32> -> tensor<8xbf16>
  tile.store %a, %bf[%c0] strides[%c1] : tensor<8xbf16> -> !tile.ptr<bf16>
  %b = tile.cast %t : tensor<8xf32> -> tensor<8xf16>
  tile.store %b, %h[%c0] strides[%c1] : tensor<8xf16> -> !tile.ptr<f16>
  %c = tile.cast %t : tensor<8xf32> -> tensor<8xf8E4M3FN>
  tile.store %c, %e4[%c0] strides[%c1] : tensor<8xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  %d = tile.cast %t : tensor<8xf32> -> tensor<8xf4E2M1FN>
  tile.store %d, %e2[%c0] strides[%c1] : tensor<8xf4E2M1FN> -> !tile.ptr<f4E2M1FN>
  %e = tile.cast %t : tensor<8xf32> -> tensor<8xf8E8M0FNU>
  tile.store %e, %e8[%c0] strides[%c1] : tensor<8xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
  %i = tile.cast %t : tensor<8xf32> -> tensor<8xi32>
  tile.store %i, %ints[%c0] strides[%c1] : tensor<8xi32> -> !tile.ptr<i32>
  %w = tile.cast %c : tensor<8xf8E4M3FN> -> tensor<8xf32>
  tile.store %w, %back[%c0] strides[%c1] : tensor<8xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  std::vector<float> xv = {0.3f, 500.0f, -1000.0f, 2.75f, 2.5f, -5.0f, 0.75f, -3.9f};
  Guarded<float> x(xv), back(std::vector<float>(8, 0.0f));
  Guarded<uint16_t> bf(std::vector<uint16_t>(8, 0)), h(std::vector<uint16_t>(8, 0));
  Guarded<uint8_t> e4(std::vector<uint8_t>(8, 0)), e2(std::vector<uint8_t>(4, 0));
  Guarded<uint8_t> e8(std::vector<uint8_t>(8, 0));
  Guarded<int32_t> ints(std::vector<int32_t>(8, 0));
  KernelArgs args;
  for (void *p : {x.data(), bf.data(), h.data(), e4.data(), e2.data(),
                  e8.data(), ints.data(), back.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  // Known encodings (round to nearest even).
  EXPECT_EQ(bf[0], 0x3E9A); // 0.3f = 0x3E99999A
  EXPECT_EQ(h[0], 0x34CD);
  EXPECT_EQ(bf16ToFloat(bf[1]), 500.0f);
  // f8E4M3FN: 0.3 -> 0.3125, out of range saturates to +-448.
  const float e4Expected[8] = {0.3125f, 448.0f, -448.0f, 2.75f,
                               2.5f,    -5.0f,  0.75f,   -4.0f};
  // f4E2M1FN: 2.75 -> 3; ties 2.5 -> 2, -5 -> -4, 0.75 -> 1 (even codes);
  // 500 -> 6.
  const float e2Expected[8] = {0.5f, 6.0f, -6.0f, 3.0f, 2.0f, -4.0f, 1.0f, -4.0f};
  // f8E8M0FNU: nearest power of two (ties up); <= 0 is NaN (0xFF).
  const uint8_t e8Expected[8] = {127 - 2, 127 + 9, 0xFF, 127 + 1,
                                 127 + 1, 0xFF,    127 + 0, 0xFF};
  const int32_t intExpected[8] = {0, 500, -1000, 2, 2, -5, 0, -3};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(f8E4M3FNToFloat(e4[i]), e4Expected[i]) << i;
    EXPECT_EQ(back[i], e4Expected[i]) << i;
    uint8_t nibble = (e2[i / 2] >> (4 * (i % 2))) & 0xF;
    EXPECT_EQ(f4E2M1FNToFloat(nibble), e2Expected[i]) << i;
    EXPECT_EQ(e8[i], e8Expected[i]) << i;
    EXPECT_EQ(ints[i], intExpected[i]) << i;
  }
  // e2m1 codes, even element in the low nibble: 0.5 -> 1, 6 -> 7, -6 -> 0xF,
  // 3 -> 5, 1 -> 2, -4 -> 0xE.
  EXPECT_EQ(e2[0], 0x71);
  EXPECT_EQ(e2[1], 0x5F);
  EXPECT_EQ(e2[3], 0xE2);
}

TEST_F(ShapeCast, IntegerCasts) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<i32>, %f: !tile.ptr<f32>, %bf: !tile.ptr<bf16>,
               %b: !tile.ptr<i8>, %wide: !tile.ptr<i64>, %boolInt: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<i32> -> tensor<4xi32>
  %a = tile.cast %t : tensor<4xi32> -> tensor<4xf32>
  tile.store %a, %f[%c0] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %c = tile.cast %t : tensor<4xi32> -> tensor<4xbf16>
  tile.store %c, %bf[%c0] strides[%c1] : tensor<4xbf16> -> !tile.ptr<bf16>
  %d = tile.cast %t : tensor<4xi32> -> tensor<4xi8>
  tile.store %d, %b[%c0] strides[%c1] : tensor<4xi8> -> !tile.ptr<i8>
  %e = tile.cast %d : tensor<4xi8> -> tensor<4xi64>
  tile.store %e, %wide[%c0] strides[%c1] : tensor<4xi64> -> !tile.ptr<i64>
  %zero = arith.constant dense<0> : tensor<4xi32>
  %m = arith.cmpi slt, %t, %zero : tensor<4xi32>
  %mi = tile.cast %m : tensor<4xi1> -> tensor<4xi32>
  tile.store %mi, %boolInt[%c0] strides[%c1] : tensor<4xi32> -> !tile.ptr<i32>
  %mf = tile.cast %m : tensor<4xi1> -> tensor<4xf32>
  %c4 = arith.constant 4 : index
  tile.store %mf, %f[%c4] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  // 2^24 + 2^16 + 1: a single rounding to bf16 gives 2^24 + 2^17; rounding
  // through f32 first would give 2^24.
  std::vector<int32_t> xv = {16777217, -200, 16842753, 300};
  Guarded<int32_t> x(xv), boolInt(std::vector<int32_t>(4, 7));
  Guarded<float> f(std::vector<float>(8, 0.0f));
  Guarded<uint16_t> bf(std::vector<uint16_t>(4, 0));
  Guarded<int8_t> b(std::vector<int8_t>(4, 0));
  Guarded<int64_t> wide(std::vector<int64_t>(4, 0));
  KernelArgs args;
  for (void *p : {x.data(), f.data(), bf.data(), b.data(), wide.data(),
                  boolInt.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  EXPECT_EQ(f[0], 16777216.0f); // ties to even
  EXPECT_EQ(f[1], -200.0f);
  EXPECT_EQ(f[2], 16842752.0f);
  EXPECT_EQ(bf16ToFloat(bf[0]), 16777216.0f);
  EXPECT_EQ(bf16ToFloat(bf[1]), -200.0f);
  EXPECT_EQ(bf16ToFloat(bf[2]), 16908288.0f);
  EXPECT_EQ(bf16ToFloat(bf[3]), 300.0f);
  // Truncation keeps the low byte: 0x1000001, 0xFFFFFF38, 0x1010001, 0x12C.
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[1], 0x38);
  EXPECT_EQ(b[2], 1);
  EXPECT_EQ(b[3], 0x2C);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(wide[i], static_cast<int64_t>(b[i])) << "sign-extends";
  // i1 -> int and float: true is 1.
  EXPECT_EQ(boolInt[0], 0);
  EXPECT_EQ(boolInt[1], 1);
  EXPECT_EQ(f[4 + 1], 1.0f);
  EXPECT_EQ(f[4 + 0], 0.0f);
}

} // namespace
