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
  /// `tile.dot` as loops m, n (parallel) around k: each result element is
  /// one thread's sum (GPUs). Otherwise m, k, n: n innermost vectorises
  /// (CPUs).
  bool threadedDot = false;
  /// Dots a warp's matrix instructions can do (bf16 x bf16, or e4m3 x
  /// e4m3/e2m1 with scales constant over 32 k) stay on their raw operands,
  /// marked for the dot-to-warp-mma pass (Passes.td).
  bool warpMma = false;
  /// `tile.reduce`s over 32 or more elements to a 32-bit accumulator are
  /// marked for reduce-to-warp-shuffles (Passes.td).
  bool warpShuffles = false;
  /// `tile.load`s with contiguous rows are copied into their tile buffer
  /// by `dsv4c.copy_async.N` calls (AsyncCopy.cpp), which the target must
  /// define (GPUs: straight into shared memory).
  bool asyncCopies = false;
  /// `tile.store` as a parallel loop nest (GPUs: shared out over a group's
  /// threads) instead of sequential loops. Elements of one store that name
  /// the same address then land in no particular order.
  bool parallelStores = false;
  /// e4m3 quantization rounds through `dsv4c.cvt_e4m3(f32) -> i8`, which
  /// the target must define (an ISA's f32 -> e4m3 instruction: the same
  /// rounding, nearest even, values already clamped to +-448), and e4m3
  /// dequantization widens through `dsv4c.e4m3_to_f32(i8) -> f32` (exact).
  bool hardwareE4m3 = false;
  /// The LLVM sync scope of `tile.atomic_add`'s add and fences: the
  /// narrowest that covers every program of a launch ("device" on NVPTX,
  /// "agent" on AMDGPU); empty: the whole system (CPUs).
  std::string atomicScope;
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
