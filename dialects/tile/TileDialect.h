//===- TileDialect.h - the tile dialect -------------------------*- C++ -*-===//
#ifndef DSV4C_DIALECTS_TILE_TILEDIALECT_H
#define DSV4C_DIALECTS_TILE_TILEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "runtime/ElementType.h"

#include "dialects/tile/TileDialect.h.inc"
#include "dialects/tile/TileEnums.h.inc"
#include "dialects/tile/TileInterfaces.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/tile/TileTypes.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/tile/TileAttrs.h.inc"
#define GET_OP_CLASSES
#include "dialects/tile/TileOps.h.inc"

namespace dsv4c::tile {

/// True for the element types a tile or pointer may hold.
bool isTileElementType(mlir::Type type);
/// True for a statically shaped ranked tensor of a tile element type whose
/// encoding, if any, is a tile layout.
bool isTileType(mlir::Type type);
/// The i1 tile of the same shape as `tileType` (layout dropped).
mlir::RankedTensorType getMaskType(mlir::Type tileType);
/// True for the types a kernel may take as scalar arguments.
bool isKernelScalarType(mlir::Type type);
/// The runtime's name for a tile element type; nullopt for other types.
std::optional<ElementType> toElementType(mlir::Type type);

} // namespace dsv4c::tile

#endif // DSV4C_DIALECTS_TILE_TILEDIALECT_H
