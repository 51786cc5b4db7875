// Regression: a tile layout must describe tiles of the tensor's rank; the
// layouts implement VerifiableTensorEncoding, so any use is rejected.
// RUN: not dsv4c opt %s -split-input-file 2>&1 | FileCheck %s

// CHECK: layout-rank.mlir:[[@LINE+1]]:{{[0-9]+}}: error: layout {{.*}} describes rank-{{[0-9]}} tiles, not rank {{[0-9]}}
func.func private @mma_rank1(tensor<16xf32, #tile.mma<"wgmma", operand = 0, instrShape = [64, 16, 16]>>)

// -----

// CHECK: layout-rank.mlir:[[@LINE+1]]:{{[0-9]+}}: error: layout {{.*}} describes rank-{{[0-9]}} tiles, not rank {{[0-9]}}
func.func private @blocked_rank2_on_rank1(tensor<16xf32, #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 1], order = [1, 0]>>)

// -----

// CHECK: layout-rank.mlir:[[@LINE+1]]:{{[0-9]+}}: error: layout {{.*}} describes rank-{{[0-9]}} tiles, not rank {{[0-9]}}
func.func private @shared_rank3_on_rank2(tensor<16x16xf32, #tile.shared<vec = 1, perPhase = 1, maxPhase = 1, order = [2, 0, 1]>>)
