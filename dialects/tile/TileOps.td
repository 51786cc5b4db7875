//===- TileOps.td - tile dialect operations ----------------*- tablegen -*-===//
//
// Semantics of every op are specified in docs/tile-dialect.md; the reference
// target (targets/reference) is their executable definition.
//
//===----------------------------------------------------------------------===//

#ifndef DSV4C_TILE_OPS_TD
#define DSV4C_TILE_OPS_TD

include "dialects/tile/TileBase.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/OpAsmInterface.td"

class Tile_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tile_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernels and the grid
//===----------------------------------------------------------------------===//

def Tile_KernelOp : Tile_Op<"kernel", [
    FunctionOpInterface, IsolatedFromAbove, Symbol, OpAsmOpInterface]> {
  let summary = "one program of a grid of programs";
  let description = [{
    The body runs once per program of the launch grid. Arguments are
    `!tile.ptr` to global memory and scalars (index, i32, i64, f16, bf16,
    f32). A kernel returns nothing; it communicates by storing.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() {
      return getFunctionType().getInputs();
    }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() {
      return getFunctionType().getResults();
    }
    static ::llvm::StringRef getDefaultDialect() { return "tile"; }
    bool isDeclaration() { return false; }
  }];
}

def Tile_ReturnOp : Tile_Op<"return", [Pure, Terminator,
                                       HasParent<"KernelOp">]> {
  let summary = "ends a program";
  let assemblyFormat = "attr-dict";
  let hasVerifier = 0;
}

def Tile_ProgramIdOp : Tile_Op<"program_id", [Pure]> {
  let summary = "this program's coordinate along a grid dimension (0-2)";
  let arguments = (ins I32Attr:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim attr-dict";
}

def Tile_NumProgramsOp : Tile_Op<"num_programs", [Pure]> {
  let summary = "the grid's extent along a dimension (0-2)";
  let arguments = (ins I32Attr:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim attr-dict";
}

//===----------------------------------------------------------------------===//
// Global memory
//===----------------------------------------------------------------------===//

def Tile_LoadOp : Tile_Op<"load", [AttrSizedOperandSegments,
    OptionalTypesMatchWith<"mask is an i1 tile of the result's shape",
        "result", "mask", "::dsv4c::tile::getMaskType($_self)">,
    OptionalTypesMatchWith<"other has the result's element type",
        "result", "other", "::llvm::cast<::mlir::ShapedType>($_self)"
        ".getElementType()">,
    MemoryEffects<[MemRead]>]> {
  let summary = "load a tile from global memory, with bounds and mask";
  let description = [{
    Element `i` of the result is `base[sum_d (offsets[d] + i[d]) * strides[d]]`
    when every `offsets[d] + i[d] < bounds[d]` (if bounds are given) and
    `mask[i]` is true (if a mask is given); otherwise it is `other` (zero if
    absent). Masked-off elements are never read.
  }];
  let arguments = (ins Tile_PtrType:$base, Variadic<Index>:$offsets,
                       Variadic<Index>:$strides, Variadic<Index>:$bounds,
                       Optional<Tile_MaskTile>:$mask,
                       Optional<AnyType>:$other);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = [{
    $base `[` $offsets `]` `strides` `[` $strides `]`
    (`bounds` `[` $bounds^ `]`)? (`mask` $mask^)? (`other` $other^)?
    attr-dict `:` qualified(type($base)) `->` type($result)
  }];
}

def Tile_StoreOp : Tile_Op<"store", [AttrSizedOperandSegments,
    OptionalTypesMatchWith<"mask is an i1 tile of the value's shape",
        "value", "mask", "::dsv4c::tile::getMaskType($_self)">,
    MemoryEffects<[MemWrite]>]> {
  let summary = "store a tile to global memory, with bounds and mask";
  let description = [{
    Writes element `i` of `value` to `base[sum_d (offsets[d] + i[d]) *
    strides[d]]` where the bounds and mask allow it, like `tile.load`.
  }];
  let arguments = (ins Tile_AnyTile:$value, Tile_PtrType:$base,
                       Variadic<Index>:$offsets, Variadic<Index>:$strides,
                       Variadic<Index>:$bounds,
                       Optional<Tile_MaskTile>:$mask);
  let assemblyFormat = [{
    $value `,` $base `[` $offsets `]` `strides` `[` $strides `]`
    (`bounds` `[` $bounds^ `]`)? (`mask` $mask^)?
    attr-dict `:` type($value) `->` qualified(type($base))
  }];
}

def Tile_GatherOp : Tile_Op<"gather", [
    OptionalTypesMatchWith<"other has the result's element type",
        "result", "other", "::llvm::cast<::mlir::ShapedType>($_self)"
        ".getElementType()">,
    MemoryEffects<[MemRead]>]> {
  let summary = "load rows of a buffer selected by an index tile";
  let description = [{
    `result[i, j] = base[offset + indices[i] * row_stride + j]`, or `other`
    (zero if absent) where `indices[i]` is negative (-1 = masked row).
  }];
  let arguments = (ins Tile_PtrType:$base, Index:$offset,
                       Tile_IndexTile:$indices, Index:$row_stride,
                       Optional<AnyType>:$other);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = [{
    $base `[` $offset `]` `,` $indices `row_stride` $row_stride
    (`other` $other^)? attr-dict `:` qualified(type($base)) `,`
    type($indices) `->` type($result)
  }];
}

def Tile_AtomicAddOp : Tile_Op<"atomic_add", [
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "one atomic add per program, ordered with its other accesses";
  let description = [{
    Adds `value` to the i32 `base[index]` atomically, once for the whole
    program (not once per thread of a GPU program), and gives every thread
    the value it had before. It orders memory between programs: writes the
    program made before it are visible to a program whose own `atomic_add`
    on the same counter comes later and reads the sum (release), and that
    program's later loads see them (acquire). This is how the last program
    of a split-k tile learns it is last and reads the other slices, in one
    launch (linear_fp8.mlir, dense.mlir, linear_fp4.mlir).
  }];
  let arguments = (ins Tile_PtrType:$base, Index:$index, I32:$value);
  let results = (outs I32:$result);
  let assemblyFormat = [{
    $base `[` $index `]` `,` $value attr-dict `:` qualified(type($base))
  }];
}

//===----------------------------------------------------------------------===//
// Tile construction and shape
//===----------------------------------------------------------------------===//

def Tile_SplatOp : Tile_Op<"splat", [Pure,
    TypesMatchWith<"value has the result's element type", "result", "value",
        "::llvm::cast<::mlir::ShapedType>($_self).getElementType()">]> {
  let summary = "a tile with every element equal to a scalar";
  let arguments = (ins AnyType:$value);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
}

def Tile_IotaOp : Tile_Op<"iota", [Pure]> {
  let summary = "the rank-1 tile 0, 1, ..., N-1";
  let results = (outs Tile_IndexTile:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Tile_BroadcastOp : Tile_Op<"broadcast", [Pure]> {
  let summary = "repeat size-1 dimensions to the result's shape";
  let arguments = (ins Tile_AnyTile:$input);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tile_ReshapeOp : Tile_Op<"reshape", [Pure]> {
  let summary = "reinterpret a tile's elements, in row-major order, in a new shape";
  let arguments = (ins Tile_AnyTile:$input);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tile_TransOp : Tile_Op<"trans", [Pure]> {
  let summary = "permute a tile's dimensions: result dim d is input dim perm[d]";
  let arguments = (ins Tile_AnyTile:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tile_ExtractOp : Tile_Op<"extract", [Pure,
    TypesMatchWith<"result has the tile's element type", "tile", "result",
        "::llvm::cast<::mlir::ShapedType>($_self).getElementType()">]> {
  let summary = "one element of a tile as a scalar";
  let description = [{
    `tile[indices]`, one index per dimension. Out-of-range indices are
    undefined behaviour (the reference target reports them).
  }];
  let arguments = (ins Tile_AnyTile:$tile, Variadic<Index>:$indices);
  let results = (outs AnyType:$result);
  let assemblyFormat = "$tile `[` $indices `]` attr-dict `:` type($tile)";
}

def Tile_SliceOp : Tile_Op<"slice", [Pure]> {
  let summary = "a strided static sub-tile";
  let description = [{
    `result[i] = input[offsets + i * strides]` (strides default to 1);
    every selected element must lie inside the input.
  }];
  let arguments = (ins Tile_AnyTile:$input, DenseI64ArrayAttr:$offsets,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tile_ConcatOp : Tile_Op<"concat", [Pure]> {
  let summary = "join tiles along one dimension";
  let arguments = (ins Variadic<Tile_AnyTile>:$inputs, I64Attr:$dim);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` type($inputs) `->` type($result)
  }];
}

def Tile_CastOp : Tile_Op<"cast", [Pure]> {
  let summary = "convert every element to another element type";
  let description = [{
    Float to float rounds to nearest even; to `f8E4M3FN` and `f4E2M1FN` it
    saturates to the largest finite value (448, 6). Float to integer
    truncates toward zero; integer to integer sign-extends or truncates.
  }];
  let arguments = (ins Tile_AnyTile:$input);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def Tile_DotOp : Tile_Op<"dot", [Pure, AttrSizedOperandSegments,
    OptionalTypesMatchWith<"acc has the result's type", "result", "acc",
                           "$_self">]> {
  let summary = "matrix product with optional block scales, accumulated in f32";
  let description = [{
    `result[m, n] = acc[m, n] + sum_k A[m, k] * B[k, n]` in f32, where `A` is
    `lhs` times `lhs_scale` broadcast over blocks of `lhs_scale_block`, and
    `B` is `rhs` (stored `[N, K]` if `rhs_transposed`) likewise. Scale tiles
    have shape `ceil(operand shape / block)`.
  }];
  let arguments = (ins Tile_AnyTile:$lhs, Tile_AnyTile:$rhs,
                       Optional<Tile_AnyTile>:$acc,
                       Optional<Tile_AnyTile>:$lhs_scale,
                       Optional<Tile_AnyTile>:$rhs_scale,
                       UnitAttr:$rhs_transposed,
                       OptionalAttr<DenseI64ArrayAttr>:$lhs_scale_block,
                       OptionalAttr<DenseI64ArrayAttr>:$rhs_scale_block);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = [{
    $lhs (`scale` $lhs_scale^ `:` type($lhs_scale))? `,`
    $rhs (`scale` $rhs_scale^ `:` type($rhs_scale))?
    (`acc` $acc^)? attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Tile_ReduceOp : Tile_Op<"reduce", [Pure]> {
  let summary = "combine a tile along one dimension (sum, max, min)";
  let arguments = (ins Tile_CombineKindAttr:$kind, Tile_AnyTile:$input,
                       I64Attr:$dim);
  let results = (outs Tile_AnyTile:$result);
  // `` because the kind attribute prints its own leading space.
  let assemblyFormat = [{
    `` $kind $input attr-dict `:` type($input) `->` type($result)
  }];
}

def Tile_ScanOp : Tile_Op<"scan", [Pure, SameOperandsAndResultType]> {
  let summary = "inclusive prefix combine along one dimension";
  let arguments = (ins Tile_CombineKindAttr:$kind, Tile_AnyTile:$input,
                       I64Attr:$dim, UnitAttr:$reverse);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = "`` $kind $input attr-dict `:` type($input)";
}

def Tile_TopKOp : Tile_Op<"topk", [Pure]> {
  let summary = "the k largest elements along the last dimension";
  let description = [{
    Values in descending order with their i32 positions; equal values keep
    the smaller position first. `sorted_runs` (a power of two that divides
    the last dimension, default 1) promises that each aligned run of that
    many elements along the last dimension is already in that order (a merge of sorted lists): the
    lowering then starts merging at runs of that width. Where the promise
    does not hold the result is unspecified.
  }];
  let arguments = (ins Tile_AnyTile:$input, I64Attr:$k,
                       DefaultValuedAttr<I64Attr, "1">:$sorted_runs);
  let results = (outs Tile_AnyTile:$values, Tile_IndexTile:$indices);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($values) `,` type($indices)
  }];
}

def Tile_QuantizeOp : Tile_Op<"quantize", [Pure]> {
  let summary = "block-scaled quantisation to f8E4M3FN or f4E2M1FN";
  let description = [{
    Per block: `amax = max(max|x|, floor)`; `s = amax / fmax` (f8E4M3FN:
    fmax 448, floor 1e-4; f4E2M1FN: fmax 6, floor 6 * 2^-126), rounded up to
    a power of two when `round_scale` (always for f4E2M1FN and for
    f8E8M0FNU scales); `q = cast(clamp(x / s, -fmax, fmax))`. This is
    DeepSeek's `act_quant` / `fp4_act_quant`.
  }];
  let arguments = (ins Tile_AnyTile:$input, DenseI64ArrayAttr:$block,
                       UnitAttr:$round_scale);
  let results = (outs Tile_AnyTile:$result, Tile_AnyTile:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result) `,` type($scale)
  }];
}

def Tile_DequantizeOp : Tile_Op<"dequantize", [Pure]> {
  let summary = "multiply each element by its block's scale";
  let arguments = (ins Tile_AnyTile:$input, Tile_AnyTile:$scale,
                       DenseI64ArrayAttr:$block);
  let results = (outs Tile_AnyTile:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale) `->`
    type($result)
  }];
}

#endif // DSV4C_TILE_OPS_TD
