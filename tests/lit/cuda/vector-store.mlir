// `dsv4c ptx`: tile.stores whose rows are whole 16-byte chunks store a chunk
// per iteration: one 128-bit store where the chunk is in bounds, stride 1
// and aligned (checked at run time), else its elements one by one.
// RUN: dsv4c ptx %s | FileCheck %s
// RUN: dsv4c opt %s --convert-tile-to-cpu=parallel-stores | FileCheck %s --check-prefix=MLIR

// CHECK-LABEL: .entry scale_rows(
// CHECK: st.global.v4.b32
// CHECK: st.global.b16
// MLIR-LABEL: func.func @scale_rows
// MLIR: scf.parallel {{.*}} to (%c4, %c32)
// MLIR: llvm.ptrtoint
// MLIR: llvm.insertelement
// MLIR: llvm.store {{.*}} {alignment = 16 : i64} : vector<8xbf16>
// MLIR: } else {
// MLIR: llvm.store {{.*}} : bf16
// MLIR: dsv4c.store_nest
tile.kernel @scale_rows(%x: !tile.ptr<f32>, %y: !tile.ptr<bf16>, %rows: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %t = tile.load %x[%c0, %c0] strides[%c256, %c1] bounds[%rows, %c256]
      : !tile.ptr<f32> -> tensor<4x256xf32>
  %h = tile.cast %t : tensor<4x256xf32> -> tensor<4x256xbf16>
  tile.store %h, %y[%c0, %c0] strides[%c256, %c1] bounds[%rows, %c256]
      : tensor<4x256xbf16> -> !tile.ptr<bf16>
  tile.return
}

// Rows of 12 bf16 (24 bytes) are not whole chunks: element stores only.
// CHECK-LABEL: .entry ragged_rows(
// CHECK-NOT: st.global.v4
// CHECK: st.global.b16
// MLIR-LABEL: func.func @ragged_rows
// MLIR-NOT: vector<
// MLIR: dsv4c.store_nest
tile.kernel @ragged_rows(%x: !tile.ptr<f32>, %y: !tile.ptr<bf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c12 = arith.constant 12 : index
  %t = tile.load %x[%c0, %c0] strides[%c12, %c1] : !tile.ptr<f32> -> tensor<4x12xf32>
  %h = tile.cast %t : tensor<4x12xf32> -> tensor<4x12xbf16>
  tile.store %h, %y[%c0, %c0] strides[%c12, %c1] : tensor<4x12xbf16> -> !tile.ptr<bf16>
  tile.return
}
