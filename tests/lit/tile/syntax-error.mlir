// Malformed input: the parser reports file:line:col and dsv4c exits non-zero.
// RUN: not dsv4c opt %s 2>&1 | FileCheck %s
// RUN: not dsv4c opt %s -o /dev/null

// The missing `strides` keyword is reported at the `[` after `%x[%c0]` (line 12, column 26).
// CHECK: {{.*}}syntax-error.mlir:12:26: error: custom op 'tile.load' expected 'strides'
// CHECK-NOT: error:

tile.kernel @k(%x: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] [%c1] : !tile.ptr<f32> -> tensor<16xf32>
  tile.return
}
