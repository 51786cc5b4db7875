//===- MemoryOpsTest.cpp - load, store, gather, the grid, arguments -------===//
#include "ReferenceTestUtil.h"

#include <cmath>

using namespace dsv4c;
using namespace dsv4c::testing;

namespace {

class MemoryOps : public ReferenceTest {};

// A 5x7 matrix in 4x8 tiles: the second program's tile and every tile's
// last column are out of bounds. The buffers are guarded, so reading or
// writing past their ends would crash the test.
TEST_F(MemoryOps, RaggedBoundsLoadAndStore) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %full: !tile.ptr<f32>,
               %rows: index, %cols: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %pid = tile.program_id 0
  %r0 = arith.muli %pid, %c4 : index
  %other = arith.constant -1.5 : f32
  %t = tile.load %x[%r0, %c0] strides[%cols, %c1] bounds[%rows, %cols] other %other : !tile.ptr<f32> -> tensor<4x8xf32>
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %d = arith.mulf %t, %two : tensor<4x8xf32>
  tile.store %d, %o[%r0, %c0] strides[%cols, %c1] bounds[%rows, %cols] : tensor<4x8xf32> -> !tile.ptr<f32>
  tile.store %t, %full[%r0, %c0] strides[%c8, %c1] : tensor<4x8xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  const int rows = 5, cols = 7;
  std::vector<float> xv(rows * cols);
  for (int i = 0; i < rows * cols; ++i)
    xv[i] = 0.25f * i - 3.0f;
  Guarded<float> x(xv), o(std::vector<float>(rows * cols, 0.0f));
  Guarded<float> full(std::vector<float>(8 * 8, 99.0f));
  KernelArgs args;
  args.addPointer(x.data());
  args.addPointer(o.data());
  args.addPointer(full.data());
  args.addIndex(rows);
  args.addIndex(cols);
  ASSERT_NO_FATAL_FAILURE(run(src, args, {2, 1, 1}));
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      EXPECT_EQ(o[r * cols + c], 2.0f * xv[r * cols + c]) << r << "," << c;
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) {
      float expected = (r < rows && c < cols) ? xv[r * cols + c] : -1.5f;
      EXPECT_EQ(full[r * 8 + c], expected) << r << "," << c;
    }
}

// Mask = (i < n) && (i % 3 != 0): masked elements are neither read (the
// input holds only n elements) nor written.
TEST_F(MemoryOps, MaskedLoadAndStore) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<i32>, %o: !tile.ptr<i32>, %o2: !tile.ptr<i32>, %n: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %i = tile.iota : tensor<16xi32>
  %ns = tile.splat %n : tensor<16xi32>
  %inb = arith.cmpi slt, %i, %ns : tensor<16xi32>
  %three = arith.constant dense<3> : tensor<16xi32>
  %zero = arith.constant dense<0> : tensor<16xi32>
  %rem = arith.remsi %i, %three : tensor<16xi32>
  %keep = arith.cmpi ne, %rem, %zero : tensor<16xi32>
  %m = arith.andi %inb, %keep : tensor<16xi1>
  %seven = arith.constant 7 : i32
  %t = tile.load %x[%c0] strides[%c1] mask %m other %seven : !tile.ptr<i32> -> tensor<16xi32>
  tile.store %t, %o[%c0] strides[%c1] : tensor<16xi32> -> !tile.ptr<i32>
  %t2 = tile.load %x[%c0] strides[%c1] bounds[%c0] : !tile.ptr<i32> -> tensor<16xi32>
  %sum = arith.addi %t, %t2 : tensor<16xi32>
  tile.store %sum, %o2[%c0] strides[%c1] mask %m : tensor<16xi32> -> !tile.ptr<i32>
  tile.return
}
)mlir";
  const int n = 10;
  std::vector<int32_t> xv(n);
  for (int i = 0; i < n; ++i)
    xv[i] = 100 + i;
  Guarded<int32_t> x(xv);
  Guarded<int32_t> o(std::vector<int32_t>(16, -5)), o2(std::vector<int32_t>(16, -5));
  KernelArgs args;
  args.addPointer(x.data());
  args.addPointer(o.data());
  args.addPointer(o2.data());
  args.addI32(n);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int i = 0; i < 16; ++i) {
    bool on = i < n && i % 3 != 0;
    EXPECT_EQ(o[i], on ? 100 + i : 7) << i;
    // bounds [0] make every element of %t2 zero.
    EXPECT_EQ(o2[i], on ? 100 + i : -5) << i;
  }
}

TEST_F(MemoryOps, GatherWithMaskedRows) {
  const char *src = R"mlir(
tile.kernel @k(%tab: !tile.ptr<f32>, %idx: !tile.ptr<i32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %i = tile.load %idx[%c0] strides[%c1] : !tile.ptr<i32> -> tensor<5xi32>
  %other = arith.constant 9.5 : f32
  %g = tile.gather %tab[%c1], %i row_stride %c5 other %other : !tile.ptr<f32>, tensor<5xi32> -> tensor<5x4xf32>
  tile.store %g, %o[%c0, %c0] strides[%c4, %c1] : tensor<5x4xf32> -> !tile.ptr<f32>
  %g0 = tile.gather %tab[%c0], %i row_stride %c5 : !tile.ptr<f32>, tensor<5xi32> -> tensor<5x4xf32>
  %c5r = arith.constant 5 : index
  tile.store %g0, %o[%c5r, %c0] strides[%c4, %c1] : tensor<5x4xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  // The table has 6 rows of 5; the first gather takes columns 1..4
  // (offset 1), the second columns 0..3 and no `other` (zero).
  std::vector<float> tab(6 * 5);
  for (int i = 0; i < 30; ++i)
    tab[i] = static_cast<float>(i);
  std::vector<int32_t> idx = {2, -1, 0, 5, -1};
  Guarded<float> t(tab), o(std::vector<float>(40, 0.0f));
  Guarded<int32_t> ix(idx);
  KernelArgs args;
  args.addPointer(t.data());
  args.addPointer(ix.data());
  args.addPointer(o.data());
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int r = 0; r < 5; ++r)
    for (int j = 0; j < 4; ++j) {
      float expected = idx[r] < 0 ? 9.5f : tab[1 + idx[r] * 5 + j];
      EXPECT_EQ(o[r * 4 + j], expected) << r << "," << j;
      float expected0 = idx[r] < 0 ? 0.0f : tab[idx[r] * 5 + j];
      EXPECT_EQ(o[20 + r * 4 + j], expected0) << r << "," << j;
    }
}

TEST_F(MemoryOps, ProgramIdAndNumPrograms) {
  const char *src = R"mlir(
tile.kernel @k(%o: !tile.ptr<i64>) {
  %c1 = arith.constant 1 : index
  %p0 = tile.program_id 0
  %p1 = tile.program_id 1
  %p2 = tile.program_id 2
  %n0 = tile.num_programs 0
  %n1 = tile.num_programs 1
  %n2 = tile.num_programs 2
  %l1 = arith.muli %p2, %n1 : index
  %l2 = arith.addi %l1, %p1 : index
  %l3 = arith.muli %l2, %n0 : index
  %lin = arith.addi %l3, %p0 : index
  %c10 = arith.constant 10 : index
  %v1 = arith.muli %p2, %c10 : index
  %v2 = arith.addi %v1, %p1 : index
  %v3 = arith.muli %v2, %c10 : index
  %v4 = arith.addi %v3, %p0 : index
  %c1000 = arith.constant 1000 : index
  %g1 = arith.muli %n2, %c10 : index
  %g2 = arith.addi %g1, %n1 : index
  %g3 = arith.muli %g2, %c10 : index
  %g4 = arith.addi %g3, %n0 : index
  %g5 = arith.muli %g4, %c1000 : index
  %v = arith.addi %v4, %g5 : index
  %vi = arith.index_cast %v : index to i64
  %t = tile.splat %vi : tensor<1xi64>
  tile.store %t, %o[%lin] strides[%c1] : tensor<1xi64> -> !tile.ptr<i64>
  tile.return
}
)mlir";
  Guarded<int64_t> o(std::vector<int64_t>(12, -1));
  KernelArgs args;
  args.addPointer(o.data());
  ASSERT_NO_FATAL_FAILURE(run(src, args, {3, 2, 2}));
  for (int z = 0; z < 2; ++z)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        EXPECT_EQ(o[(z * 2 + y) * 3 + x], 223000 + z * 100 + y * 10 + x);
}

// Every scalar argument type travels as the calling convention says.
TEST_F(MemoryOps, ScalarArguments) {
  const char *src = R"mlir(
tile.kernel @k(%o: !tile.ptr<f32>, %a: i32, %b: i64, %c: f32, %d: bf16, %e: f16, %f: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %af = arith.sitofp %a : i32 to f32
  %bf = arith.sitofp %b : i64 to f32
  %df = arith.extf %d : bf16 to f32
  %ef = arith.extf %e : f16 to f32
  %fi = arith.index_cast %f : index to i64
  %ff = arith.sitofp %fi : i64 to f32
  %t0 = tile.splat %af : tensor<6xf32>
  %i = tile.iota : tensor<6xi32>
  %s1 = tile.splat %bf : tensor<6xf32>
  %s2 = tile.splat %c : tensor<6xf32>
  %s3 = tile.splat %df : tensor<6xf32>
  %s4 = tile.splat %ef : tensor<6xf32>
  %s5 = tile.splat %ff : tensor<6xf32>
  %one = arith.constant dense<1> : tensor<6xi32>
  %two = arith.constant dense<2> : tensor<6xi32>
  %three = arith.constant dense<3> : tensor<6xi32>
  %four = arith.constant dense<4> : tensor<6xi32>
  %five = arith.constant dense<5> : tensor<6xi32>
  %m1 = arith.cmpi eq, %i, %one : tensor<6xi32>
  %m2 = arith.cmpi eq, %i, %two : tensor<6xi32>
  %m3 = arith.cmpi eq, %i, %three : tensor<6xi32>
  %m4 = arith.cmpi eq, %i, %four : tensor<6xi32>
  %m5 = arith.cmpi eq, %i, %five : tensor<6xi32>
  %t1 = arith.select %m1, %s1, %t0 : tensor<6xi1>, tensor<6xf32>
  %t2 = arith.select %m2, %s2, %t1 : tensor<6xi1>, tensor<6xf32>
  %t3 = arith.select %m3, %s3, %t2 : tensor<6xi1>, tensor<6xf32>
  %t4 = arith.select %m4, %s4, %t3 : tensor<6xi1>, tensor<6xf32>
  %t5 = arith.select %m5, %s5, %t4 : tensor<6xi1>, tensor<6xf32>
  tile.store %t5, %o[%c0] strides[%c1] : tensor<6xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  Guarded<float> o(std::vector<float>(6, 0.0f));
  KernelArgs args;
  args.addPointer(o.data());
  args.addI32(-7);
  args.addI64(1LL << 40);
  args.addF32(0.375f);
  args.addHalfBits(floatToBf16(-2.5f));
  args.addHalfBits(floatToF16(0.1f));
  args.addIndex(12345);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  EXPECT_EQ(o[0], -7.0f);
  EXPECT_EQ(o[1], std::ldexp(1.0f, 40));
  EXPECT_EQ(o[2], 0.375f);
  EXPECT_EQ(o[3], -2.5f);
  EXPECT_EQ(o[4], roundF16(0.1f));
  EXPECT_EQ(o[5], 12345.0f);
}

} // namespace
