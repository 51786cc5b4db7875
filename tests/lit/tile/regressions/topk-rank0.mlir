// Regression: TopKOp::verify read the last dimension of a rank-0 tile
// before checking the rank and crashed; it must reject the op.
// RUN: not dsv4c opt %s 2>&1 | FileCheck %s

// CHECK: topk-rank0.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'tile.topk' op input must have rank 1 or more
func.func @topk_rank0(%a: tensor<f32>) {
  %v, %i = tile.topk %a {k = 1} : tensor<f32> -> tensor<f32>, tensor<i32>
  return
}
