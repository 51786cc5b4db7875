//===- GenericBody.h - a linalg.generic's element, computed elsewhere -*- C++
//-*-===//
//
// Shared by fuse-elementwise-tiles (a cheap element computed where a store
// or a warp reduction reads it) and reduce-to-warp-shuffles (a marked
// reduction's body applied at each lane's element).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_LOWERING_GENERICBODY_H
#define DSV4C_LOWERING_GENERICBODY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace dsv4c::lowering {

/// Clones `body`'s ops but its terminator at `b`'s insertion point, with
/// the block arguments as `map` has them and each `linalg.index d` (at any
/// depth) replaced by `at[d]`. Returns the value the terminator yields
/// first.
inline mlir::Value cloneBodyAt(mlir::OpBuilder &b, mlir::Block &body,
                               mlir::IRMapping &map, mlir::ValueRange at) {
  for (mlir::Operation &inner : body.without_terminator()) {
    if (auto index = llvm::dyn_cast<mlir::linalg::IndexOp>(inner)) {
      map.map(index.getResult(), at[index.getDim()]);
      continue;
    }
    mlir::Operation *copy = b.clone(inner, map);
    llvm::SmallVector<mlir::linalg::IndexOp> nested;
    copy->walk([&](mlir::linalg::IndexOp i) { nested.push_back(i); });
    for (mlir::linalg::IndexOp i : nested) {
      i.getResult().replaceAllUsesWith(at[i.getDim()]);
      i.erase();
    }
  }
  return map.lookupOrDefault(body.getTerminator()->getOperand(0));
}

} // namespace dsv4c::lowering

#endif
