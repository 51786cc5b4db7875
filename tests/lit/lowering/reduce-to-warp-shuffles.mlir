// RUN: dsv4c opt %s --reduce-to-warp-shuffles | FileCheck %s
// RUN: dsv4c opt %s --convert-tile-to-cpu="warp-shuffles" | FileCheck %s --check-prefix=MARK
// A reduction marked for warp shuffles becomes a parallel loop over (result
// element, lane of 32): lane l folds inputs l, l + 32, ... with the marked
// body, five butterfly exchanges (16, 8, 4, 2, 1) combine the lanes, and
// lane 0 combines the total into the result.

#in = affine_map<(r, c) -> (r, c)>
#out = affine_map<(r, c) -> (r)>

// CHECK-DAG: func.func private @dsv4c.shuffle_xor.f32(f32, i32) -> f32
// CHECK-DAG: func.func private @dsv4c.shuffle_xor.i32(i32, i32) -> i32
// CHECK-DAG: func.func private @dsv4c.warp_sync()
// CHECK-LABEL: func.func @row_sums
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS:.*]] = arith.constant 4 : index
// CHECK: %[[LANES:.*]] = arith.constant 32 : index
// CHECK: scf.parallel (%{{.*}}, %[[LANE:.*]]) = (%{{.*}}, %{{.*}}) to (%[[ROWS]], %[[LANES]])
// CHECK: scf.for %{{.*}} = %[[LANE]] to %c100 step %c32
// CHECK: memref.load %arg0
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.addf
// CHECK: call @dsv4c.shuffle_xor.f32(%{{.*}}, %c16_i32)
// CHECK: call @dsv4c.shuffle_xor.f32(%{{.*}}, %c8_i32)
// CHECK: call @dsv4c.shuffle_xor.f32(%{{.*}}, %c4_i32)
// CHECK: call @dsv4c.shuffle_xor.f32(%{{.*}}, %c2_i32)
// CHECK: call @dsv4c.shuffle_xor.f32(%{{.*}}, %c1_i32)
// CHECK: memref.load %arg1
// CHECK: call @dsv4c.warp_sync()
// CHECK: arith.cmpi eq, %[[LANE]], %c0
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %arg1
func.func @row_sums(%x: memref<4x100xbf16>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x100xbf16>) outs(%y : memref<4xf32>)
      attrs = {dsv4c.warp_reduce = "sum"} {
  ^bb0(%a: bf16, %acc: f32):
    %f = arith.extf %a : bf16 to f32
    %s = arith.addf %acc, %f : f32
    linalg.yield %s : f32
  }
  return
}

// An integer max along dim 0.
// CHECK-LABEL: func.func @column_max
// CHECK: arith.constant -2147483648 : i32
// CHECK: scf.parallel
// CHECK: arith.maxsi
// CHECK: call @dsv4c.shuffle_xor.i32
#in0 = affine_map<(r, c) -> (r, c)>
#out0 = affine_map<(r, c) -> (c)>
func.func @column_max(%x: memref<64x8xi32>, %y: memref<8xi32>) {
  linalg.generic {indexing_maps = [#in0, #out0], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<64x8xi32>) outs(%y : memref<8xi32>)
      attrs = {dsv4c.warp_reduce = "max"} {
  ^bb0(%a: i32, %acc: i32):
    %m = arith.maxsi %acc, %a : i32
    linalg.yield %m : i32
  }
  return
}

// convert-tile-to-cpu marks reductions over 32 or more elements (not 16).
// MARK-LABEL: func.func @kernel
// MARK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}dsv4c.warp_reduce = "sum"
// MARK-NOT: dsv4c.warp_reduce
tile.kernel @kernel(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %t = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<16x64xf32>
  %r = tile.reduce sum %t {dim = 1} : tensor<16x64xf32> -> tensor<16xf32>
  %r0 = tile.reduce max %t {dim = 0} : tensor<16x64xf32> -> tensor<64xf32>
  %s = arith.addf %r, %r : tensor<16xf32>
  tile.store %s, %o[%c0] strides[%c1] : tensor<16xf32> -> !tile.ptr<f32>
  tile.store %r0, %o[%c0] strides[%c1] : tensor<64xf32> -> !tile.ptr<f32>
  tile.return
}

// A dot marked for warp shuffles (the raw operands, rhs stored [n, k]):
// each of the 4 x 3 results is a warp's work, lane l multiplying the
// operands at k = l, l + 32, ... where they lie, and lane 0 adds the total
// to the accumulator.
// CHECK-LABEL: func.func @dot_rows
// MARK-LABEL: func.func @dot_rows
// CHECK: scf.parallel (%[[R:.*]], %[[L:.*]]) = (%{{.*}}, %{{.*}}) to (%c12, %c32)
// CHECK: %[[N:.*]] = arith.remui %[[R]], %c3
// CHECK: %[[Q:.*]] = arith.divui %[[R]], %c3
// CHECK: %[[M:.*]] = arith.remui %[[Q]], %c4
// CHECK: scf.for %[[K:.*]] = %[[L]] to %c64 step %c32{{.*}} iter_args
// CHECK: memref.load %arg0[%[[M]], %[[K]]]
// CHECK: memref.load %arg1[%[[N]], %[[K]]]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: call @dsv4c.shuffle_xor.f32(%{{.*}}, %c16_i32)
// CHECK: memref.load %arg2[%[[M]], %[[N]]]
// CHECK: call @dsv4c.warp_sync()
// CHECK: scf.if
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2[%[[M]], %[[N]]]
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>
func.func @dot_rows(%a: memref<4x64xf32>, %b: memref<3x64xf32>, %c: memref<4x3xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x64xf32>, memref<3x64xf32>) outs(%c : memref<4x3xf32>)
      attrs = {dsv4c.warp_reduce = "sum"} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// convert-tile-to-cpu marks f32 dots with 32 or more k (not 16) for warp
// shuffles, on their raw operands (no transposed copy of the rhs).
// MARK-LABEL: func.func @dots
// MARK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}dsv4c.warp_reduce = "sum"
// MARK-NOT: dsv4c.warp_reduce
tile.kernel @dots(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %a = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<4x64xf32>
  %b = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<8x64xf32>
  %d = tile.dot %a, %b {rhs_transposed} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %a16 = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<4x16xf32>
  %b16 = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<16x8xf32>
  %e = tile.dot %a16, %b16 : tensor<4x16xf32>, tensor<16x8xf32> -> tensor<4x8xf32>
  %s = arith.addf %d, %e : tensor<4x8xf32>
  tile.store %s, %o[%c0, %c0] strides[%c64, %c1] : tensor<4x8xf32> -> !tile.ptr<f32>
  tile.return
}

// A quantize's block amax along rows (blocks of 32+ that divide them) is
// such a reduction too: max of |f32(x)| over the input viewed as [rows,
// blocks, block]; the scales are computed from it. Blocks across rows keep
// their loops.
// MARK-LABEL: func.func @quantize_rows
// MARK: tensor.expand_shape {{.*}} into tensor<4x2x64xbf16>
// MARK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}dsv4c.warp_reduce = "max"
// MARK: math.absf
// MARK: arith.maximumf
// MARK-NOT: dsv4c.warp_reduce
// MARK-LABEL: func.func @quantize_squares
// MARK-NOT: dsv4c.warp_reduce
tile.kernel @quantize_rows(%x: !tile.ptr<bf16>, %o: !tile.ptr<f8E4M3FN>,
                           %s: !tile.ptr<f8E8M0FNU>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c128 = arith.constant 128 : index
  %t = tile.load %x[%c0, %c0] strides[%c128, %c1] : !tile.ptr<bf16> -> tensor<4x128xbf16>
  %q, %qs = tile.quantize %t {block = array<i64: 1, 64>, round_scale}
      : tensor<4x128xbf16> -> tensor<4x128xf8E4M3FN>, tensor<4x2xf8E8M0FNU>
  tile.store %q, %o[%c0, %c0] strides[%c128, %c1] : tensor<4x128xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %qs, %s[%c0, %c0] strides[%c2, %c1] : tensor<4x2xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
  tile.return
}

tile.kernel @quantize_squares(%x: !tile.ptr<bf16>, %o: !tile.ptr<f8E4M3FN>,
                              %s: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %t = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<bf16> -> tensor<64x64xbf16>
  %q, %qs = tile.quantize %t {block = array<i64: 32, 32>}
      : tensor<64x64xbf16> -> tensor<64x64xf8E4M3FN>, tensor<2x2xf32>
  tile.store %q, %o[%c0, %c0] strides[%c64, %c1] : tensor<64x64xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %qs, %s[%c0, %c0] strides[%c2, %c1] : tensor<2x2xf32> -> !tile.ptr<f32>
  tile.return
}

// A body that reads its own indices (an element fused into it): linalg.index
// becomes the lane's loop point (row r, column j of the lane's fold).
// CHECK-LABEL: func.func @indexed_body
// MARK-LABEL: func.func @indexed_body
// CHECK-NOT: linalg.index
// CHECK: scf.parallel (%[[ROW:.*]], %[[LANE:.*]]) =
// CHECK: scf.for %[[J:.*]] = %[[LANE]] to %c64 step %c32
// CHECK: arith.index_cast %[[J]] : index to i32
func.func @indexed_body(%x: memref<2x64xf32>, %y: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x64xf32>) outs(%y : memref<2xf32>)
      attrs = {dsv4c.warp_reduce = "sum"} {
  ^bb0(%a: f32, %acc: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %w = arith.mulf %a, %jf : f32
    %s = arith.addf %acc, %w : f32
    linalg.yield %s : f32
  }
  return
}
