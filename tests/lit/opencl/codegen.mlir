// `dsv4c codegen --target opencl`: a tile kernel becomes an OpenCL C kernel
// dsv4c_<name> for work-groups of 128 items; pointers are 64-bit addresses
// (ulong) cast at each access, the tile buffer cache and hand-off are
// __local arrays, barriers are barrier(), control flow is gotos between the
// optimized IR's blocks; the entry takes the kernel's arguments, the grid
// and the arena (heap, bytes per group, groups). exp is a polynomial (fma).
// RUN: dsv4c codegen %s --target opencl | FileCheck %s
// CHECK: static float dsv4c_maximum(float a, float b)
// CHECK: __kernel __attribute__((reqd_work_group_size(128, 1, 1))) void dsv4c_silu(ulong a0, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5, ulong a6, ulong a7, ulong a8) {
// CHECK: __local uchar l_dsv4c_block_buffer[8] __attribute__((aligned(16)));
// CHECK-DAG: get_local_id(0)
// CHECK-DAG: get_group_id(0)
// CHECK-DAG: barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
// CHECK-DAG: *(__global float *)(
// CHECK-DAG: fma(
// CHECK-DAG: goto b
// CHECK-NOT: malloc
// RUN: not dsv4c codegen %s --target opencl --arch x 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: dsv4c codegen: --arch does not apply to opencl
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
