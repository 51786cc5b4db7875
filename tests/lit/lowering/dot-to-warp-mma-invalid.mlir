// RUN: not dsv4c opt %s --dot-to-warp-mma 2>&1 | FileCheck %s
// Marked dots the pass cannot do are errors on the op, not silent loops.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>

// CHECK-DAG: error: 'linalg.generic' op unknown dsv4c.mma kind 'tf32'
// CHECK-DAG: error: 'linalg.generic' op k = 24 is not a multiple of 16
func.func @bad(%a: memref<16x24xbf16>, %b: memref<8x24xbf16>, %c: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x24xbf16>, memref<8x24xbf16>) outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "tf32"} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    linalg.yield %o : f32
  }
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x24xbf16>, memref<8x24xbf16>) outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "bf16", dsv4c.mma_rhs_transposed = true} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    linalg.yield %o : f32
  }
  return
}
