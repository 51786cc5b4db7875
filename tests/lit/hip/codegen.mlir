// `dsv4c codegen --target hip`: a tile kernel becomes an AMDGPU kernel for
// gfx942; a group of 128 work-items runs each program (two wave64 waves that
// meet at s_barrier), tile buffers come from the launch's arena slice, with
// the per-group buffer cache and hand-off in LDS (ds_ reads and writes). The
// entry's pointers are global (kernarg), there is no device malloc, and exp
// is a polynomial (no math library call).
// RUN: dsv4c codegen %s --target hip --assembly | FileCheck %s
// CHECK: .amdgcn_target "amdgcn-amd-amdhsa--gfx942"
// CHECK: silu:
// CHECK-DAG: s_barrier
// CHECK-DAG: ds_write_b64
// CHECK-DAG: ds_read_b64
// CHECK-DAG: global_load_dword
// CHECK-NOT: malloc
// CHECK-NOT: __ocml
// CHECK: .amdhsa_kernel silu
// CHECK: .amdhsa_group_segment_fixed_size
// CHECK: .end_amdhsa_kernel
// The kernel takes its 3 arguments, the grid, and the arena: 9 x 8 bytes.
// CHECK: .kernarg_segment_size: 72
// CHECK: .max_flat_workgroup_size: 128
// CHECK: .name: silu
//
// The code object is a loadable ELF that llvm-objdump disassembles.
// RUN: dsv4c codegen %s --target hip -o %t.hsaco
// RUN: llvm-objdump -d %t.hsaco | FileCheck %s --check-prefix=OBJ
// OBJ: file format elf64-amdgpu
// OBJ: <silu>:
// OBJ: s_barrier
// RUN: llvm-readelf --symbols %t.hsaco | FileCheck %s --check-prefix=SYMS
// SYMS-DAG: FUNC GLOBAL PROTECTED {{.*}} silu
// SYMS-DAG: OBJECT GLOBAL DEFAULT {{.*}} silu.kd
//
// RUN: dsv4c codegen %s --target hip --arch gfx90a --assembly | FileCheck %s --check-prefix=MI200
// MI200: .amdgcn_target "amdgcn-amd-amdhsa--gfx90a
// RUN: not dsv4c codegen %s --target hip --arch gfx9999 2>&1 | FileCheck %s --check-prefix=BADARCH
// BADARCH: dsv4c codegen: hip: unknown architecture 'gfx9999' (not a processor LLVM knows for amdgcn-amd-amdhsa)
// RUN: not dsv4c codegen %s --target level_zero --assembly 2>&1 | FileCheck %s --check-prefix=ASM
// ASM: dsv4c codegen: --assembly is for --target hip
// RUN: not dsv4c codegen %s 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: dsv4c codegen: missing --target (cuda, hip, level_zero or opencl)
// RUN: not dsv4c codegen %s --target tpu 2>&1 | FileCheck %s --check-prefix=TPU
// TPU: dsv4c codegen: unknown target 'tpu' (cuda, hip, level_zero or opencl)
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
