// One case per verifier rule of the tile ops (dialects/tile/TileOps.cpp) and
// per ODS constraint they rely on. Layouts and !tile.ptr: invalid-types.mlir.
// RUN: dsv4c opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// tile.kernel
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'tile.kernel' op must not return values; kernels store results}}
tile.kernel @returns_value() -> i32 {
  tile.return
}

// -----

// expected-error @+1 {{'tile.kernel' op argument #1 has type 'tensor<4xf32>'; kernel arguments must be !tile.ptr or index, i32, i64, f16, bf16, f32}}
tile.kernel @tile_argument(%p: !tile.ptr<f32>, %t: tensor<4xf32>) {
  tile.return
}

// -----

// i8 is a tile element type but not a kernel scalar.
// expected-error @+1 {{'tile.kernel' op argument #0 has type 'i8'; kernel arguments must be !tile.ptr or index, i32, i64, f16, bf16, f32}}
tile.kernel @i8_argument(%a: i8) {
  tile.return
}

// -----

// The entry block can only disagree with the signature in generic form.
// FunctionOpInterface reports this before KernelOp::verifyRegions runs.
// expected-error @+1 {{'tile.kernel' op entry block must have 1 arguments to match function signature}}
"tile.kernel"() <{function_type = (index) -> (), sym_name = "few_block_args"}> ({
  "tile.return"() : () -> ()
}) : () -> ()

// -----

// expected-error @+1 {{'tile.kernel' op type of entry block argument #0('i32') must match the type of the corresponding argument in function signature('index')}}
"tile.kernel"() <{function_type = (index) -> (), sym_name = "block_arg_type"}> ({
^bb0(%a: i32):
  "tile.return"() : () -> ()
}) : () -> ()

// -----

// A kernel is never a declaration.
// expected-error @+1 {{'tile.kernel' op region #0 ('body') failed to verify constraint: region with 1 blocks}}
tile.kernel @no_body()

// -----

tile.kernel @no_terminator() {
  // expected-error @+1 {{block with no terminator}}
  %c = arith.constant 0 : index
}

//===----------------------------------------------------------------------===//
// tile.return
//===----------------------------------------------------------------------===//

// -----

func.func @return_outside_kernel() {
  // expected-error @+1 {{'tile.return' op expects parent op 'tile.kernel'}}
  tile.return
}

//===----------------------------------------------------------------------===//
// tile.program_id, tile.num_programs
//===----------------------------------------------------------------------===//

// -----

tile.kernel @program_id_dim() {
  // expected-error @+1 {{'tile.program_id' op grid dimension must be 0, 1 or 2, got 3}}
  %p = tile.program_id 3
  tile.return
}

// -----

tile.kernel @num_programs_dim() {
  // expected-error @+1 {{'tile.num_programs' op grid dimension must be 0, 1 or 2, got -1}}
  %n = tile.num_programs -1
  tile.return
}

// -----

func.func @program_id_outside_kernel() {
  // expected-error @+1 {{'tile.program_id' op must be inside a tile.kernel}}
  %p = tile.program_id 0
  return
}

// -----

func.func @num_programs_outside_kernel() {
  // expected-error @+1 {{'tile.num_programs' op must be inside a tile.kernel}}
  %n = tile.num_programs 2
  return
}

//===----------------------------------------------------------------------===//
// tile.load
//===----------------------------------------------------------------------===//

// -----

tile.kernel @load_element_type(%x: !tile.ptr<f32>, %i: index) {
  // expected-error @+1 {{'tile.load' op pointer element type 'f32' does not match tile element type 'bf16'}}
  %t = tile.load %x[%i] strides[%i] : !tile.ptr<f32> -> tensor<16xbf16>
  tile.return
}

// -----

tile.kernel @load_offsets(%x: !tile.ptr<f32>, %i: index) {
  // expected-error @+1 {{'tile.load' op needs one offset per tile dimension (2), got 1}}
  %t = tile.load %x[%i] strides[%i, %i] : !tile.ptr<f32> -> tensor<16x16xf32>
  tile.return
}

// -----

tile.kernel @load_strides(%x: !tile.ptr<f32>, %i: index) {
  // expected-error @+1 {{'tile.load' op needs one stride per tile dimension (2), got 3}}
  %t = tile.load %x[%i, %i] strides[%i, %i, %i] : !tile.ptr<f32> -> tensor<16x16xf32>
  tile.return
}

// -----

tile.kernel @load_bounds(%x: !tile.ptr<f32>, %i: index) {
  // expected-error @+1 {{'tile.load' op needs no bounds or one per tile dimension (2), got 1}}
  %t = tile.load %x[%i, %i] strides[%i, %i] bounds[%i] : !tile.ptr<f32> -> tensor<16x16xf32>
  tile.return
}

// -----

tile.kernel @load_rank0(%x: !tile.ptr<f32>) {
  // expected-error @+1 {{'tile.load' op tile must have rank 1 or more}}
  %t = tile.load %x[] strides[] : !tile.ptr<f32> -> tensor<f32>
  tile.return
}

// -----

// The custom syntax infers the mask's type from the result's, so a mismatch
// there is a parse error ...
tile.kernel @load_mask_shape_custom(%x: !tile.ptr<f32>, %i: index, %b: i1) {
  // expected-note @+1 {{prior use here}}
  %m = tile.splat %b : tensor<8xi1>
  // expected-error @+1 {{use of value '%m' expects different type than prior uses: 'tensor<16xi1>' vs 'tensor<8xi1>'}}
  %t = tile.load %x[%i] strides[%i] mask %m : !tile.ptr<f32> -> tensor<16xf32>
  tile.return
}

// -----

// ... and the verifier's own check is reached through the generic form.
func.func @load_mask_shape(%x: !tile.ptr<f32>, %i: index, %m: tensor<8xi1>) {
  // expected-error @+1 {{'tile.load' op failed to verify that mask is an i1 tile of the result's shape}}
  %t = "tile.load"(%x, %i, %i, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0>}> : (!tile.ptr<f32>, index, index, tensor<8xi1>) -> tensor<16xf32>
  return
}

// -----

func.func @load_mask_type(%x: !tile.ptr<f32>, %i: index, %m: tensor<16xf32>) {
  // expected-error @+1 {{'tile.load' op operand #3 must be tile of i1, but got 'tensor<16xf32>'}}
  %t = "tile.load"(%x, %i, %i, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0>}> : (!tile.ptr<f32>, index, index, tensor<16xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @load_other_type(%x: !tile.ptr<f32>, %i: index, %o: f16) {
  // expected-error @+1 {{'tile.load' op failed to verify that other has the result's element type}}
  %t = "tile.load"(%x, %i, %i, %o) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1>}> : (!tile.ptr<f32>, index, index, f16) -> tensor<16xf32>
  return
}

// -----

tile.kernel @load_dynamic(%x: !tile.ptr<f32>, %i: index) {
  // expected-error @+1 {{custom op 'tile.load' 'result' must be tile (statically shaped tensor of a tile element type), but got 'tensor<?xf32>'}}
  %t = tile.load %x[%i] strides[%i] : !tile.ptr<f32> -> tensor<?xf32>
  tile.return
}

// -----

func.func @load_dynamic_generic(%x: !tile.ptr<f32>, %i: index) {
  // expected-error @+1 {{'tile.load' op result #0 must be tile (statically shaped tensor of a tile element type), but got 'tensor<?xf32>'}}
  %t = "tile.load"(%x, %i, %i) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (!tile.ptr<f32>, index, index) -> tensor<?xf32>
  return
}

//===----------------------------------------------------------------------===//
// tile.store
//===----------------------------------------------------------------------===//

// -----

tile.kernel @store_element_type(%x: !tile.ptr<f16>, %v: f32, %i: index) {
  %t = tile.splat %v : tensor<16xf32>
  // expected-error @+1 {{'tile.store' op pointer element type 'f16' does not match tile element type 'f32'}}
  tile.store %t, %x[%i] strides[%i] : tensor<16xf32> -> !tile.ptr<f16>
  tile.return
}

// -----

tile.kernel @store_offsets(%x: !tile.ptr<f32>, %v: f32, %i: index) {
  %t = tile.splat %v : tensor<16xf32>
  // expected-error @+1 {{'tile.store' op needs one offset per tile dimension (1), got 2}}
  tile.store %t, %x[%i, %i] strides[%i] : tensor<16xf32> -> !tile.ptr<f32>
  tile.return
}

// -----

func.func @store_mask_shape(%x: !tile.ptr<f32>, %t: tensor<16xf32>, %m: tensor<16x1xi1>, %i: index) {
  // expected-error @+1 {{'tile.store' op failed to verify that mask is an i1 tile of the value's shape}}
  "tile.store"(%t, %x, %i, %i, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1>}> : (tensor<16xf32>, !tile.ptr<f32>, index, index, tensor<16x1xi1>) -> ()
  return
}

// -----

tile.kernel @store_odd_f4(%x: !tile.ptr<f4E2M1FN>, %i: index) {
  %t = tile.load %x[%i, %i] strides[%i, %i] : !tile.ptr<f4E2M1FN> -> tensor<4x7xf4E2M1FN>
  // expected-error @+1 {{'tile.store' op f4E2M1FN stores must write whole bytes: the innermost dimension must be even}}
  tile.store %t, %x[%i, %i] strides[%i, %i] : tensor<4x7xf4E2M1FN> -> !tile.ptr<f4E2M1FN>
  tile.return
}

//===----------------------------------------------------------------------===//
// tile.gather
//===----------------------------------------------------------------------===//

// -----

func.func @gather_element_type(%x: !tile.ptr<f32>, %i: index, %idx: tensor<16xi32>) {
  // expected-error @+1 {{'tile.gather' op pointer element type 'f32' does not match result element type 'f16'}}
  %g = tile.gather %x[%i], %idx row_stride %i : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x64xf16>
  return
}

// -----

func.func @gather_ranks(%x: !tile.ptr<f32>, %i: index, %idx: tensor<16xi32>) {
  // expected-error @+1 {{'tile.gather' op gathers rows: indices must have rank 1 and the result rank 2}}
  %g = tile.gather %x[%i], %idx row_stride %i : !tile.ptr<f32>, tensor<16xi32> -> tensor<16xf32>
  return
}

// -----

func.func @gather_rows(%x: !tile.ptr<f32>, %i: index, %idx: tensor<16xi32>) {
  // expected-error @+1 {{'tile.gather' op result has 8 rows but there are 16 indices}}
  %g = tile.gather %x[%i], %idx row_stride %i : !tile.ptr<f32>, tensor<16xi32> -> tensor<8x64xf32>
  return
}

// -----

func.func @gather_index_type(%x: !tile.ptr<f32>, %i: index, %idx: tensor<16xi8>) {
  // expected-error @+1 {{'tile.gather' op operand #2 must be tile of i32 or i64}}
  %g = tile.gather %x[%i], %idx row_stride %i : !tile.ptr<f32>, tensor<16xi8> -> tensor<16x64xf32>
  return
}

// -----

func.func @gather_other_type(%x: !tile.ptr<f32>, %i: index, %idx: tensor<16xi32>, %o: i32) {
  // expected-error @+1 {{'tile.gather' op failed to verify that other has the result's element type}}
  %g = "tile.gather"(%x, %i, %idx, %i, %o) : (!tile.ptr<f32>, index, tensor<16xi32>, index, i32) -> tensor<16x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// tile.splat, tile.iota
//===----------------------------------------------------------------------===//

// -----

func.func @splat_type(%v: f16) {
  // expected-error @+1 {{'tile.splat' op failed to verify that value has the result's element type}}
  %s = "tile.splat"(%v) : (f16) -> tensor<4xf32>
  return
}

// -----

func.func @iota_rank() {
  // expected-error @+1 {{'tile.iota' op result must have rank 1}}
  %i = tile.iota : tensor<4x4xi32>
  return
}

// -----

func.func @iota_type() {
  // expected-error @+1 {{'tile.iota' op result #0 must be tile of i32 or i64, but got 'tensor<4xf32>'}}
  %i = tile.iota : tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// tile.broadcast, tile.reshape, tile.trans, tile.cast
//===----------------------------------------------------------------------===//

// -----

func.func @broadcast_element_type(%x: tensor<4x1xf32>) {
  // expected-error @+1 {{'tile.broadcast' op element type must not change}}
  %b = tile.broadcast %x : tensor<4x1xf32> -> tensor<4x8xf16>
  return
}

// -----

func.func @broadcast_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tile.broadcast' op input and result must have the same rank; use tile.reshape to add unit dimensions}}
  %b = tile.broadcast %x : tensor<4xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @broadcast_size(%x: tensor<4x2xf32>) {
  // expected-error @+1 {{'tile.broadcast' op dimension 1 of size 2 cannot broadcast to 8}}
  %b = tile.broadcast %x : tensor<4x2xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.reshape' op element type must not change}}
  %r = tile.reshape %x : tensor<4x8xf32> -> tensor<32xi32>
  return
}

// -----

func.func @reshape_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.reshape' op element count must not change (32 vs 64)}}
  %r = tile.reshape %x : tensor<4x8xf32> -> tensor<64xf32>
  return
}

// -----

func.func @trans_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.trans' op element type must not change}}
  %t = tile.trans %x {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xbf16>
  return
}

// -----

func.func @trans_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.trans' op perm, input and result must have the same rank}}
  %t = tile.trans %x {perm = array<i64: 1, 0, 2>} : tensor<4x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @trans_permutation(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.trans' op perm must be a permutation of 0..1}}
  %t = tile.trans %x {perm = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @trans_result_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.trans' op result dimension 0 must be 8}}
  %t = tile.trans %x {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.cast' op shape must not change}}
  %c = tile.cast %x : tensor<4x8xf32> -> tensor<8x4xbf16>
  return
}

//===----------------------------------------------------------------------===//
// tile.dot
//===----------------------------------------------------------------------===//

// -----

func.func @dot_rank(%a: tensor<16xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op operands and result must have rank 2}}
  %d = tile.dot %a, %b : tensor<16xf32>, tensor<16x8xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @dot_operand_type(%a: tensor<16x16xi8>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op operands must be f32, f16, bf16, f8E4M3FN or f4E2M1FN}}
  %d = tile.dot %a, %b : tensor<16x16xi8>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_result_type(%a: tensor<16x16xbf16>, %b: tensor<16x8xbf16>) {
  // expected-error @+1 {{'tile.dot' op result must be f32}}
  %d = tile.dot %a, %b : tensor<16x16xbf16>, tensor<16x8xbf16> -> tensor<16x8xbf16>
  return
}

// -----

func.func @dot_contraction(%a: tensor<16x32xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op contraction sizes differ: lhs has K = 32, rhs has K = 16}}
  %d = tile.dot %a, %b : tensor<16x32xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

// With rhs_transposed the rhs is [N, K]: here K = 8, not 16.
func.func @dot_contraction_transposed(%a: tensor<16x16xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op contraction sizes differ: lhs has K = 16, rhs has K = 8}}
  %d = tile.dot %a, %b {rhs_transposed} : tensor<16x16xf32>, tensor<16x8xf32> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_result_shape(%a: tensor<16x16xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op result must be 16x8}}
  %d = tile.dot %a, %b : tensor<16x16xf32>, tensor<16x8xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @dot_acc_type(%a: tensor<16x16xf32>, %b: tensor<16x8xf32>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'tile.dot' op failed to verify that acc has the result's type}}
  %d = "tile.dot"(%a, %b, %c) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<16x16xf32>, tensor<16x8xf32>, tensor<16x16xf32>) -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_scale_without_block(%a: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'tile.dot' op lhs_scale and lhs_scale_block must be given together}}
  %d = tile.dot %a scale %s : tensor<16x2xf32>, %b : tensor<16x64xf8E4M3FN>, tensor<64x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_block_without_scale(%a: tensor<16x64xf32>, %b: tensor<64x8xf8E4M3FN>) {
  // expected-error @+1 {{'tile.dot' op rhs_scale and rhs_scale_block must be given together}}
  %d = tile.dot %a, %b {rhs_scale_block = array<i64: 32, 8>} : tensor<16x64xf32>, tensor<64x8xf8E4M3FN> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_scale_type(%a: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xbf16>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'tile.dot' op lhs scale must be f32 or f8E8M0FNU}}
  %d = tile.dot %a scale %s : tensor<16x2xbf16>, %b {lhs_scale_block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<64x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_scale_block_rank(%a: tensor<16x64xf32>, %b: tensor<64x8xf8E4M3FN>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{'tile.dot' op rhs block must have 2 sizes, got 1}}
  %d = tile.dot %a, %b scale %s : tensor<2x8xf32> {rhs_scale_block = array<i64: 32>} : tensor<16x64xf32>, tensor<64x8xf8E4M3FN> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_scale_block_positive(%a: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'tile.dot' op lhs block sizes must be positive}}
  %d = tile.dot %a scale %s : tensor<16x2xf32>, %b {lhs_scale_block = array<i64: 0, 32>} : tensor<16x64xf8E4M3FN>, tensor<64x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @dot_scale_shape(%a: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf8E8M0FNU>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'tile.dot' op lhs scale shape must be ceil(shape / block) = [16, 3]}}
  %d = tile.dot %a scale %s : tensor<16x2xf8E8M0FNU>, %b {lhs_scale_block = array<i64: 1, 24>} : tensor<16x64xf8E4M3FN>, tensor<64x8xf32> -> tensor<16x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// tile.reduce, tile.scan, tile.topk
//===----------------------------------------------------------------------===//

// -----

func.func @reduce_dim(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.reduce' op dim -1 is out of range for rank 2}}
  %r = tile.reduce sum %x {dim = -1} : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.reduce' op element type must not change}}
  %r = tile.reduce max %x {dim = 1} : tensor<4x8xf32> -> tensor<4xbf16>
  return
}

// -----

func.func @reduce_i1(%x: tensor<4x8xi1>) {
  // expected-error @+1 {{'tile.reduce' op cannot reduce i1 tiles}}
  %r = tile.reduce max %x {dim = 1} : tensor<4x8xi1> -> tensor<4xi1>
  return
}

// -----

func.func @reduce_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.reduce' op result shape must be the input shape without dimension 1}}
  %r = tile.reduce min %x {dim = 1} : tensor<4x8xf32> -> tensor<4x1xf32>
  return
}

// -----

func.func @reduce_kind(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{custom op 'tile.reduce' expected ::dsv4c::tile::CombineKind to be one of: sum, max, min}}
  // expected-error @+1 {{custom op 'tile.reduce' failed to parse Tile_CombineKindAttr parameter 'value' which is to be a `::dsv4c::tile::CombineKind`}}
  %r = tile.reduce prod %x {dim = 1} : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @scan_dim(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.scan' op dim 2 is out of range for rank 2}}
  %s = tile.scan sum %x {dim = 2} : tensor<4x8xf32>
  return
}

// -----

func.func @scan_i1(%x: tensor<4x8xi1>) {
  // expected-error @+1 {{'tile.scan' op cannot scan i1 tiles}}
  %s = tile.scan max %x {dim = 0} : tensor<4x8xi1>
  return
}

// -----

// The custom form has one type; the generic form can disagree.
func.func @scan_types(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.scan' op requires the same type for all operands and results}}
  %s = "tile.scan"(%x) <{kind = #tile<combine sum>, dim = 0 : i64}> : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return
}

// -----

func.func @topk_k(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.topk' op k must be in [1, 8], got 9}}
  %v, %i = tile.topk %x {k = 9} : tensor<4x8xf32> -> tensor<4x9xf32>, tensor<4x9xi32>
  return
}

// -----

func.func @topk_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.topk' op values and indices must have the input's shape with the last dimension k}}
  %v, %i = tile.topk %x {k = 2} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<2xi32>
  return
}

// -----

func.func @topk_values_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.topk' op values must have the input's element type}}
  %v, %i = tile.topk %x {k = 2} : tensor<4x8xf32> -> tensor<4x2xf16>, tensor<4x2xi32>
  return
}

// -----

func.func @topk_indices_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.topk' op indices must be i32}}
  %v, %i = tile.topk %x {k = 2} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi64>
  return
}

// -----

func.func @topk_i1(%x: tensor<4x8xi1>) {
  // expected-error @+1 {{'tile.topk' op cannot rank i1 tiles}}
  %v, %i = tile.topk %x {k = 2} : tensor<4x8xi1> -> tensor<4x2xi1>, tensor<4x2xi32>
  return
}

//===----------------------------------------------------------------------===//
// tile.quantize, tile.dequantize
//===----------------------------------------------------------------------===//

// -----

func.func @quantize_input(%x: tensor<16x64xi32>) {
  // expected-error @+1 {{'tile.quantize' op input must be an f32, bf16 or f16 tile}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xi32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf32>
  return
}

// -----

func.func @quantize_shape(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op result must have the input's shape}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xf32> -> tensor<64x16xf8E4M3FN>, tensor<16x2xf32>
  return
}

// -----

func.func @quantize_result_type(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op result must be f8E4M3FN or f4E2M1FN}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xf32> -> tensor<16x64xi8>, tensor<16x2xf32>
  return
}

// -----

func.func @quantize_scale_type(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op scale must be f32 or f8E8M0FNU}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xbf16>
  return
}

// -----

func.func @quantize_f4_round_scale(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op f4E2M1FN results and f8E8M0FNU scales need power-of-two scales: add round_scale}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xf32> -> tensor<16x64xf4E2M1FN>, tensor<16x2xf32>
  return
}

// -----

func.func @quantize_e8m0_round_scale(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op f4E2M1FN results and f8E8M0FNU scales need power-of-two scales: add round_scale}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>
  return
}

// -----

func.func @quantize_block_rank(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op quantize block must have 2 sizes, got 1}}
  %q, %s = tile.quantize %x {block = array<i64: 32>} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf32>
  return
}

// -----

func.func @quantize_block_positive(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op quantize block sizes must be positive}}
  %q, %s = tile.quantize %x {block = array<i64: 1, -32>} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf32>
  return
}

// -----

func.func @quantize_scale_shape(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'tile.quantize' op quantize scale shape must be ceil(shape / block) = [16, 2]}}
  %q, %s = tile.quantize %x {block = array<i64: 1, 32>} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x1xf32>
  return
}

// -----

func.func @dequantize_input(%q: tensor<16x64xi8>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'tile.dequantize' op input must be a float tile}}
  %d = tile.dequantize %q, %s {block = array<i64: 1, 32>} : tensor<16x64xi8>, tensor<16x2xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @dequantize_scale_type(%q: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf16>) {
  // expected-error @+1 {{'tile.dequantize' op scale must be f32 or f8E8M0FNU}}
  %d = tile.dequantize %q, %s {block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf16> -> tensor<16x64xf32>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'tile.dequantize' op result must have the input's shape}}
  %d = tile.dequantize %q, %s {block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf32> -> tensor<16x32xf32>
  return
}

// -----

func.func @dequantize_result_type(%q: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'tile.dequantize' op result must be f32, bf16 or f16}}
  %d = tile.dequantize %q, %s {block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf32> -> tensor<16x64xf8E4M3FN>
  return
}

// -----

func.func @dequantize_block_rank(%q: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'tile.dequantize' op dequantize block must have 2 sizes, got 3}}
  %d = tile.dequantize %q, %s {block = array<i64: 1, 32, 1>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @dequantize_block_positive(%q: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'tile.dequantize' op dequantize block sizes must be positive}}
  %d = tile.dequantize %q, %s {block = array<i64: 0, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @dequantize_scale_shape(%q: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>) {
  // expected-error @+1 {{'tile.dequantize' op dequantize scale shape must be ceil(shape / block) = [16, 4]}}
  %d = tile.dequantize %q, %s {block = array<i64: 1, 16>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @extract_index_count(%t: tensor<4x8xf32>, %i: index) {
  // expected-error @+1 {{'tile.extract' op needs one index per tile dimension (2), got 1}}
  %e = tile.extract %t[%i] : tensor<4x8xf32>
  return
}

// -----

func.func @slice_out_of_range(%t: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.slice' op dimension 1 reads element 8 of an input of size 8}}
  %s = tile.slice %t {offsets = array<i64: 0, 2>, strides = array<i64: 1, 2>} : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_bad_stride(%t: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.slice' op offsets must be >= 0 and strides >= 1}}
  %s = tile.slice %t {offsets = array<i64: 0, 0>, strides = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_rank(%t: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.slice' op offsets, strides, input and result must have the same rank}}
  %s = tile.slice %t {offsets = array<i64: 0>} : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_element_type(%t: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.slice' op element type must not change}}
  %s = tile.slice %t {offsets = array<i64: 0, 0>} : tensor<4x8xf32> -> tensor<4x4xbf16>
  return
}

// -----

func.func @concat_sum(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.concat' op result dimension 1 must be 16, the sum of the inputs'}}
  %c = tile.concat %a, %b {dim = 1} : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x12xf32>
  return
}

// -----

func.func @concat_other_dims(%a: tensor<4x8xf32>, %b: tensor<2x8xf32>) {
  // expected-error @+1 {{'tile.concat' op inputs must match the result outside dimension 1}}
  %c = tile.concat %a, %b {dim = 1} : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @concat_dim(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.concat' op dim 2 is out of range for rank 2}}
  %c = tile.concat %a {dim = 2} : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @concat_types(%a: tensor<4x8xf32>, %b: tensor<4x8xbf16>) {
  // expected-error @+1 {{'tile.concat' op inputs must have the result's rank and element type}}
  %c = tile.concat %a, %b {dim = 0} : tensor<4x8xf32>, tensor<4x8xbf16> -> tensor<8x8xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+1 {{'tile.concat' op needs at least one input}}
  %c = "tile.concat"() <{dim = 0 : i64}> : () -> tensor<8x8xf32>
  return
}

// -----

func.func @topk_sorted_runs(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.topk' op sorted_runs must be a power of two that divides 8, got 3}}
  %v, %i = tile.topk %x {k = 2, sorted_runs = 3} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @topk_sorted_runs_long(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.topk' op sorted_runs must be a power of two that divides 8, got 16}}
  %v, %i = tile.topk %x {k = 2, sorted_runs = 16} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @topk_sorted_runs_tail(%x: tensor<4x12xf32>) {
  // expected-error @+1 {{'tile.topk' op sorted_runs must be a power of two that divides 12, got 8}}
  %v, %i = tile.topk %x {k = 2, sorted_runs = 8} : tensor<4x12xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

tile.kernel @atomic_f32(%p: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : i32
  // expected-error @below {{counts in i32 words: the pointer's element type must be i32, got 'f32'}}
  %old = "tile.atomic_add"(%p, %c0, %one) : (!tile.ptr<f32>, index, i32) -> i32
  tile.return
}

// -----

func.func @atomic_outside(%p: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : i32
  // expected-error @below {{must be inside a tile.kernel}}
  %old = tile.atomic_add %p[%c0], %one : !tile.ptr<i32>
  return
}

// -----

tile.kernel @atomic_per_iteration(%p: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    // expected-error @below {{must not be inside a parallel loop: it is done once per program}}
    %old = tile.atomic_add %p[%i], %one : !tile.ptr<i32>
    scf.reduce
  }
  tile.return
}
