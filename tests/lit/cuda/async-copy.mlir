// `dsv4c ptx`: tile buffers live in shared memory at offsets planned at
// compile time (plan-tile-buffers: dsv4c_tiles_<kernel>), and tile.loads
// with contiguous rows fill them with cp.async (16-byte chunks bypass L1:
// .cg), each thread waiting for its copies before the barrier. The mma
// fragments are read 4 bytes at a time, from shared memory. cp.async needs
// sm_80.
// RUN: dsv4c ptx %s | FileCheck %s
// The three buffers are live at once (16x72 and 32x72 bf16: 128-byte rows
// padded by 16; 16x32 f32): 2304 + 4608 + 2048 bytes.
// CHECK-LABEL: .entry staged(
// CHECK: .shared .align 16 .b8 dsv4c_tiles_staged[8960];
// CHECK-NOT: malloc
// CHECK: cp.async.cg.shared.global [%rd{{[0-9]+}}], [%rd{{[0-9]+}}], 16, %r{{[0-9]+}};
// CHECK: cp.async.wait_all;
// CHECK-NEXT: barrier.sync 0;
// CHECK: ld.shared.b32
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// RUN: dsv4c ptx %s --sm sm_75 | FileCheck %s --check-prefix=SM75
// SM75: .target sm_75
// SM75-NOT: cp.async
tile.kernel @staged(%a: !tile.ptr<bf16>, %b: !tile.ptr<bf16>, %o: !tile.ptr<f32>, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %at = tile.load %a[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<bf16> -> tensor<16x64xbf16>
  %bt = tile.load %b[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<bf16> -> tensor<32x64xbf16>
  %d = tile.dot %at, %bt {rhs_transposed} : tensor<16x64xbf16>, tensor<32x64xbf16> -> tensor<16x32xf32>
  tile.store %d, %o[%c0, %c0] strides[%n, %c1] bounds[%m, %n] : tensor<16x32xf32> -> !tile.ptr<f32>
  tile.return
}

// An e2m1 tile: 32-code chunks read as 16 packed bytes (one 128-bit load)
// and written unpacked (two 128-bit stores), with a code loop for chunks
// that are ragged or misaligned.
// CHECK-LABEL: .entry unpacked(
// CHECK: ld.v4.b32
// CHECK: st.v4.b32
// CHECK: st.v4.b32
tile.kernel @unpacked(%w: !tile.ptr<f4E2M1FN>, %y: !tile.ptr<f32>, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %t = tile.load %w[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<f4E2M1FN> -> tensor<16x64xf4E2M1FN>
  %f = tile.cast %t : tensor<16x64xf4E2M1FN> -> tensor<16x64xf32>
  tile.store %f, %y[%c0, %c0] strides[%c64, %c1] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}
