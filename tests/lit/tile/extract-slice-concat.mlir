// RUN: dsv4c opt %s --split-input-file | dsv4c opt --split-input-file | FileCheck %s
// RUN: dsv4c opt %s --split-input-file --verify-diagnostics --dsv4c-cpu-pipeline -o /dev/null

// CHECK-LABEL: tile.kernel @ops(
// CHECK: %{{.*}} = extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<4x32xf32>
// CHECK: slice %{{.*}} {offsets = array<i64: 0, 1>, strides = array<i64: 1, 2>} : tensor<4x32xf32> -> tensor<4x16xf32>
// CHECK: slice %{{.*}} {offsets = array<i64: 1, 0>} : tensor<4x32xf32> -> tensor<2x32xf32>
// CHECK: concat %{{.*}}, %{{.*}} {dim = 0 : i64} : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<6x32xf32>
tile.kernel @ops(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %t = tile.load %x[%c0, %c0] strides[%c32, %c1] : !tile.ptr<f32> -> tensor<4x32xf32>
  %e = tile.extract %t[%c1, %c0] : tensor<4x32xf32>
  %odd = tile.slice %t {offsets = array<i64: 0, 1>, strides = array<i64: 1, 2>} : tensor<4x32xf32> -> tensor<4x16xf32>
  %mid = tile.slice %t {offsets = array<i64: 1, 0>} : tensor<4x32xf32> -> tensor<2x32xf32>
  %c = tile.concat %t, %mid {dim = 0} : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<6x32xf32>
  tile.store %c, %o[%c0, %c0] strides[%c32, %c1] : tensor<6x32xf32> -> !tile.ptr<f32>
  tile.return
}
