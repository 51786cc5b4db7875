// The generic form of every tile op parses back to the same IR.
// RUN: dsv4c opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// RUN: dsv4c opt %s --mlir-print-op-generic | dsv4c opt | FileCheck %s
// RUN: dsv4c opt %s > %t.custom.mlir
// RUN: dsv4c opt %s --mlir-print-op-generic | dsv4c opt > %t.generic.mlir
// RUN: diff %t.custom.mlir %t.generic.mlir

// GENERIC-LABEL: "tile.kernel"() <{function_type = (!tile.ptr<f32>, !tile.ptr<i32>, !tile.ptr<f32>, index) -> (), sym_name = "k"}> ({
// GENERIC-NEXT:  ^bb0(%{{.*}}: !tile.ptr<f32>, %{{.*}}: !tile.ptr<i32>, %{{.*}}: !tile.ptr<f32>, %{{.*}}: index):
// GENERIC:         "tile.program_id"() <{dim = 0 : i32}> : () -> index
// GENERIC:         "tile.num_programs"() <{dim = 1 : i32}> : () -> index
// GENERIC:         "tile.load"({{.*}}) <{operandSegmentSizes = array<i32: 1, 2, 2, 2, 0, 0>}> : (!tile.ptr<f32>, index, index, index, index, index, index) -> tensor<16x64xf32>
// GENERIC:         "tile.load"({{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1>}> : (!tile.ptr<i32>, index, index, index, i32) -> tensor<16xi32>
// GENERIC:         "tile.gather"({{.*}}) : (!tile.ptr<f32>, index, tensor<16xi32>, index) -> tensor<16x64xf32>
// GENERIC:         "tile.dot"({{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>, rhs_transposed}> : (tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<16x16xf32>
// GENERIC:         "tile.reduce"({{.*}}) <{dim = 1 : i64, kind = #tile<combine max>}> : (tensor<16x16xf32>) -> tensor<16xf32>
// GENERIC:         "tile.scan"({{.*}}) <{dim = 1 : i64, kind = #tile<combine sum>, reverse}> : (tensor<16x16xf32>) -> tensor<16x16xf32>
// GENERIC:         "tile.topk"({{.*}}) <{k = 4 : i64, sorted_runs = 1 : i64}> : (tensor<16x16xf32>) -> (tensor<16x4xf32>, tensor<16x4xi32>)
// GENERIC:         "tile.quantize"({{.*}}) <{block = array<i64: 1, 32>, round_scale}> : (tensor<16x64xf32>) -> (tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>)
// GENERIC:         "tile.dequantize"({{.*}}) <{block = array<i64: 1, 32>}> : (tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<16x64xf32>
// GENERIC:         "tile.dot"({{.*}}) <{lhs_scale_block = array<i64: 1, 32>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>, rhs_scale_block = array<i64: 1, 32>, rhs_transposed}>
// GENERIC:         "tile.reshape"({{.*}}) : (tensor<16xf32>) -> tensor<16x1xf32>
// GENERIC:         "tile.broadcast"({{.*}}) : (tensor<16x1xf32>) -> tensor<16x16xf32>
// GENERIC:         "tile.trans"({{.*}}) <{perm = array<i64: 1, 0>}> : (tensor<16x16xf32>) -> tensor<16x16xf32>
// GENERIC:         "tile.splat"({{.*}}) : (f32) -> tensor<16x16xf32>
// GENERIC:         "tile.iota"() : () -> tensor<16xi32>
// GENERIC:         "tile.cast"({{.*}}) : (tensor<16x16xf32>) -> tensor<16x16xbf16>
// GENERIC:         "tile.store"({{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 2, 2, 2, 1>}> : (tensor<16x16xf32>, !tile.ptr<f32>, index, index, index, index, index, index, tensor<16x16xi1>) -> ()
// GENERIC:         "tile.return"() : () -> ()

// CHECK-LABEL: tile.kernel @k(
// CHECK:         program_id 0
// CHECK:         num_programs 1
// CHECK:         gather
// CHECK:         dot {{.*}} {rhs_transposed}
// CHECK:         reduce max
// CHECK:         scan sum {{.*}} {dim = 1 : i64, reverse}
// CHECK:         topk
// CHECK:         quantize
// CHECK:         dequantize
// CHECK:         dot {{.*}} scale {{.*}} scale {{.*}} acc
// CHECK:         reshape
// CHECK:         broadcast
// CHECK:         trans
// CHECK:         splat
// CHECK:         iota
// CHECK:         cast
// CHECK:         store {{.*}} mask
// CHECK:         return
tile.kernel @k(%x: !tile.ptr<f32>, %idx: !tile.ptr<i32>, %o: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %p = tile.program_id 0
  %np = tile.num_programs 1
  %neg = arith.constant -1 : i32
  %t = tile.load %x[%p, %c0] strides[%c64, %c1] bounds[%n, %c64] : !tile.ptr<f32> -> tensor<16x64xf32>
  %i = tile.load %idx[%c0] strides[%c1] bounds[%n] other %neg : !tile.ptr<i32> -> tensor<16xi32>
  %g = tile.gather %x[%c0], %i row_stride %c64 : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x64xf32>
  %s = arith.addf %t, %g : tensor<16x64xf32>
  %d = tile.dot %s, %g {rhs_transposed} : tensor<16x64xf32>, tensor<16x64xf32> -> tensor<16x16xf32>
  %r = tile.reduce max %d {dim = 1} : tensor<16x16xf32> -> tensor<16xf32>
  %sc = tile.scan sum %d {dim = 1, reverse} : tensor<16x16xf32>
  %v, %vi = tile.topk %sc {k = 4} : tensor<16x16xf32> -> tensor<16x4xf32>, tensor<16x4xi32>
  %q, %qs = tile.quantize %s {block = array<i64: 1, 32>, round_scale} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>
  %dq = tile.dequantize %q, %qs {block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU> -> tensor<16x64xf32>
  %dd = tile.dot %q scale %qs : tensor<16x2xf8E8M0FNU>, %q scale %qs : tensor<16x2xf8E8M0FNU> acc %d {rhs_transposed, lhs_scale_block = array<i64: 1, 32>, rhs_scale_block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x64xf8E4M3FN> -> tensor<16x16xf32>
  %rr = tile.reshape %r : tensor<16xf32> -> tensor<16x1xf32>
  %b = tile.broadcast %rr : tensor<16x1xf32> -> tensor<16x16xf32>
  %tt = tile.trans %b {perm = array<i64: 1, 0>} : tensor<16x16xf32> -> tensor<16x16xf32>
  %cst = arith.constant 1.0 : f32
  %sp = tile.splat %cst : tensor<16x16xf32>
  %io = tile.iota : tensor<16xi32>
  %ca = tile.cast %tt : tensor<16x16xf32> -> tensor<16x16xbf16>
  %m = arith.cmpf ogt, %dd, %sp : tensor<16x16xf32>
  tile.store %dd, %o[%p, %c0] strides[%c64, %c1] bounds[%n, %c64] mask %m : tensor<16x16xf32> -> !tile.ptr<f32>
  tile.return
}
