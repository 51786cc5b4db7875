//===- ScalarConversions.h - emit scalar element conversions ---*- C++ -*-===//
//
// IR builders for the element conversions of docs/tile-dialect.md. The small
// float formats (f8E4M3FN, f4E2M1FN, f8E8M0FNU) have no LLVM type, so their
// conversions are emitted as integer bit manipulation on their codes.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_LOWERING_SCALARCONVERSIONS_H
#define DSV4C_LOWERING_SCALARCONVERSIONS_H

#include "mlir/IR/Builders.h"

namespace dsv4c {

/// True for f8E4M3FN, f4E2M1FN and f8E8M0FNU.
bool isSmallFloat(mlir::Type type);

/// Converts a scalar of any tile element type to f32 (exact for floats).
mlir::Value emitToF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);
/// Converts an f32 scalar to `to` with the spec's rounding (nearest even,
/// saturating for f8E4M3FN and f4E2M1FN).
mlir::Value emitFromF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value f,
                        mlir::Type to);
/// `tile.cast` of one element.
mlir::Value emitScalarCast(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, mlir::Type to);

} // namespace dsv4c

#endif
