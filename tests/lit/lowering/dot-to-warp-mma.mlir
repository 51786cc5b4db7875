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
// (e2m1 codes widened to e4m3 bytes of their value times 2^-6) and apply
// both block scales once per 32 k (the smaller block), reading the one of
// the longer block once per its span.

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
// The accumulator is read only inside the result (rows past 4: zero, no
// read of another lane's element):
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c4{{.*}} : index
// CHECK-NEXT: scf.if %[[IN]] -> (f32) {
// CHECK-NEXT: memref.load %arg2
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK-NEXT: arith.constant 0.0
// CHECK-NEXT: scf.yield
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
// A's scale (1x128 blocks) is one value per 128 k: read once per span of
// 128, outside the chunks.
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c128
// CHECK: memref.load %arg2{{.*}} : memref<16x1xf8E8M0FNU>
// CHECK: arith.extf %{{.*}} : f8E8M0FNU to f32
// CHECK: memref.load %arg2{{.*}} : memref<16x1xf8E8M0FNU>
// Chunks of 32 k (the rhs scale block), one instruction each:
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// CHECK: scf.for
// A registers: 4 e4m3 bytes, one 32-bit load each.
// CHECK-COUNT-4: call @dsv4c.load_b32
// B registers: 4 e2m1 codes (a byte each in the tile buffer) in one 32-bit
// load, widened to e4m3 bytes (value * 2^-6) all four at once: (w & 0x07..)
// << 2 | (w & 0x08..) << 4.
// CHECK-NOT: memref.load %arg1
// CHECK: call @dsv4c.load_b32
// CHECK-NEXT: arith.constant 117901063 : i32
// CHECK-NEXT: arith.andi
// CHECK-NEXT: arith.constant 2 : i32
// CHECK-NEXT: arith.shli
// CHECK-NEXT: arith.constant 134744072 : i32
// CHECK-NEXT: arith.andi
// CHECK-NEXT: arith.constant 4 : i32
// CHECK-NEXT: arith.shli
// CHECK-NEXT: arith.ori
// CHECK-NOT: memref.load %arg1
// CHECK: call @dsv4c.load_b32
// CHECK-NOT: memref.load %arg1
// CHECK: call @dsv4c.mma.f8.m16n8k32
// B's scales per chunk, then each sum times 2^6 (the widening's), A's
// scale, B's scale, added to the result:
// CHECK: memref.load %arg3{{.*}} : memref<8x4xf32>
// CHECK: memref.load %arg3{{.*}} : memref<8x4xf32>
// CHECK: %[[C64:.*]] = arith.constant 6.400000e+01 : f32
// CHECK-NEXT: %[[W:.*]] = arith.mulf %{{.*}}, %[[C64]]
// CHECK-NEXT: %[[WA:.*]] = arith.mulf %[[W]], %{{.*}}
// CHECK-NEXT: %[[WAB:.*]] = arith.mulf %[[WA]], %{{.*}}
// CHECK-NEXT: arith.addf %{{.*}}, %[[WAB]]
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

// e2m1 on the left (a grouped expert linear computes y^T = W x^T): the four
// A registers are widened, B's are e4m3 words as they are; A's scale (1x32)
// per chunk, B's (1x128) once per 128.
#ls32 = affine_map<(m, n, k) -> (m, k floordiv 32)>
#rs128 = affine_map<(m, n, k) -> (n, k floordiv 128)>
// CHECK-LABEL: func.func @f8_lhs_e2m1
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c128
// CHECK: memref.load %arg3{{.*}} : memref<8x2xf8E8M0FNU>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// CHECK-COUNT-4: arith.constant 117901063 : i32
// CHECK-NOT: arith.constant 117901063 : i32
// CHECK: call @dsv4c.mma.f8.m16n8k32
// CHECK: memref.load %arg2{{.*}} : memref<16x8xf8E8M0FNU>
// CHECK: arith.constant 6.400000e+01 : f32
func.func @f8_lhs_e2m1(%a: memref<16x256xf4E2M1FN>, %b: memref<8x256xf8E4M3FN>,
                       %sa: memref<16x8xf8E8M0FNU>, %sb: memref<8x2xf8E8M0FNU>,
                       %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #ls32, #rs128, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %sa, %sb : memref<16x256xf4E2M1FN>, memref<8x256xf8E4M3FN>, memref<16x8xf8E8M0FNU>, memref<8x2xf8E8M0FNU>)
      outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true,
               dsv4c.mma_lhs_scale_block = array<i64: 1, 32>,
               dsv4c.mma_rhs_scale_block = array<i64: 1, 128>} {
  ^bb0(%x: f4E2M1FN, %y: f8E4M3FN, %s0: f8E8M0FNU, %s1: f8E8M0FNU, %o: f32):
    linalg.yield %o : f32
  }
  return
}

// k longer than one chunk with no longer scale span (unscaled bf16: chunks
// of 128; FP8 with both scales in 128-blocks): one loop over every chunk
// of k, not only the first.
// CHECK-LABEL: func.func @bf16_long_k
// CHECK: %[[K:.*]] = arith.constant 256 : index
// CHECK: %[[STEP:.*]] = arith.constant 128 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[K]] step %[[STEP]]
// CHECK: scf.for %{{.*}} step %c16
func.func @bf16_long_k(%a: memref<16x256xbf16>, %b: memref<8x256xbf16>, %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x256xbf16>, memref<8x256xbf16>) outs(%c : memref<16x8xf32>)
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

#ls128 = affine_map<(m, n, k) -> (m, k floordiv 128)>
#rs128x128 = affine_map<(m, n, k) -> (n floordiv 128, k floordiv 128)>
// CHECK-LABEL: func.func @f8_long_k
// CHECK: %[[K:.*]] = arith.constant 256 : index
// CHECK: %[[STEP:.*]] = arith.constant 128 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[K]] step %[[STEP]]
// CHECK: scf.for %{{.*}} step %c32
func.func @f8_long_k(%a: memref<16x256xf8E4M3FN>, %b: memref<8x256xf8E4M3FN>,
                     %sa: memref<16x2xf8E8M0FNU>, %sb: memref<1x2xf32>,
                     %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #ls128, #rs128x128, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %sa, %sb : memref<16x256xf8E4M3FN>, memref<8x256xf8E4M3FN>, memref<16x2xf8E8M0FNU>, memref<1x2xf32>)
      outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true,
               dsv4c.mma_lhs_scale_block = array<i64: 1, 128>,
               dsv4c.mma_rhs_scale_block = array<i64: 128, 128>} {
  ^bb0(%x: f8E4M3FN, %y: f8E4M3FN, %s0: f8E8M0FNU, %s1: f32, %o: f32):
    linalg.yield %o : f32
  }
  return
}
