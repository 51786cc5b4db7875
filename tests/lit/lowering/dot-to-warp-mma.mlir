// RUN: dsv4c opt %s --dot-to-warp-mma | FileCheck %s
// A dot marked for warp matrix instructions becomes a parallel loop over
// (16x8 result tile, lane of 32): the lane loads its 4 accumulators, calls
// the instruction helper along k with its A and B registers (two elements
// per bf16 register, low element in the low bits), and stores them back.
// Each chunk of at most 128 k is summed from zero and added in f32. Rows
// past a ragged edge (4 rows here) are clamped, read as zero and not
// stored. Where k is contiguous in a bf16 or e4m3 operand (A, and B stored
// [n, k]) with 4-byte aligned rows, a register is one dsv4c.load_b32 at the
// element's address; otherwise it is packed from element loads (B stored
// [k, n], rows of an odd number of bf16). f8 dots pack 4 bytes per register
// (e2m1 codes widened to e4m3 bytes) and apply both block scales once per
// 32 k (the smaller block).

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#acc = affine_map<(m, n, k) -> (m, n)>
#ls = affine_map<(m, n, k) -> (m, k floordiv 128)>
#rs = affine_map<(m, n, k) -> (n, k floordiv 32)>

// CHECK-DAG: func.func private @dsv4c.mma.bf16.m16n8k16(i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> (f32, f32, f32, f32)
// CHECK-DAG: func.func private @dsv4c.mma.f8.m16n8k32(i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> (f32, f32, f32, f32)
// CHECK-DAG: func.func private @dsv4c.load_b32(i64) -> i32

// CHECK-LABEL: func.func @bf16_ragged
// CHECK-NOT: linalg.generic
// CHECK: %[[A:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[B:.*]] = memref.extract_aligned_pointer_as_index %arg1
// 1 x 2 tiles of 16x8, 32 lanes:
// CHECK: %[[TILES:.*]] = arith.constant 2 : index
// CHECK: %[[LANES:.*]] = arith.constant 32 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%[[TILES]], %[[LANES]])
// CHECK: arith.minui %{{.*}}, %c3
// CHECK: memref.load %arg2
// CHECK: arith.select
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// A's rows past 4 are read from row 3 and zeroed:
// CHECK: arith.minui %{{.*}}, %c3
// CHECK: %[[AT:.*]] = func.call @dsv4c.load_b32
// CHECK: arith.select %{{.*}}, %[[AT]], %c0_i32
// CHECK-NOT: memref.load
// CHECK: call @dsv4c.mma.bf16.m16n8k16
// CHECK: scf.yield
// CHECK: scf.if
// CHECK-NEXT: memref.store %{{.*}}, %arg2
func.func @bf16_ragged(%a: memref<4x32xbf16>, %b: memref<16x32xbf16>, %c: memref<4x16xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x32xbf16>, memref<16x32xbf16>) outs(%c : memref<4x16xf32>)
      attrs = {dsv4c.mma = "bf16", dsv4c.mma_rhs_transposed = true} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @bf16_element_loads
// CHECK: scf.parallel
// CHECK-NOT: dsv4c.load_b32
// CHECK: memref.load %arg0
// CHECK: arith.bitcast %{{.*}} : bf16 to i16
// CHECK: arith.shli %{{.*}}, %c16_i32
// CHECK: memref.load %arg1
// CHECK: call @dsv4c.mma.bf16.m16n8k16
// CHECK: return
func.func @bf16_element_loads(%a: memref<16x32xbf16, strided<[33, 1]>>, %b: memref<32x8xbf16>, %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x32xbf16, strided<[33, 1]>>, memref<32x8xbf16>) outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "bf16"} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @f8_scaled
// CHECK: scf.parallel
// Chunks of 32 k (the rhs scale block), one instruction each:
// CHECK: scf.for %[[KC:.*]] = %{{.*}} to %{{.*}} step %c32
// A registers: 4 e4m3 bytes, one 32-bit load each.
// CHECK-COUNT-4: call @dsv4c.load_b32
// B registers: 4 e2m1 codes (a byte each in the tile buffer) in one 32-bit
// load, widened to e4m3 bytes all four at once.
// CHECK-NOT: memref.load %arg1
// CHECK: call @dsv4c.load_b32
// CHECK-NEXT: arith.constant 252645135 : i32
// CHECK-NEXT: arith.andi
// CHECK-NOT: memref.load %arg1
// CHECK: call @dsv4c.load_b32
// CHECK-NOT: memref.load %arg1
// CHECK: call @dsv4c.mma.f8.m16n8k32
// CHECK: memref.load %arg2{{.*}} : memref<16x1xf8E8M0FNU>
// CHECK: arith.extf %{{.*}} : f8E8M0FNU to f32
// CHECK: memref.load %arg3{{.*}} : memref<8x4xf32>
// CHECK: arith.addf
// CHECK-NOT: scf.if
// CHECK: memref.store %{{.*}}, %arg4
func.func @f8_scaled(%a: memref<16x128xf8E4M3FN>, %b: memref<8x128xf4E2M1FN>,
                     %sa: memref<16x1xf8E8M0FNU>, %sb: memref<8x4xf32>,
                     %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #ls, #rs, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %sa, %sb : memref<16x128xf8E4M3FN>, memref<8x128xf4E2M1FN>, memref<16x1xf8E8M0FNU>, memref<8x4xf32>)
      outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true,
               dsv4c.mma_lhs_scale_block = array<i64: 1, 128>,
               dsv4c.mma_rhs_scale_block = array<i64: 1, 32>} {
  ^bb0(%x: f8E4M3FN, %y: f4E2M1FN, %s0: f8E8M0FNU, %s1: f32, %o: f32):
    linalg.yield %o : f32
  }
  return
}
