// Layout attributes as tile encodings, and standalone, round-trip.
// RUN: dsv4c opt %s | dsv4c opt | FileCheck %s

// The dialect defines no aliases: layouts print inline in the tensor types.
// CHECK-NOT: #{{[a-z_0-9]+}} = #tile.
// CHECK: module {

#blocked = #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 1], order = [1, 0]>
#blocked1 = #tile.blocked<sizePerThread = [4], threadsPerWarp = [32], warpsPerProgram = [1], order = [0]>
#shared = #tile.shared<vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]>
#mma_a = #tile.mma<"wgmma", operand = 0, instrShape = [64, 16, 16]>
#mma_b = #tile.mma<"wgmma", operand = 1, instrShape = [64, 16, 16]>
#mma_c = #tile.mma<"mfma", operand = 2, instrShape = [32, 32, 8]>

// CHECK-LABEL: tile.kernel @encodings(
// CHECK-SAME:    %[[X:.*]]: !tile.ptr<f16>
// CHECK:         %[[T:.*]] = load %[[X]][{{.*}}] strides[{{.*}}] : !tile.ptr<f16> -> tensor<64x64xf16, #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 1], order = [1, 0]>>
// CHECK-NEXT:    %[[S:.*]] = cast %[[T]] : tensor<64x64xf16, #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 1], order = [1, 0]>> -> tensor<64x64xf16, #tile.shared<vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]>>
// CHECK-NEXT:    %[[A:.*]] = cast %[[S]] : tensor<64x64xf16, #tile.shared<vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]>> -> tensor<64x64xf16, #tile.mma<"wgmma", operand = 0, instrShape = [64, 16, 16]>>
// CHECK-NEXT:    %[[B:.*]] = cast %[[S]] : tensor<64x64xf16, #tile.shared<vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]>> -> tensor<64x64xf16, #tile.mma<"wgmma", operand = 1, instrShape = [64, 16, 16]>>
// CHECK-NEXT:    %[[D:.*]] = dot %[[A]], %[[B]] : tensor<64x64xf16, #tile.mma<"wgmma", operand = 0, instrShape = [64, 16, 16]>>, tensor<64x64xf16, #tile.mma<"wgmma", operand = 1, instrShape = [64, 16, 16]>> -> tensor<64x64xf32, #tile.mma<"mfma", operand = 2, instrShape = [32, 32, 8]>>
// CHECK-NEXT:    %[[R:.*]] = reduce max %[[D]] {dim = 1 : i64} : tensor<64x64xf32, #tile.mma<"mfma", operand = 2, instrShape = [32, 32, 8]>> -> tensor<64xf32, #tile.blocked<sizePerThread = [4], threadsPerWarp = [32], warpsPerProgram = [1], order = [0]>>
// CHECK-NEXT:    store %[[R]], %{{.*}}[{{.*}}] strides[{{.*}}] : tensor<64xf32, #tile.blocked<sizePerThread = [4], threadsPerWarp = [32], warpsPerProgram = [1], order = [0]>> -> !tile.ptr<f32>
tile.kernel @encodings(%x: !tile.ptr<f16>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %t = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f16> -> tensor<64x64xf16, #blocked>
  %s = tile.cast %t : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #shared>
  %a = tile.cast %s : tensor<64x64xf16, #shared> -> tensor<64x64xf16, #mma_a>
  %b = tile.cast %s : tensor<64x64xf16, #shared> -> tensor<64x64xf16, #mma_b>
  %d = tile.dot %a, %b : tensor<64x64xf16, #mma_a>, tensor<64x64xf16, #mma_b> -> tensor<64x64xf32, #mma_c>
  %r = tile.reduce max %d {dim = 1} : tensor<64x64xf32, #mma_c> -> tensor<64xf32, #blocked1>
  tile.store %r, %o[%c0] strides[%c1] : tensor<64xf32, #blocked1> -> !tile.ptr<f32>
  tile.return
}

// Layouts written inline, and as plain attributes on an op.
// CHECK-LABEL: tile.kernel @inline(
// CHECK:         splat %{{.*}} {layout = #tile.shared<vec = 1, perPhase = 2, maxPhase = 4, order = [0, 2, 1]>} : tensor<2x4x8xf32, #tile.blocked<sizePerThread = [1, 1, 1], threadsPerWarp = [2, 4, 4], warpsPerProgram = [1, 1, 4], order = [2, 1, 0]>>
tile.kernel @inline(%v: f32) {
  %s = tile.splat %v {layout = #tile.shared<vec = 1, perPhase = 2, maxPhase = 4, order = [0, 2, 1]>} : tensor<2x4x8xf32, #tile.blocked<sizePerThread = [1, 1, 1], threadsPerWarp = [2, 4, 4], warpsPerProgram = [1, 1, 4], order = [2, 1, 0]>>
  tile.return
}
