// RUN: dsv4c opt %s --mark-warpgroup-dots=f8=1 | FileCheck %s
// RUN: dsv4c opt %s --mark-warpgroup-dots | FileCheck %s --check-prefix=NOF8
// NOF8-NOT: dsv4c.wgmma
// NOF8-NOT: dsv4c.swizzle128
// A 64 x N e4m3 dot whose operands are tile.loads it alone reads, directly
// or through a pipelined loop's iter_args, is marked dsv4c.wgmma and its
// operand loads dsv4c.swizzle128. Other dots and loads are left alone.

// CHECK-LABEL: tile.kernel @pipelined
// The first tiles, before the loop.
// CHECK: load {{.*}} {dsv4c.swizzle128} : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
// CHECK: load {{.*}} {dsv4c.swizzle128} : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
// CHECK: scf.for
// The scales are not operands of the instruction.
// CHECK-NOT: {dsv4c.swizzle128} : !tile.ptr<f8E8M0FNU>
// CHECK: tile.dot {{.*}}{dsv4c.wgmma,
// The next trip's tiles, yielded.
// CHECK: load {{.*}} {dsv4c.swizzle128} : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
// CHECK: load {{.*}} {dsv4c.swizzle128} : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
tile.kernel @pipelined(%x: !tile.ptr<f8E4M3FN>, %xs: !tile.ptr<f8E8M0FNU>,
                       %w: !tile.ptr<f8E4M3FN>, %ws: !tile.ptr<f8E8M0FNU>,
                       %y: !tile.ptr<f32>, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %acc0 = tile.splat %zero : tensor<64x64xf32>
  %q0 = tile.load %x[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
  %w0 = tile.load %w[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
  %r:3 = scf.for %kk = %c0 to %k step %c128 iter_args(%acc = %acc0, %q = %q0, %wt = %w0) -> (tensor<64x64xf32>, tensor<64x128xf8E4M3FN>, tensor<64x128xf8E4M3FN>) {
    %kb = arith.divui %kk, %c128 : index
    %qs = tile.load %xs[%c0, %kb] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<f8E8M0FNU> -> tensor<64x1xf8E8M0FNU>
    %wst = tile.load %ws[%c0, %kb] strides[%k, %c1] bounds[%c1, %k] : !tile.ptr<f8E8M0FNU> -> tensor<1x1xf8E8M0FNU>
    %d = tile.dot %q scale %qs : tensor<64x1xf8E8M0FNU>, %wt scale %wst : tensor<1x1xf8E8M0FNU> acc %acc
        {rhs_transposed, lhs_scale_block = array<i64: 1, 128>, rhs_scale_block = array<i64: 128, 128>}
        : tensor<64x128xf8E4M3FN>, tensor<64x128xf8E4M3FN> -> tensor<64x64xf32>
    %next = arith.addi %kk, %c128 : index
    %q1 = tile.load %x[%c0, %next] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
    %w1 = tile.load %w[%c0, %next] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
    scf.yield %d, %q1, %w1 : tensor<64x64xf32>, tensor<64x128xf8E4M3FN>, tensor<64x128xf8E4M3FN>
  }
  tile.store %r#0, %y[%c0, %c0] strides[%n, %c1] bounds[%m, %n] : tensor<64x64xf32> -> !tile.ptr<f32>
  tile.return
}

// 16 rows (not a warpgroup's 64), an operand read twice, bf16 operands:
// nothing is marked.
// CHECK-LABEL: tile.kernel @left_alone
// CHECK-NOT: dsv4c.wgmma
// CHECK-NOT: dsv4c.swizzle128
// CHECK: return
tile.kernel @left_alone(%x: !tile.ptr<f8E4M3FN>, %w: !tile.ptr<f8E4M3FN>,
                        %b: !tile.ptr<bf16>, %y: !tile.ptr<f32>, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %q16 = tile.load %x[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : !tile.ptr<f8E4M3FN> -> tensor<16x128xf8E4M3FN>
  %w64 = tile.load %w[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
  %d16 = tile.dot %q16, %w64 {rhs_transposed} : tensor<16x128xf8E4M3FN>, tensor<64x128xf8E4M3FN> -> tensor<16x64xf32>
  %q64 = tile.load %x[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
  %twice = tile.dot %q64, %q64 {rhs_transposed} : tensor<64x128xf8E4M3FN>, tensor<64x128xf8E4M3FN> -> tensor<64x64xf32>
  %bt = tile.load %b[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : !tile.ptr<bf16> -> tensor<64x64xbf16>
  %bd = tile.dot %bt, %bt {rhs_transposed} : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
  tile.store %d16, %y[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.store %twice, %y[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : tensor<64x64xf32> -> !tile.ptr<f32>
  tile.store %bd, %y[%c0, %c0] strides[%k, %c1] bounds[%k, %k] : tensor<64x64xf32> -> !tile.ptr<f32>
  tile.return
}
