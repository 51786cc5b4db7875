//===- ComputeOpsTest.cpp - dot, reduce, scan, topk --------------------===//
#include "ReferenceTestUtil.h"

#include <cmath>
#include <limits>

using namespace dsv4c;
using namespace dsv4c::testing;

namespace {

class ComputeOps : public ReferenceTest {};

/// Relative tolerance of dot results: the reference sums in a wider type
/// than the test's f64 loops only by rounding order, which is far below it.
constexpr double kDotRelTol = 1e-6;

void expectNear(float got, double want, const std::string &what) {
  EXPECT_NEAR(got, want, kDotRelTol * std::max(1.0, std::fabs(want))) << what;
}

TEST_F(ComputeOps, DotF32WithAcc) {
  const char *src = R"mlir(
tile.kernel @k(%a: !tile.ptr<f32>, %b: !tile.ptr<f32>, %c: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %ta = tile.load %a[%c0, %c0] strides[%c5, %c1] : !tile.ptr<f32> -> tensor<3x5xf32>
  %tb = tile.load %b[%c0, %c0] strides[%c4, %c1] : !tile.ptr<f32> -> tensor<5x4xf32>
  %tc = tile.load %c[%c0, %c0] strides[%c4, %c1] : !tile.ptr<f32> -> tensor<3x4xf32>
  %d = tile.dot %ta, %tb acc %tc : tensor<3x5xf32>, tensor<5x4xf32> -> tensor<3x4xf32>
  tile.store %d, %o[%c0, %c0] strides[%c4, %c1] : tensor<3x4xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  std::vector<float> av(15), bv(20), cv(12);
  for (int i = 0; i < 15; ++i)
    av[i] = 0.1f * i - 0.7f;
  for (int i = 0; i < 20; ++i)
    bv[i] = 0.37f * ((i * 7) % 11) - 1.3f;
  for (int i = 0; i < 12; ++i)
    cv[i] = 0.5f * i;
  Guarded<float> a(av), b(bv), c(cv), o(std::vector<float>(12, 0.0f));
  KernelArgs args;
  for (void *p : {a.data(), b.data(), c.data(), o.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int m = 0; m < 3; ++m)
    for (int n = 0; n < 4; ++n) {
      double want = cv[m * 4 + n];
      for (int k = 0; k < 5; ++k)
        want += double(av[m * 5 + k]) * bv[k * 4 + n];
      expectNear(o[m * 4 + n], want, std::to_string(m) + "," + std::to_string(n));
    }
}

TEST_F(ComputeOps, DotBf16RhsTransposed) {
  const char *src = R"mlir(
tile.kernel @k(%a: !tile.ptr<bf16>, %b: !tile.ptr<bf16>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %ta = tile.load %a[%c0, %c0] strides[%c6, %c1] : !tile.ptr<bf16> -> tensor<2x6xbf16>
  %tb = tile.load %b[%c0, %c0] strides[%c6, %c1] : !tile.ptr<bf16> -> tensor<4x6xbf16>
  %d = tile.dot %ta, %tb {rhs_transposed} : tensor<2x6xbf16>, tensor<4x6xbf16> -> tensor<2x4xf32>
  tile.store %d, %o[%c0, %c0] strides[%c4, %c1] : tensor<2x4xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  std::vector<uint16_t> av(12), bv(24);
  for (int i = 0; i < 12; ++i)
    av[i] = floatToBf16(0.3f * i - 1.1f);
  for (int i = 0; i < 24; ++i)
    bv[i] = floatToBf16(0.17f * ((i * 5) % 9) - 0.6f);
  Guarded<uint16_t> a(av), b(bv);
  Guarded<float> o(std::vector<float>(8, 0.0f));
  KernelArgs args;
  for (void *p : {a.data(), b.data(), o.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int m = 0; m < 2; ++m)
    for (int n = 0; n < 4; ++n) {
      double want = 0;
      for (int k = 0; k < 6; ++k)
        want += double(bf16ToFloat(av[m * 6 + k])) * bf16ToFloat(bv[n * 6 + k]);
      expectNear(o[m * 4 + n], want, std::to_string(m) + "," + std::to_string(n));
    }
}

// fp8 operands with block scales: lhs 4x8 with f32 scales over 2x4 blocks,
// rhs 8x3 with f8E8M0FNU scales over 4x2 blocks (the last block column is
// ragged: ceil(3 / 2) = 2).
TEST_F(ComputeOps, DotFp8WithBlockScales) {
  const char *src = R"mlir(
tile.kernel @k(%a: !tile.ptr<f8E4M3FN>, %sa: !tile.ptr<f32>, %b: !tile.ptr<f8E4M3FN>,
               %sb: !tile.ptr<f8E8M0FNU>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %ta = tile.load %a[%c0, %c0] strides[%c8, %c1] : !tile.ptr<f8E4M3FN> -> tensor<4x8xf8E4M3FN>
  %tsa = tile.load %sa[%c0, %c0] strides[%c2, %c1] : !tile.ptr<f32> -> tensor<2x2xf32>
  %tb = tile.load %b[%c0, %c0] strides[%c3, %c1] : !tile.ptr<f8E4M3FN> -> tensor<8x3xf8E4M3FN>
  %tsb = tile.load %sb[%c0, %c0] strides[%c2, %c1] : !tile.ptr<f8E8M0FNU> -> tensor<2x2xf8E8M0FNU>
  %d = tile.dot %ta scale %tsa : tensor<2x2xf32>, %tb scale %tsb : tensor<2x2xf8E8M0FNU> {lhs_scale_block = array<i64: 2, 4>, rhs_scale_block = array<i64: 4, 2>} : tensor<4x8xf8E4M3FN>, tensor<8x3xf8E4M3FN> -> tensor<4x3xf32>
  tile.store %d, %o[%c0, %c0] strides[%c3, %c1] : tensor<4x3xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  std::vector<uint8_t> av(32), bv(24);
  for (int i = 0; i < 32; ++i)
    av[i] = floatToF8E4M3FN(0.25f * ((i * 3) % 13) - 1.5f);
  for (int i = 0; i < 24; ++i)
    bv[i] = floatToF8E4M3FN(0.5f * ((i * 5) % 7) - 1.0f);
  std::vector<float> sav = {0.5f, 3.0f, 0.125f, 1.7f};
  std::vector<uint8_t> sbv = {127, 127 + 2, 127 - 3, 127 + 1}; // 1, 4, 1/8, 2
  Guarded<uint8_t> a(av), b(bv), sb(sbv);
  Guarded<float> sa(sav), o(std::vector<float>(12, 0.0f));
  KernelArgs args;
  for (void *p : {a.data(), sa.data(), b.data(), sb.data(), o.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int m = 0; m < 4; ++m)
    for (int n = 0; n < 3; ++n) {
      double want = 0;
      for (int k = 0; k < 8; ++k) {
        float A = f8E4M3FNToFloat(av[m * 8 + k]) * sav[(m / 2) * 2 + k / 4];
        float B = f8E4M3FNToFloat(bv[k * 3 + n]) *
                  std::ldexp(1.0f, sbv[(k / 4) * 2 + n / 2] - 127);
        want += double(A) * B;
      }
      expectNear(o[m * 3 + n], want, std::to_string(m) + "," + std::to_string(n));
    }
}

TEST_F(ComputeOps, ReduceSumMaxMin) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %xi: !tile.ptr<i32>, %xb: !tile.ptr<bf16>,
               %o: !tile.ptr<f32>, %oi: !tile.ptr<i32>, %ob: !tile.ptr<bf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c7 = arith.constant 7 : index
  %c10 = arith.constant 10 : index
  %t = tile.load %x[%c0, %c0] strides[%c4, %c1] : !tile.ptr<f32> -> tensor<3x4xf32>
  %s0 = tile.reduce sum %t {dim = 0} : tensor<3x4xf32> -> tensor<4xf32>
  tile.store %s0, %o[%c0] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %mx = tile.reduce max %t {dim = 1} : tensor<3x4xf32> -> tensor<3xf32>
  tile.store %mx, %o[%c4] strides[%c1] : tensor<3xf32> -> !tile.ptr<f32>
  %mn = tile.reduce min %t {dim = 1} : tensor<3x4xf32> -> tensor<3xf32>
  tile.store %mn, %o[%c7] strides[%c1] : tensor<3xf32> -> !tile.ptr<f32>
  %ti = tile.load %xi[%c0, %c0] strides[%c3, %c1] : !tile.ptr<i32> -> tensor<2x3xi32>
  %si = tile.reduce sum %ti {dim = 1} : tensor<2x3xi32> -> tensor<2xi32>
  tile.store %si, %oi[%c0] strides[%c1] : tensor<2xi32> -> !tile.ptr<i32>
  %mi = tile.reduce min %ti {dim = 0} : tensor<2x3xi32> -> tensor<3xi32>
  %c2 = arith.constant 2 : index
  tile.store %mi, %oi[%c2] strides[%c1] : tensor<3xi32> -> !tile.ptr<i32>
  %tb = tile.load %xb[%c0] strides[%c1] : !tile.ptr<bf16> -> tensor<3xbf16>
  %sb = tile.reduce sum %tb {dim = 0} : tensor<3xbf16> -> tensor<bf16>
  %sb1 = tile.reshape %sb : tensor<bf16> -> tensor<1xbf16>
  tile.store %sb1, %ob[%c0] strides[%c1] : tensor<1xbf16> -> !tile.ptr<bf16>
  tile.return
}
)mlir";
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> xv = {1.5f, -2.0f, 3.0f, 0.25f,   // row 0
                           4.0f, nan,   -1.0f, 2.0f,   // row 1: NaN
                           -3.0f, 7.0f, 0.5f, -8.0f};  // row 2
  std::vector<int32_t> xiv = {2147483647, 1, 5, -4, 9, -6};
  // bf16 sum in f32: 1 + 2^-8 + 2^-8 = 1 + 2^-7 (a bf16 value); adding in
  // bf16 step by step would give 1.
  std::vector<uint16_t> xbv = {floatToBf16(1.0f), floatToBf16(1.0f / 256),
                               floatToBf16(1.0f / 256)};
  Guarded<float> x(xv), o(std::vector<float>(10, 0.0f));
  Guarded<int32_t> xi(xiv), oi(std::vector<int32_t>(5, 0));
  Guarded<uint16_t> xb(xbv), ob(std::vector<uint16_t>(1, 0));
  KernelArgs args;
  for (void *p : {x.data(), xi.data(), xb.data(), o.data(), oi.data(), ob.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  EXPECT_EQ(o[0], 2.5f);
  EXPECT_TRUE(std::isnan(o[1])); // sum with NaN
  EXPECT_EQ(o[2], 2.5f);
  EXPECT_EQ(o[3], -5.75f);
  EXPECT_EQ(o[4], 3.0f);
  EXPECT_TRUE(std::isnan(o[5])) << "max with a NaN is NaN";
  EXPECT_EQ(o[6], 7.0f);
  EXPECT_EQ(o[7], -2.0f);
  EXPECT_TRUE(std::isnan(o[8])) << "min with a NaN is NaN";
  EXPECT_EQ(o[9], -8.0f);
  EXPECT_EQ(oi[0], static_cast<int32_t>(0x80000005u)) << "i32 sum wraps";
  EXPECT_EQ(oi[1], -1);
  EXPECT_EQ(oi[2], -4);
  EXPECT_EQ(oi[3], 1);
  EXPECT_EQ(oi[4], -6);
  EXPECT_EQ(bf16ToFloat(ob[0]), 1.0f + 1.0f / 128);
}

TEST_F(ComputeOps, ScanForwardAndReverse) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %xi: !tile.ptr<i32>, %o: !tile.ptr<f32>, %oi: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %t = tile.load %x[%c0, %c0] strides[%c4, %c1] : !tile.ptr<f32> -> tensor<2x4xf32>
  %f = tile.scan sum %t {dim = 1} : tensor<2x4xf32>
  tile.store %f, %o[%c0, %c0] strides[%c4, %c1] : tensor<2x4xf32> -> !tile.ptr<f32>
  %r = tile.scan sum %t {dim = 1, reverse} : tensor<2x4xf32>
  tile.store %r, %o[%c2, %c0] strides[%c4, %c1] : tensor<2x4xf32> -> !tile.ptr<f32>
  %m = tile.scan max %t {dim = 0} : tensor<2x4xf32>
  tile.store %m, %o[%c4, %c0] strides[%c4, %c1] : tensor<2x4xf32> -> !tile.ptr<f32>
  %ti = tile.load %xi[%c0] strides[%c1] : !tile.ptr<i32> -> tensor<5xi32>
  %mi = tile.scan min %ti {dim = 0, reverse} : tensor<5xi32>
  tile.store %mi, %oi[%c0] strides[%c1] : tensor<5xi32> -> !tile.ptr<i32>
  tile.return
}
)mlir";
  std::vector<float> xv = {1, 2, 3, 4, -1, 0.5f, 10, -2};
  std::vector<int32_t> xiv = {3, -1, 4, 1, 5};
  Guarded<float> x(xv), o(std::vector<float>(24, 0.0f));
  Guarded<int32_t> xi(xiv), oi(std::vector<int32_t>(5, 0));
  KernelArgs args;
  for (void *p : {x.data(), xi.data(), o.data(), oi.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int r = 0; r < 2; ++r) {
    float run = 0, rrun = 0;
    for (int c = 0; c < 4; ++c) {
      run += xv[r * 4 + c];
      EXPECT_EQ(o[r * 4 + c], run);
      rrun += xv[r * 4 + 3 - c];
      EXPECT_EQ(o[8 + r * 4 + 3 - c], rrun);
    }
  }
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(o[16 + c], xv[c]);
    EXPECT_EQ(o[20 + c], std::max(xv[c], xv[4 + c]));
  }
  const int32_t minRev[5] = {-1, -1, 1, 1, 5};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(oi[i], minRev[i]) << i;
}

TEST_F(ComputeOps, TopKTiesTakeTheSmallerPosition) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %v: !tile.ptr<f32>, %i: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %t = tile.load %x[%c0, %c0] strides[%c8, %c1] : !tile.ptr<f32> -> tensor<2x8xf32>
  %vals, %idx = tile.topk %t {k = 4} : tensor<2x8xf32> -> tensor<2x4xf32>, tensor<2x4xi32>
  tile.store %vals, %v[%c0, %c0] strides[%c4, %c1] : tensor<2x4xf32> -> !tile.ptr<f32>
  tile.store %idx, %i[%c0, %c0] strides[%c4, %c1] : tensor<2x4xi32> -> !tile.ptr<i32>
  tile.return
}
)mlir";
  std::vector<float> xv = {3, 1, 3, 2, 5, 5, 0, 3,
                           -1, -1, -1, -1, -1, 4, -1, -1};
  Guarded<float> x(xv), v(std::vector<float>(8, 0.0f));
  Guarded<int32_t> i(std::vector<int32_t>(8, 0));
  KernelArgs args;
  for (void *p : {x.data(), v.data(), i.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  const float wantV[8] = {5, 5, 3, 3, 4, -1, -1, -1};
  const int32_t wantI[8] = {4, 5, 0, 2, 5, 0, 1, 2};
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(v[j], wantV[j]) << j;
    EXPECT_EQ(i[j], wantI[j]) << j;
  }
}

} // namespace
