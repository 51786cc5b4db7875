// `dsv4c codegen --target level_zero`: a tile kernel becomes a SPIR-V
// OpenCL-style kernel that spirv-val accepts: a work-group of 128 items per
// program (LocalSize 128), local/group ids as built-in variables, barriers
// as OpControlBarrier, the buffer cache and hand-off in Workgroup memory,
// global (CrossWorkgroup) pointer parameters cast to generic ones. No bf16
// type (SPV_KHR_bfloat16 is too new for most drivers): bf16 is handled as
// its 16 bits.
// RUN: dsv4c codegen %s --target level_zero -o %t.spv
// RUN: spirv-val %t.spv
// RUN: spirv-dis %t.spv | FileCheck %s
// CHECK-DAG: OpCapability Kernel
// CHECK-DAG: OpCapability Addresses
// CHECK-DAG: OpCapability GenericPointer
// CHECK-DAG: OpMemoryModel Physical64 OpenCL
// CHECK-DAG: OpEntryPoint Kernel %silu "silu"
// CHECK-DAG: OpExecutionMode %silu LocalSize 128 1 1
// CHECK-DAG: OpDecorate %{{.*}} BuiltIn LocalInvocationId
// CHECK-DAG: OpDecorate %{{.*}} BuiltIn WorkgroupId
// CHECK-DAG: %{{.*}} = OpTypePointer CrossWorkgroup
// CHECK-DAG: %{{.*}} = OpTypePointer Workgroup
// CHECK-DAG: OpControlBarrier
// CHECK-DAG: OpPtrCastToGeneric
// CHECK-NOT: BFloat16
// RUN: not dsv4c codegen %s --target level_zero --arch xe 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: dsv4c codegen: --arch does not apply to level_zero (the runtime compiles
tile.kernel @silu(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pid = tile.program_id 0
  %off = arith.muli %pid, %c64 : index
  %t = tile.load %x[%off] strides[%c1] bounds[%n] : !tile.ptr<f32> -> tensor<64xf32>
  %ng = arith.negf %t : tensor<64xf32>
  %e = math.exp %ng : tensor<64xf32>
  %one = arith.constant 1.0 : f32
  %ones = tile.splat %one : tensor<64xf32>
  %d = arith.addf %ones, %e : tensor<64xf32>
  %s = arith.divf %t, %d : tensor<64xf32>
  tile.store %s, %y[%off] strides[%c1] bounds[%n] : tensor<64xf32> -> !tile.ptr<f32>
  tile.return
}
