//===- Passes.h - dsv4c lowering passes and pipelines ----------*- C++ -*-===//
#ifndef DSV4C_LOWERING_PASSES_H
#define DSV4C_LOWERING_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace dsv4c {

#define GEN_PASS_DECL
#include "lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lowering/Passes.h.inc"

/// The full CPU pipeline: tile kernels -> LLVM dialect, ready to translate.
/// `parallelTopK`: tile.topk as GPU targets lower it (for tests).
void buildCpuPipeline(mlir::OpPassManager &pm, bool parallelTopK = false);
struct GpuPipelineOptions : mlir::PassPipelineOptions<GpuPipelineOptions> {
  Option<bool> warpMma{
      *this, "warp-mma",
      llvm::cl::desc("tile.dots a warp's matrix instructions can do become "
                     "calls of dsv4c.mma.* (dot-to-warp-mma): the target "
                     "must define them"),
      llvm::cl::init(false)};
  Option<bool> warpMatrixLoads{
      *this, "warp-matrix-loads",
      llvm::cl::desc("with warp-mma: the target defines dsv4c.ldmatrix.x4/x2 "
                     "(dot-to-warp-mma's matrix-loads, for operands planned "
                     "in shared memory)"),
      llvm::cl::init(false)};
  Option<bool> warpMmaF8{
      *this, "warp-mma-f8",
      llvm::cl::desc("with warp-mma: the target has an e4m3 matrix "
                     "instruction (dsv4c.mma.f8.m16n8k32); else f8 dots are "
                     "widened to bf16 ones"),
      llvm::cl::init(true)};
  Option<bool> warpgroupMma{
      *this, "warpgroup-mma",
      llvm::cl::desc("with warp-mma and plan-tile-bytes: bf16 dots of 64 x N "
                     "results call dsv4c.wgmma.bf16.nN on operands staged "
                     "swizzled in shared memory (mark-warpgroup-dots): the "
                     "target must define them"),
      llvm::cl::init(false)};
  Option<bool> warpgroupMmaF8{
      *this, "warpgroup-mma-f8",
      llvm::cl::desc("with warpgroup-mma: e4m3 dots too (dsv4c.wgmma.e4m3.nN), "
                     "whose sums of 128 k the tensor cores keep in fewer "
                     "bits than f32"),
      llvm::cl::init(false)};
  Option<bool> warpShuffles{
      *this, "warp-shuffles",
      llvm::cl::desc("tile.reduces split over a warp's lanes, combined with "
                     "dsv4c.shuffle_xor.* (reduce-to-warp-shuffles): the "
                     "target must define them"),
      llvm::cl::init(false)};
  Option<bool> asyncCopies{
      *this, "async-copies",
      llvm::cl::desc("tile.loads with contiguous rows are copied into their "
                     "tile buffers by dsv4c.copy_async.N calls: the target "
                     "must define them"),
      llvm::cl::init(false)};
  Option<bool> parallelStores{
      *this, "parallel-stores",
      llvm::cl::desc("tile.stores as parallel nests, shared out over the "
                     "threads (else sequential loops on thread 0)"),
      llvm::cl::init(false)};
  Option<bool> hardwareE4m3{
      *this, "hardware-e4m3",
      llvm::cl::desc("e4m3 conversions through dsv4c.cvt_e4m3 (quantize) and "
                     "dsv4c.e4m3_to_f32 (dequantize): the target must "
                     "define them"),
      llvm::cl::init(false)};
  Option<std::string> atomicScope{
      *this, "atomic-scope",
      llvm::cl::desc(
          "LLVM sync scope of tile.atomic_add (convert-tile-to-cpu's "
          "atomic-scope)"),
      llvm::cl::init("")};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("cheap elementwise tile chains fused into their "
                     "consumers before bufferization (fuse-elementwise-tiles)"),
      llvm::cl::init(false)};
  Option<int64_t> planTileBytes{
      *this, "plan-tile-bytes",
      llvm::cl::desc("tile buffers at offsets fixed at compile time in one "
                     "group-shared global per program, where they fit in "
                     "this many bytes (plan-tile-buffers); 0: run-time "
                     "allocation only"),
      llvm::cl::init(0)};
  Option<int64_t> planDynamicTileBytes{
      *this, "plan-dynamic-tile-bytes",
      llvm::cl::desc("with plan-tile-bytes: programs whose tile buffers need "
                     "more take up to this many bytes of the launch's dynamic "
                     "shared memory (0: none)"),
      llvm::cl::init(0)};
};

/// The cpu pipeline for a GPU backend: tile ops as parallel loops shared out
/// over a thread block (distribute-to-threads), dots as warp matrix
/// instructions and reductions over a warp's lanes where the target has
/// them (warp-mma, warp-shuffles), transcendental math
/// as polynomials (approximate-math), so no device library is needed.
void buildGpuPipeline(mlir::OpPassManager &pm,
                      const GpuPipelineOptions &options = {});

/// Registers the passes above and the `dsv4c-cpu-pipeline` pipeline.
void registerDsv4cLoweringPasses();

} // namespace dsv4c

#endif
