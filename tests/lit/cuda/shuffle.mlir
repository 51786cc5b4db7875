// `dsv4c ptx`: a tile.reduce over a row of 32 or more elements is split over
// a warp's lanes and combined with five butterfly shuffles across the whole
// warp (mask 0xffffffff, lane offsets 16, 8, 4, 2, 1).
// RUN: dsv4c ptx %s | FileCheck %s
// CHECK-LABEL: .entry row_sum(
// CHECK: shfl.sync.bfly.b32 {{.*}}, 16, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 8, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 4, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 2, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 1, 31, -1;
tile.kernel @row_sum(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %t = tile.load %x[%c0, %c0] strides[%c256, %c1] : !tile.ptr<f32> -> tensor<4x256xf32>
  %r = tile.reduce sum %t {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
  tile.store %r, %o[%c0] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  tile.return
}

// tile.topk with a small k: each output is one arg-max over a warp, five
// butterfly rounds that move the key (f32) and its position (i32) together.
// CHECK-LABEL: .entry row_top6(
// CHECK: shfl.sync.bfly.b32 {{.*}}, 16, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 16, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 8, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 8, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 1, 31, -1;
// CHECK: shfl.sync.bfly.b32 {{.*}}, 1, 31, -1;
tile.kernel @row_top6(%x: !tile.ptr<f32>, %o: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c256 = arith.constant 256 : index
  %t = tile.load %x[%c0, %c0] strides[%c256, %c1] : !tile.ptr<f32> -> tensor<4x256xf32>
  %vals, %idx = tile.topk %t {k = 6} : tensor<4x256xf32> -> tensor<4x6xf32>, tensor<4x6xi32>
  tile.store %idx, %o[%c0, %c0] strides[%c6, %c1] : tensor<4x6xi32> -> !tile.ptr<i32>
  tile.return
}
