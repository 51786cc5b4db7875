// RUN: dsv4c opt %s --dot-to-warp-mma | FileCheck %s
// A dot of many 16x8 tiles: a lane runs 2 or 4 tiles side by side along n,
// the largest run that still leaves one for each of a program's 4 warps. Per
// k step it loads its 4 A registers once and each tile's 2 B registers, then
// makes one instruction per tile; it keeps 4 accumulators per tile, and each
// tile's accumulators take their own columns' scales.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>
#ls = affine_map<(m, n, k) -> (m, k floordiv 32)>
#rs = affine_map<(m, n, k) -> (n, k floordiv 32)>

// 1 x 8 tiles: runs of 2 (runs of 4 would leave 2 warps without work).
// CHECK-LABEL: func.func @bf16_runs_of_2
// CHECK: %[[RUNS:.*]] = arith.constant 4 : index
// CHECK: %[[LANES:.*]] = arith.constant 32 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%[[RUNS]], %[[LANES]])
// CHECK-COUNT-8: memref.load %arg2
// CHECK: scf.for %{{.*}} step %c16{{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-8: call @dsv4c.load_b32
// CHECK-NEXT: call @dsv4c.mma.bf16.m16n8k16
// CHECK-NEXT: call @dsv4c.mma.bf16.m16n8k16
// CHECK-NEXT: scf.yield
// CHECK-COUNT-8: memref.store %{{.*}}, %arg2
func.func @bf16_runs_of_2(%a: memref<16x64xbf16>, %b: memref<64x64xbf16>, %c: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x64xbf16>, memref<64x64xbf16>) outs(%c : memref<16x64xf32>)
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

// 2 x 16 tiles: runs of 4 (8 of them), 4 instructions a k step; B's scale
// (1x32 per row of b, i.e. per result column) read for both columns of each
// of the 4 tiles, and each tile's 4 sums multiplied by its own two.
// CHECK-LABEL: func.func @f8_runs_of_4
// CHECK: %[[RUNS:.*]] = arith.constant 8 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%[[RUNS]], %{{.*}})
// CHECK-COUNT-16: memref.load %arg4
// CHECK: scf.for
// CHECK: scf.for
// CHECK-COUNT-12: call @dsv4c.load_b32
// CHECK-NEXT: call @dsv4c.mma.f8.m16n8k32
// CHECK-NEXT: call @dsv4c.mma.f8.m16n8k32
// CHECK-NEXT: call @dsv4c.mma.f8.m16n8k32
// CHECK-NEXT: call @dsv4c.mma.f8.m16n8k32
// CHECK-NEXT: scf.yield
// CHECK: memref.load %arg2{{.*}} : memref<32x2xf8E8M0FNU>
// CHECK-NEXT: %[[R0:.*]] = arith.extf
// CHECK: memref.load %arg2{{.*}} : memref<32x2xf8E8M0FNU>
// CHECK-NEXT: %[[R1:.*]] = arith.extf
// CHECK: memref.load %arg3{{.*}} : memref<128x2xf8E8M0FNU>
// CHECK-NEXT: %[[T0C0:.*]] = arith.extf
// CHECK: memref.load %arg3{{.*}} : memref<128x2xf8E8M0FNU>
// CHECK-NEXT: %[[T0C1:.*]] = arith.extf
// CHECK: memref.load %arg3{{.*}} : memref<128x2xf8E8M0FNU>
// CHECK-NEXT: %[[T1C0:.*]] = arith.extf
// CHECK: memref.load %arg3{{.*}} : memref<128x2xf8E8M0FNU>
// CHECK-NEXT: %[[T1C1:.*]] = arith.extf
// CHECK-COUNT-4: memref.load %arg3{{.*}} : memref<128x2xf8E8M0FNU>
// CHECK-NOT: memref.load %arg3
// Tile 0's sums: rows (r0, r0, r1, r1) x its columns (c0, c1, c0, c1);
// tile 1's the same rows with its own columns.
// CHECK: %[[S0:.*]] = arith.mulf %{{.*}}#0, %[[R0]]
// CHECK-NEXT: arith.mulf %[[S0]], %[[T0C0]]
// CHECK: %[[S1:.*]] = arith.mulf %{{.*}}#1, %[[R0]]
// CHECK-NEXT: arith.mulf %[[S1]], %[[T0C1]]
// CHECK: %[[S2:.*]] = arith.mulf %{{.*}}#2, %[[R1]]
// CHECK-NEXT: arith.mulf %[[S2]], %[[T0C0]]
// CHECK: %[[S3:.*]] = arith.mulf %{{.*}}#3, %[[R1]]
// CHECK-NEXT: arith.mulf %[[S3]], %[[T0C1]]
// CHECK: %[[S4:.*]] = arith.mulf %{{.*}}#4, %[[R0]]
// CHECK-NEXT: arith.mulf %[[S4]], %[[T1C0]]
// CHECK: %[[S5:.*]] = arith.mulf %{{.*}}#5, %[[R0]]
// CHECK-NEXT: arith.mulf %[[S5]], %[[T1C1]]
// CHECK: %[[S6:.*]] = arith.mulf %{{.*}}#6, %[[R1]]
// CHECK-NEXT: arith.mulf %[[S6]], %[[T1C0]]
// CHECK-COUNT-9: arith.addf
// CHECK-COUNT-16: memref.store %{{.*}}, %arg4
func.func @f8_runs_of_4(%a: memref<32x64xf8E4M3FN>, %b: memref<128x64xf8E4M3FN>,
                        %sa: memref<32x2xf8E8M0FNU>, %sb: memref<128x2xf8E8M0FNU>,
                        %c: memref<32x128xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #ls, #rs, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %sa, %sb : memref<32x64xf8E4M3FN>, memref<128x64xf8E4M3FN>, memref<32x2xf8E8M0FNU>, memref<128x2xf8E8M0FNU>)
      outs(%c : memref<32x128xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true,
               dsv4c.mma_lhs_scale_block = array<i64: 1, 32>,
               dsv4c.mma_rhs_scale_block = array<i64: 1, 32>} {
  ^bb0(%x: f8E4M3FN, %y: f8E4M3FN, %s0: f8E8M0FNU, %s1: f8E8M0FNU, %o: f32):
    linalg.yield %o : f32
  }
  return
}

// 1 x 2 tiles (the small dots of other tests): one tile a lane, as before.
// CHECK-LABEL: func.func @few_tiles
// CHECK: %[[TILES:.*]] = arith.constant 2 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%[[TILES]], %{{.*}})
// CHECK-COUNT-1: call @dsv4c.mma.bf16.m16n8k16
// CHECK-NOT: call @dsv4c.mma
// CHECK: return
func.func @few_tiles(%a: memref<16x16xbf16>, %b: memref<16x16xbf16>, %c: memref<16x16xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x16xbf16>, memref<16x16xbf16>) outs(%c : memref<16x16xf32>)
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
