// RUN: dsv4c opt %s --convert-tile-to-cpu="async-copies" | FileCheck %s
// RUN: dsv4c opt %s --convert-tile-to-cpu --verify-diagnostics -o /dev/null
// A load marked dsv4c.swizzle128 (mark-warpgroup-dots) is staged for the
// warpgroup instruction: no padding, 1024-byte alignment, each 128-byte
// block of k a [rows, 128] region, row r's chunk j at j ^ r % 8. Without
// async-copies it cannot be staged so, and that is an error (the
// instruction would read any other layout wrong).
// CHECK-LABEL: func.func @swizzled
// CHECK: memref.alloc() {alignment = 1024 : i64} : memref<16x256xf8E4M3FN>
// CHECK: scf.parallel (%[[ROW:[a-z0-9]+]], %[[CHUNK:[a-z0-9]+]]) =
// CHECK: %[[BLOCK:.*]] = arith.divui %[[CHUNK]], %c8
// CHECK: %[[J:.*]] = arith.remui %[[CHUNK]], %c8
// CHECK: %[[R8:.*]] = arith.remui %[[ROW]], %c8
// CHECK: %[[SW:.*]] = arith.xori %[[J]], %[[R8]]
// CHECK: arith.muli %[[BLOCK]], %c2048
// CHECK: arith.muli %[[ROW]], %c128
// CHECK: arith.muli %[[SW]], %c16
// CHECK: call @dsv4c.copy_async.16(
// CHECK-NOT: memref.subview
// CHECK: call @dsv4c.copy_async_wait()
tile.kernel @swizzled(%x: !tile.ptr<f8E4M3FN>, %y: !tile.ptr<f8E4M3FN>, %m: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{is marked dsv4c.swizzle128 (mark-warpgroup-dots) but cannot be staged swizzled}}
  %t = tile.load %x[%c0, %c0] strides[%k, %c1] bounds[%m, %k] {dsv4c.swizzle128} : !tile.ptr<f8E4M3FN> -> tensor<16x256xf8E4M3FN>
  tile.store %t, %y[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : tensor<16x256xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.return
}
