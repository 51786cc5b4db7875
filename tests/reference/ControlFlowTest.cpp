//===- ControlFlowTest.cpp - scf, and the errors the runner reports -------===//
#include "ReferenceTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::testing;

namespace {

class ControlFlow : public ReferenceTest {};

TEST_F(ControlFlow, ForLoopCarriesATile) {
  const char *src = R"mlir(
tile.kernel @k(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %k0 = arith.constant 0 : i32
  %acc, %cnt = scf.for %i = %c0 to %n step %c1 iter_args(%a = %zero, %k = %k0) -> (tensor<4xf32>, i32) {
    %off = arith.muli %i, %c4 : index
    %row = tile.load %x[%off] strides[%c1] : !tile.ptr<f32> -> tensor<4xf32>
    %s = arith.addf %a, %row : tensor<4xf32>
    %one = arith.constant 1 : i32
    %k1 = arith.addi %k, %one : i32
    scf.yield %s, %k1 : tensor<4xf32>, i32
  }
  tile.store %acc, %o[%c0] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %cf = arith.sitofp %cnt : i32 to f32
  %ct = tile.splat %cf : tensor<1xf32>
  tile.store %ct, %o[%c4] strides[%c1] : tensor<1xf32> -> !tile.ptr<f32>
  %even = scf.for %i = %c0 to %n step %c2 iter_args(%a = %zero) -> (tensor<4xf32>) {
    %off = arith.muli %i, %c4 : index
    %row = tile.load %x[%off] strides[%c1] : !tile.ptr<f32> -> tensor<4xf32>
    %s = arith.addf %a, %row : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  %c5 = arith.constant 5 : index
  tile.store %even, %o[%c5] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %none = scf.for %i = %c4 to %c2 step %c1 iter_args(%a = %zero) -> (tensor<4xf32>) {
    %s = arith.addf %a, %a : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  %c9 = arith.constant 9 : index
  tile.store %none, %o[%c9] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  const int n = 5;
  std::vector<float> xv(n * 4);
  for (int i = 0; i < n * 4; ++i)
    xv[i] = 0.5f * i - 1.0f;
  Guarded<float> x(xv), o(std::vector<float>(13, -1.0f));
  KernelArgs args;
  args.addPointer(x.data());
  args.addPointer(o.data());
  args.addIndex(n);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (int c = 0; c < 4; ++c) {
    float all = 0, even = 0;
    for (int r = 0; r < n; ++r) {
      all += xv[r * 4 + c];
      if (r % 2 == 0)
        even += xv[r * 4 + c];
    }
    EXPECT_EQ(o[c], all) << c;
    EXPECT_EQ(o[5 + c], even) << c;
    EXPECT_EQ(o[9 + c], 0.0f) << "a loop that runs no iteration yields its inits";
  }
  EXPECT_EQ(o[4], static_cast<float>(n));
}

TEST_F(ControlFlow, IfAndWhile) {
  const char *src = R"mlir(
tile.kernel @k(%o: !tile.ptr<i32>, %lim: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %p = tile.program_id 0
  %is0 = arith.cmpi eq, %p, %c0 : index
  %t = scf.if %is0 -> (tensor<2xi32>) {
    %a = arith.constant dense<[1, 2]> : tensor<2xi32>
    scf.yield %a : tensor<2xi32>
  } else {
    %b = arith.constant dense<[3, 4]> : tensor<2xi32>
    scf.yield %b : tensor<2xi32>
  }
  %off = arith.muli %p, %c2 : index
  tile.store %t, %o[%off] strides[%c1] : tensor<2xi32> -> !tile.ptr<i32>
  %one = arith.constant 1 : i32
  %two = arith.constant 2 : i32
  %r = scf.while (%v = %one) : (i32) -> i32 {
    %c = arith.cmpi slt, %v, %lim : i32
    scf.condition(%c) %v : i32
  } do {
  ^bb0(%v2: i32):
    %d = arith.muli %v2, %two : i32
    scf.yield %d : i32
  }
  %c4 = arith.constant 4 : index
  %w = arith.addi %c4, %p : index
  %rt = tile.splat %r : tensor<1xi32>
  tile.store %rt, %o[%w] strides[%c1] : tensor<1xi32> -> !tile.ptr<i32>
  scf.if %is0 {
    %c6 = arith.constant 6 : index
    tile.store %rt, %o[%c6] strides[%c1] : tensor<1xi32> -> !tile.ptr<i32>
  }
  tile.return
}
)mlir";
  Guarded<int32_t> o(std::vector<int32_t>(8, -1));
  KernelArgs args;
  args.addPointer(o.data());
  args.addI32(100);
  ASSERT_NO_FATAL_FAILURE(run(src, args, {2, 1, 1}));
  const int32_t want[8] = {1, 2, 3, 4, 128, 128, 128, -1};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(o[i], want[i]) << i;
}

TEST_F(ControlFlow, UnsupportedOpIsReportedWithItsLocation) {
  // math.ctpop sits on a branch no launch takes; it is still reported, by
  // createRunner, at line 6 column 10 of "test.mlir".
  const char *src = "tile.kernel @k(%o: !tile.ptr<i32>) {\n"
                    "  %false = arith.constant false\n"
                    "  scf.if %false {\n"
                    "    %c = arith.constant 7 : i32\n"
                    "    // comment\n"
                    "    %n = math.ctpop %c : i32\n"
                    "  }\n"
                    "  tile.return\n"
                    "}\n";
  std::string error;
  std::unique_ptr<KernelRunner> runner = compile(src, error);
  EXPECT_FALSE(runner);
  EXPECT_EQ(error, "reference: unsupported op 'math.ctpop' at test.mlir:6:10");
}

TEST_F(ControlFlow, MissingKernel) {
  std::string error;
  std::unique_ptr<KernelRunner> runner =
      compile("tile.kernel @k() {\n  tile.return\n}\n", error, "nope");
  EXPECT_FALSE(runner);
  EXPECT_EQ(error, "reference: no tile.kernel named 'nope' in the module");
}

TEST_F(ControlFlow, DivisionByZeroFailsTheLaunch) {
  const char *src = "tile.kernel @k(%d: i32) {\n"
                    "  %c = arith.constant 7 : i32\n"
                    "  %q = arith.divsi %c, %d : i32\n"
                    "  tile.return\n"
                    "}\n";
  std::string error;
  std::unique_ptr<KernelRunner> runner = compile(src, error);
  ASSERT_TRUE(runner) << error;
  KernelArgs args;
  args.addI32(2);
  EXPECT_TRUE(runner->launch(args.data(), {1, 1, 1}, error)) << error;
  KernelArgs zero;
  zero.addI32(0);
  EXPECT_FALSE(runner->launch(zero.data(), {2, 1, 1}, error));
  EXPECT_EQ(error, "reference: division by zero in 'arith.divsi' at "
                   "test.mlir:3:8 (program 0, 0, 0 of kernel 'k')");
}

TEST_F(ControlFlow, EmptyGridRunsNothing) {
  const char *src = "tile.kernel @k(%d: i32) {\n"
                    "  %c = arith.constant 7 : i32\n"
                    "  %q = arith.divsi %c, %d : i32\n"
                    "  tile.return\n"
                    "}\n";
  std::string error;
  std::unique_ptr<KernelRunner> runner = compile(src, error);
  ASSERT_TRUE(runner) << error;
  KernelArgs zero;
  zero.addI32(0);
  EXPECT_TRUE(runner->launch(zero.data(), {0, 1, 1}, error)) << error;
}

} // namespace
