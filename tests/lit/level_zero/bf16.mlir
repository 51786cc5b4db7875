// bf16 data on a target without a bf16 type: loads and stores move 16 bits,
// conversions are integer code (widening is a shift; narrowing rounds to
// nearest even), and spirv-val accepts the module.
// RUN: dsv4c codegen %s --target level_zero -o %t.spv
// RUN: spirv-val %t.spv
// RUN: spirv-dis %t.spv | FileCheck %s
// CHECK-NOT: BFloat16
// CHECK-DAG: OpTypeInt 16 0
// CHECK-DAG: OpShiftLeftLogical
// CHECK-DAG: OpShiftRightLogical
// CHECK-DAG: OpUConvert
tile.kernel @scale_bf16(%x: !tile.ptr<bf16>, %y: !tile.ptr<bf16>, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id 0
  %off = arith.muli %pid, %c64 : index
  %t = tile.load %x[%off] strides[%c1] bounds[%n] : !tile.ptr<bf16> -> tensor<64xbf16>
  %w = arith.extf %t : tensor<64xbf16> to tensor<64xf32>
  %two = arith.constant 2.5 : f32
  %s = tile.splat %two : tensor<64xf32>
  %p = arith.mulf %w, %s : tensor<64xf32>
  %r = arith.truncf %p : tensor<64xf32> to tensor<64xbf16>
  tile.store %r, %y[%off] strides[%c1] bounds[%n] : tensor<64xbf16> -> !tile.ptr<bf16>
  tile.return
}
