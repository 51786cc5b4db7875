// `dsv4c ptx`: a tile kernel becomes a PTX .entry for sm_90a; a block of 128
// threads runs each program (block id = program), sharing out the tile ops'
// loops between barriers. Tile buffers that fit in shared memory get places
// there at compile time (silu); a program that needs more than static
// shared memory allows takes them from the launch's dynamic shared memory,
// whose size it names in dsv4c_dynamic_smem_<kernel> for the runtime (big);
// past that (200 KiB on sm_90a) they are malloc'd once per block at run
// time and handed out through shared memory (huge). exp is a polynomial, so no math library is called. The entry
// takes the kernel's arguments (pointers as global pointers), then the grid.
// RUN: dsv4c ptx %s | FileCheck %s
// CHECK: .target sm_90a
// CHECK-DAG: .extern .shared .align 16 .b8 dsv4c_dynamic_tiles[];
// CHECK-DAG: .visible .global .align 4 .u32 dsv4c_dynamic_smem_big = {{[0-9]+}};
// CHECK-NOT: dsv4c_dynamic_smem_huge
// CHECK-LABEL: .visible .entry silu(
// CHECK-NEXT: .param .u64 .ptr .align 1 silu_param_0,
// CHECK-NEXT: .param .u64 .ptr .align 1 silu_param_1,
// CHECK-NEXT: .param .u64 silu_param_2,
// CHECK-NEXT: .param .u64 silu_param_3,
// CHECK-NEXT: .param .u64 silu_param_4,
// CHECK-NEXT: .param .u64 silu_param_5
// CHECK-NEXT: )
// CHECK-NEXT: .maxntid 128
// CHECK-DAG: .shared .align 16 .b8 dsv4c_tiles_silu[256];
// CHECK-DAG: %ctaid.x
// CHECK-DAG: %tid.x
// CHECK-DAG: %ntid.x
// CHECK-DAG: barrier.sync 0;
// CHECK-NOT: malloc
// CHECK-LABEL: .visible .entry big(
// CHECK-NOT: malloc
// CHECK: mov.b64 {{.*}}, dsv4c_dynamic_tiles;
// CHECK-NOT: malloc
// CHECK-LABEL: .visible .entry huge(
// CHECK-DAG: call.uni (retval0), malloc,
// CHECK-DAG: st.shared.b64 [dsv4c_block_buffer]
// CHECK-DAG: ld.shared.b64 {{.*}}[dsv4c_block_buffer]
// CHECK-NOT: expf
// CHECK-NOT: __nv_
// RUN: dsv4c ptx %s --sm sm_80 | FileCheck %s --check-prefix=SM80
// SM80: .target sm_80
// SM80: .visible .global .align 4 .u32 dsv4c_dynamic_smem_big = {{[0-9]+}};
// sm_70 has no opt-in dynamic shared memory past 48 KiB: big mallocs.
// RUN: dsv4c ptx %s --sm sm_70 | FileCheck %s --check-prefix=SM70
// SM70-NOT: dsv4c_dynamic_smem
// SM70-LABEL: .visible .entry big(
// SM70: call.uni (retval0), malloc,
// Blackwell (sm_120) needs PTX 8.7; an architecture below sm_70 or one LLVM
// does not know is an error, not an abort in the backend.
// RUN: dsv4c ptx %s --sm sm_120 | FileCheck %s --check-prefix=SM120
// SM120: .version 8.7
// SM120: .target sm_120
// RUN: not dsv4c ptx %s --sm sm_60 2>&1 | FileCheck %s --check-prefix=SM60
// SM60: dsv4c ptx: cuda: GPU architecture 'sm_60': the CUDA target needs sm_70 or newer (e.g. sm_80, sm_86, sm_89, sm_90a, sm_120)
// RUN: not dsv4c ptx %s --sm sm_999 2>&1 | FileCheck %s --check-prefix=SM999
// SM999: dsv4c ptx: cuda: unknown architecture 'sm_999' (not a processor LLVM knows for nvptx64-nvidia-cuda)
// RUN: not dsv4c ptx 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: dsv4c ptx: missing FILE.mlir
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

// 128x128 f32 tiles: 64 KiB each, more than the 40 KiB of static shared
// memory planned tiles get.
tile.kernel @big(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %t = tile.load %x[%c0, %c0] strides[%c128, %c1] bounds[%n, %c128] : !tile.ptr<f32> -> tensor<128x128xf32>
  %s = tile.reduce sum %t {dim = 1} : tensor<128x128xf32> -> tensor<128xf32>
  tile.store %s, %y[%c0] strides[%c1] bounds[%n] : tensor<128xf32> -> !tile.ptr<f32>
  tile.return
}

// 256x256 f32: 256 KiB, more than a Hopper block's shared memory.
tile.kernel @huge(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %t = tile.load %x[%c0, %c0] strides[%c256, %c1] bounds[%n, %c256] : !tile.ptr<f32> -> tensor<256x256xf32>
  %s = tile.reduce sum %t {dim = 1} : tensor<256x256xf32> -> tensor<256xf32>
  tile.store %s, %y[%c0] strides[%c1] bounds[%n] : tensor<256xf32> -> !tile.ptr<f32>
  tile.return
}
