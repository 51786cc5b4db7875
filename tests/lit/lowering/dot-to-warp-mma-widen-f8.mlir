// RUN: dsv4c opt %s --dot-to-warp-mma=widen-f8=true | FileCheck %s
// widen-f8 (sm_80 to sm_88: bf16 mma.sync, no e4m3 one): an f8 dot gathers
// the same registers of 4 e4m3 bytes (here one e2m1 operand, widened to
// e4m3 bytes first), widens each byte to bf16 (extf to f32, truncf to bf16:
// exact), packs bytes 0,1 and 2,3 of a register into two bf16x2 registers,
// and does each 32-k step as two bf16 m16n8k16 instructions chained on the
// same accumulators. No f8 helper is declared.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>
#ls = affine_map<(m, n, k) -> (m, k floordiv 128)>
#rs = affine_map<(m, n, k) -> (n, k floordiv 32)>

// CHECK-NOT: dsv4c.mma.f8
// CHECK-DAG: func.func private @dsv4c.mma.bf16.m16n8k16(i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> (f32, f32, f32, f32)
// CHECK-LABEL: func.func @f8_widened
// CHECK: scf.for %{{.*}} step %c32
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK-NEXT: arith.bitcast %{{.*}} : i8 to f8E4M3FN
// CHECK-NEXT: arith.extf %{{.*}} : f8E4M3FN to f32
// CHECK-NEXT: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NEXT: arith.bitcast %{{.*}} : bf16 to i16
// CHECK: %[[FIRST:.*]]:4 = func.call @dsv4c.mma.bf16.m16n8k16(%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}})
// CHECK: %[[SECOND:.*]]:4 = func.call @dsv4c.mma.bf16.m16n8k16(%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %[[FIRST]]#0, %[[FIRST]]#1, %[[FIRST]]#2, %[[FIRST]]#3)
// CHECK-NEXT: scf.yield %[[SECOND]]#0, %[[SECOND]]#1, %[[SECOND]]#2, %[[SECOND]]#3
// CHECK-NOT: dsv4c.mma.f8
func.func @f8_widened(%a: memref<16x128xf8E4M3FN>, %b: memref<8x128xf4E2M1FN>,
                      %sa: memref<16x1xf8E8M0FNU>, %sb: memref<8x4xf8E8M0FNU>,
                      %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #ls, #rs, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %sa, %sb : memref<16x128xf8E4M3FN>, memref<8x128xf4E2M1FN>, memref<16x1xf8E8M0FNU>, memref<8x4xf8E8M0FNU>)
      outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true,
               dsv4c.mma_lhs_scale_block = array<i64: 1, 128>,
               dsv4c.mma_rhs_scale_block = array<i64: 1, 32>} {
  ^bb0(%x: f8E4M3FN, %y: f4E2M1FN, %s0: f8E8M0FNU, %s1: f8E8M0FNU, %o: f32):
    linalg.yield %o : f32
  }
  return
}
