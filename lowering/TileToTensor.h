//===- TileToTensor.h - tile ops to tensor/scf/llvm memory ops -*- C++ -*-===//
#ifndef DSV4C_LOWERING_TILETOTENSOR_H
#define DSV4C_LOWERING_TILETOTENSOR_H

#include "mlir/IR/Operation.h"

namespace dsv4c {

struct TileLoweringOptions {
  /// `tile.topk` as merge passes whose every output element is computed
  /// independently (a parallel loop per pass; GPUs) instead of sequential
  /// merges (fewer comparisons; CPUs).
  bool parallelTopK = false;
};

/// Rewrites every tile op under `root` except kernel, return, program_id and
/// num_programs into upstream ops: `tensor.generate` bodies for tiles, `scf`
/// loops for stores, and LLVM-dialect loads/stores through raw pointers.
/// `!tile.ptr` values must be `unrealized_conversion_cast`s of `!llvm.ptr`.
mlir::LogicalResult
lowerTileOpsToTensor(mlir::Operation *root,
                     const TileLoweringOptions &options = {});

} // namespace dsv4c

#endif
