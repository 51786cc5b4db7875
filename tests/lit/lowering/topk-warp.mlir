// RUN: dsv4c opt %s --convert-tile-to-cpu="warp-shuffles" | FileCheck %s
// RUN: dsv4c opt %s --convert-tile-to-cpu | FileCheck %s --check-prefix=NOWARP
// With warp shuffles, a tile.topk with k <= 32 is k rounds of a warp
// arg-max: a parallel loop over (row, lane of 32); each lane scans
// positions lane, lane + 32, ... for the best one ranking after the last
// output, five butterfly exchanges of (key, position) agree on the warp's
// best, and lane 0 stores its position. Values are read back through the
// positions. Larger k and i64 keys keep the merge sort.

// CHECK-DAG: func.func private @dsv4c.shuffle_xor.f32(f32, i32) -> f32
// CHECK-DAG: func.func private @dsv4c.shuffle_xor.i32(i32, i32) -> i32
// CHECK-LABEL: func.func @top6
// CHECK: %[[KEYS:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<4x256xf32> to memref<4x256xf32>
// CHECK: %[[PICKS:.*]] = memref.alloc() : memref<4x6xi32>
// CHECK: scf.parallel (%[[ROW:.*]], %[[LANE:.*]]) = ({{.*}}) to (%c4, %c32)
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[P:.*]] = %[[LANE]] to %{{.*}} step %c32
// CHECK: memref.load %[[KEYS]][%{{.*}}, %[[P]]]
// CHECK-COUNT-5: call @dsv4c.shuffle_xor.i32
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[PICKS]][%{{.*}}, %[[J]]]
// CHECK: bufferization.to_tensor %[[PICKS]] restrict writable
// NOWARP-LABEL: func.func @top6
// NOWARP-NOT: shuffle_xor
tile.kernel @top6(%x: !tile.ptr<f32>, %o: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c256 = arith.constant 256 : index
  %t = tile.load %x[%c0, %c0] strides[%c256, %c1] : !tile.ptr<f32> -> tensor<4x256xf32>
  %vals, %idx = tile.topk %t {k = 6} : tensor<4x256xf32> -> tensor<4x6xf32>, tensor<4x6xi32>
  tile.store %idx, %o[%c0, %c0] strides[%c6, %c1] : tensor<4x6xi32> -> !tile.ptr<i32>
  tile.return
}

// CHECK-LABEL: func.func @top40
// CHECK-NOT: shuffle_xor
// CHECK-LABEL: func.func @top6_i64
// CHECK-NOT: shuffle_xor
// CHECK: return
tile.kernel @top40(%x: !tile.ptr<f32>, %o: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c40 = arith.constant 40 : index
  %c256 = arith.constant 256 : index
  %t = tile.load %x[%c0, %c0] strides[%c256, %c1] : !tile.ptr<f32> -> tensor<4x256xf32>
  %vals, %idx = tile.topk %t {k = 40} : tensor<4x256xf32> -> tensor<4x40xf32>, tensor<4x40xi32>
  tile.store %idx, %o[%c0, %c0] strides[%c40, %c1] : tensor<4x40xi32> -> !tile.ptr<i32>
  tile.return
}

tile.kernel @top6_i64(%x: !tile.ptr<i64>, %o: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c64 = arith.constant 64 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<i64> -> tensor<64xi64>
  %vals, %idx = tile.topk %t {k = 6} : tensor<64xi64> -> tensor<6xi64>, tensor<6xi32>
  tile.store %idx, %o[%c0] strides[%c1] : tensor<6xi32> -> !tile.ptr<i32>
  tile.return
}
