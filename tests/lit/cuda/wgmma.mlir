// `dsv4c ptx --warpgroup-f8`: on sm_90a an e4m3 dot of 64 x N results whose
// operands are tile.loads (here pipelined a trip ahead) runs on the
// warpgroup instruction: the operand tiles are staged swizzled into
// 1024-byte aligned shared memory, each thread fences its copies for the
// async proxy, and per 128 k four wgmma.mma_async m64nNk32 (each 32 bytes
// further along the descriptors) are committed and waited for. Other
// architectures keep mma.sync, and so does e4m3 without the flag (the
// tensor cores sum its 128 k in fewer bits than f32); bf16 takes wgmma.
// RUN: dsv4c ptx %s --warpgroup-f8 | FileCheck %s
// CHECK: .extern .shared .align 1024 .b8 dsv4c_dynamic_tiles[];
// CHECK-LABEL: .entry linear_fp8_64x64(
// CHECK: cp.async.wait_all;
// CHECK-NEXT: fence.proxy.async.shared::cta;
// CHECK: wgmma.fence.sync.aligned;
// CHECK: wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 {{.*}}, da, db, first, 1, 1;
// CHECK: add.s64 da, da, 2;
// CHECK: wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 {{.*}}, da, db, rest, 1, 1;
// CHECK: wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 {{.*}}, da, db, rest, 1, 1;
// CHECK: wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 {{.*}}, da, db, rest, 1, 1;
// CHECK: wgmma.commit_group.sync.aligned;
// CHECK: wgmma.wait_group.sync.aligned 0;
// bf16 operands (no scales): 64 k per 128-byte block, m64nNk16 with the
// operands K-major (no transposes), two blocks per 128-k chunk.
// CHECK-LABEL: .entry head_64x64(
// CHECK: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, da, db, first, 1, 1, 0, 0;
// CHECK: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, da, db, rest, 1, 1, 0, 0;
// CHECK: wgmma.wait_group.sync.aligned 0;
// CHECK: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{.*}}, da, db, first, 1, 1, 0, 0;
// RUN: dsv4c ptx %s | FileCheck %s --check-prefix=DEFAULT
// DEFAULT-LABEL: .entry linear_fp8_64x64(
// DEFAULT-NOT: wgmma
// DEFAULT: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// DEFAULT-LABEL: .entry head_64x64(
// DEFAULT: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// RUN: dsv4c ptx %s --sm sm_89 --warpgroup-f8 | FileCheck %s --check-prefix=SM89
// SM89-NOT: wgmma
// SM89-NOT: fence.proxy.async
// SM89: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
tile.kernel @linear_fp8_64x64(%x: !tile.ptr<f8E4M3FN>, %xs: !tile.ptr<f8E8M0FNU>,
                        %w: !tile.ptr<f8E4M3FN>,
                        %ws: !tile.ptr<f8E8M0FNU>, %y: !tile.ptr<bf16>,
                        %part: !tile.ptr<f32>, %sem: !tile.ptr<i32>,
                        %m: index, %n: index, %k: index, %splits: index) {
  %c1 = arith.constant 1 : index
  %csr = arith.constant 1 : index
  %cbm = arith.constant 64 : index
  %cbn = arith.constant 64 : index
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  %cks = arith.constant 128 : index
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %row0 = arith.muli %pm, %cbm : index
  %col0 = arith.muli %pn, %cbn : index
  %kp = arith.addi %k, %c127 : index
  %kblocks = arith.divui %kp, %c128 : index
  %srow = arith.divui %col0, %c128 : index
  %acc0 = tile.splat %zero : tensor<64x64xf32>
  %acc = scf.for %kk = %c0 to %k step %cks iter_args(%acc_in = %acc0) -> (tensor<64x64xf32>) {
    %q = tile.load %x[%row0, %kk] strides[%k, %c1] bounds[%m, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
    %kb = arith.divui %kk, %c128 : index
    %qs = tile.load %xs[%row0, %kb] strides[%kblocks, %c1] bounds[%m, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<64x1xf8E8M0FNU>
    %wt = tile.load %w[%col0, %kk] strides[%k, %c1] bounds[%n, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
    %srow1 = arith.addi %srow, %csr : index
    %wst = tile.load %ws[%srow, %kb] strides[%kblocks, %c1] bounds[%srow1, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<1x1xf8E8M0FNU>
    %d = tile.dot %q scale %qs : tensor<64x1xf8E8M0FNU>, %wt scale %wst : tensor<1x1xf8E8M0FNU>
        acc %acc_in {rhs_transposed, lhs_scale_block = array<i64: 1, 128>,
                     rhs_scale_block = array<i64: 128, 128>}
        : tensor<64x128xf8E4M3FN>, tensor<64x128xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %d : tensor<64x64xf32>
  }
  %out = tile.cast %acc : tensor<64x64xf32> -> tensor<64x64xbf16>
  tile.store %out, %y[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
      : tensor<64x64xbf16> -> !tile.ptr<bf16>
  tile.return
}

tile.kernel @head_64x64(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                        %y: !tile.ptr<f32>, %m: index, %d: index, %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %l0 = tile.splat %zero : tensor<64x64xf32>
  %l = scf.for %kk = %c0 to %d step %c128 iter_args(%acc = %l0) -> (tensor<64x64xf32>) {
    %xt = tile.load %x[%c0, %kk] strides[%d, %c1] bounds[%m, %d]
        : !tile.ptr<bf16> -> tensor<64x128xbf16>
    %wt = tile.load %w[%c0, %kk] strides[%d, %c1] bounds[%v, %d]
        : !tile.ptr<bf16> -> tensor<64x128xbf16>
    %r = tile.dot %xt, %wt acc %acc {rhs_transposed}
        : tensor<64x128xbf16>, tensor<64x128xbf16> -> tensor<64x64xf32>
    scf.yield %r : tensor<64x64xf32>
  }
  tile.store %l, %y[%c0, %c0] strides[%v, %c1] bounds[%m, %v]
      : tensor<64x64xf32> -> !tile.ptr<f32>
  tile.return
}
