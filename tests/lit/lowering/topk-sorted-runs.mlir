// RUN: dsv4c opt %s --convert-tile-to-cpu | FileCheck %s
// tile.topk's merge sort makes one pass per doubling of its sorted runs:
// runs of 1, 2, ... 32 merged into 64 (six passes, a loop over run pairs
// of width 2 to 64 each). With sorted_runs = 32 the input's two runs of 32
// are taken as sorted: one pass, over pairs of width 64.

// CHECK-LABEL: func.func @runs
// CHECK-NOT: step %c2
// CHECK: scf.for %{{.*}} = %{{.*}} to %c64 step %c64
// CHECK-NOT: step %c32
// CHECK: return
// CHECK-LABEL: func.func @whole
// CHECK: step %c2
// CHECK: step %c4
// CHECK: step %c8
// CHECK: step %c16
// CHECK: step %c32
// CHECK: return
tile.kernel @runs(%x: !tile.ptr<i64>, %o: !tile.ptr<i64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<i64> -> tensor<64xi64>
  %v, %i = tile.topk %t {k = 64, sorted_runs = 32} : tensor<64xi64> -> tensor<64xi64>, tensor<64xi32>
  tile.store %v, %o[%c0] strides[%c1] : tensor<64xi64> -> !tile.ptr<i64>
  tile.return
}
tile.kernel @whole(%x: !tile.ptr<i64>, %o: !tile.ptr<i64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<i64> -> tensor<64xi64>
  %v, %i = tile.topk %t {k = 64} : tensor<64xi64> -> tensor<64xi64>, tensor<64xi32>
  tile.store %v, %o[%c0] strides[%c1] : tensor<64xi64> -> !tile.ptr<i64>
  tile.return
}
