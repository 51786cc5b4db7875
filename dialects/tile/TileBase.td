//===- TileBase.td - tile dialect, types and attributes ----*- tablegen -*-===//
//
// A tile kernel is one program of a grid that works on whole tiles. A tile is
// a statically shaped builtin `tensor` whose optional encoding is a
// `#tile.*` layout attribute, so `arith` and `math` apply to tiles directly.
//
//===----------------------------------------------------------------------===//

#ifndef DSV4C_TILE_BASE_TD
#define DSV4C_TILE_BASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

def Tile_Dialect : Dialect {
  let name = "tile";
  let cppNamespace = "::dsv4c::tile";
  let summary = "Tile-level kernels: a grid of programs over tiles";
  let description = [{
    A `tile.kernel` is the body of one program of a 1-3 dimensional grid.
    Programs read and write global memory through `!tile.ptr` arguments and
    compute on tiles: statically shaped ranked tensors whose element type is
    a tile element type and whose encoding, if any, is a `#tile` layout.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

class Tile_TypeDef<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Tile_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Tile_PtrType : Tile_TypeDef<"Ptr", "ptr"> {
  let summary = "pointer to global memory holding elements of one type";
  let description = [{
    `!tile.ptr<T>` addresses global memory as a flat array of `T`. Elements of
    `f4E2M1FN` are packed two per byte, the even element in the low nibble.
  }];
  let parameters = (ins "::mlir::Type":$elementType);
  let assemblyFormat = "`<` $elementType `>`";
  let genVerifyDecl = 1;
}

// Element types a tile (and a pointer) may hold.
def Tile_ElementType : Type<
    CPred<"::dsv4c::tile::isTileElementType($_self)">,
    "tile element type (i1, i8, i32, i64, f16, bf16, f32, f8E4M3FN, "
    "f4E2M1FN, f8E8M0FNU)">;

def Tile_AnyTile : Type<CPred<"::dsv4c::tile::isTileType($_self)">,
    "tile (statically shaped tensor of a tile element type)",
    "::mlir::RankedTensorType">;

def Tile_MaskTile : Type<And<[Tile_AnyTile.predicate,
    CPred<"::llvm::cast<::mlir::ShapedType>($_self).getElementType()"
          ".isInteger(1)">]>, "tile of i1", "::mlir::RankedTensorType">;

def Tile_IndexTile : Type<And<[Tile_AnyTile.predicate,
    CPred<"::llvm::cast<::mlir::ShapedType>($_self).getElementType()"
          ".isInteger(32) || ::llvm::cast<::mlir::ShapedType>($_self)"
          ".getElementType().isInteger(64)">]>, "tile of i32 or i64",
    "::mlir::RankedTensorType">;

// Scalars a kernel may take as arguments besides pointers.
def Tile_Scalar : AnyTypeOf<[Index, I32, I64, F16, BF16, F32]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tile_CombineKind : I32EnumAttr<"CombineKind", "reduction combiner", [
    I32EnumAttrCase<"Sum", 0, "sum">,
    I32EnumAttrCase<"Max", 1, "max">,
    I32EnumAttrCase<"Min", 2, "min">]> {
  let cppNamespace = "::dsv4c::tile";
  let genSpecializedAttr = 0;
}
def Tile_CombineKindAttr : EnumAttr<Tile_Dialect, Tile_CombineKind, "combine">;

//===----------------------------------------------------------------------===//
// Layout attributes: abstract here, made concrete by each target.
//===----------------------------------------------------------------------===//

def Tile_LayoutAttrInterface : AttrInterface<"LayoutAttrInterface"> {
  let cppNamespace = "::dsv4c::tile";
  let description = [{
    Marks an attribute as a tile layout: how a tile's elements are spread
    over a target's threads, registers or shared memory. Layouts never change
    what a program computes, only how a target places the data.
  }];
  let methods = [
    InterfaceMethod<"Rank of the tiles this layout can describe, or -1 for "
                    "any rank.", "int64_t", "getLayoutRank">
  ];
}

class Tile_LayoutAttr<string name, string attrMnemonic>
    : AttrDef<Tile_Dialect, name, [
        DeclareAttrInterfaceMethods<Tile_LayoutAttrInterface>,
        DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let mnemonic = attrMnemonic;
  let genVerifyDecl = 1;
}

def Tile_BlockedLayoutAttr : Tile_LayoutAttr<"BlockedLayout", "blocked"> {
  let summary = "elements split in blocks over threads and warps";
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$sizePerThread,
    ArrayRefParameter<"int64_t">:$threadsPerWarp,
    ArrayRefParameter<"int64_t">:$warpsPerProgram,
    ArrayRefParameter<"int64_t">:$order);
  let assemblyFormat = [{
    `<` `sizePerThread` `=` `[` $sizePerThread `]` `,`
        `threadsPerWarp` `=` `[` $threadsPerWarp `]` `,`
        `warpsPerProgram` `=` `[` $warpsPerProgram `]` `,`
        `order` `=` `[` $order `]` `>`
  }];
}

def Tile_MmaLayoutAttr : Tile_LayoutAttr<"MmaLayout", "mma"> {
  let summary = "operand or accumulator fragments of a target's matrix unit";
  let parameters = (ins
    StringRefParameter<"instruction family, e.g. wgmma, mma_sync, mfma">:$family,
    "int64_t":$operand,
    ArrayRefParameter<"int64_t">:$instrShape);
  let assemblyFormat = [{
    `<` $family `,` `operand` `=` $operand `,`
        `instrShape` `=` `[` $instrShape `]` `>`
  }];
}

def Tile_SharedLayoutAttr : Tile_LayoutAttr<"SharedLayout", "shared"> {
  let summary = "swizzled shared-memory (LDS, SLM) staging";
  let parameters = (ins "int64_t":$vec, "int64_t":$perPhase,
                        "int64_t":$maxPhase,
                        ArrayRefParameter<"int64_t">:$order);
  let assemblyFormat = [{
    `<` `vec` `=` $vec `,` `perPhase` `=` $perPhase `,`
        `maxPhase` `=` $maxPhase `,` `order` `=` `[` $order `]` `>`
  }];
}

#endif // DSV4C_TILE_BASE_TD
