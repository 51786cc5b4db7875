// RUN: dsv4c opt %s --dsv4c-cpu-pipeline | FileCheck %s
// RUN: dsv4c opt %s --dsv4c-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// The whole CPU pipeline leaves only the LLVM dialect, small floats are
// integer code, and math that LLVM has intrinsics for does not call libm.
// CHECK-NOT: llvm.func @fabsf
// CHECK-NOT: llvm.func @roundevenf
// CHECK-LABEL: llvm.func @quant(
// CHECK-SAME: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: tile.
// CHECK-NOT: f8E4M3FN
// LLVMIR: define void @quant(ptr %0, i64 %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6)
tile.kernel @quant(%x: !tile.ptr<bf16>, %q: !tile.ptr<f8E4M3FN>, %s: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %t = tile.load %x[%c0, %c0] strides[%c128, %c1] : !tile.ptr<bf16> -> tensor<4x128xbf16>
  %qt, %st = tile.quantize %t {block = array<i64: 1, 128>} : tensor<4x128xbf16> -> tensor<4x128xf8E4M3FN>, tensor<4x1xf32>
  tile.store %qt, %q[%c0, %c0] strides[%c128, %c1] : tensor<4x128xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %st, %s[%c0, %c0] strides[%c1, %c1] : tensor<4x1xf32> -> !tile.ptr<f32>
  tile.return
}
