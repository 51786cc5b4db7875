//===- CudaCompile.h - tile kernels to PTX ---------------------*- C++ -*-===//
//
// The first CUDA lowering: the gpu pipeline (the cpu pipeline with tile ops
// as parallel loops shared out over a thread block, and transcendental math
// as polynomials) and LLVM's NVPTX backend. One program per thread block
// (CudaAbi.h); tile buffers come from the device heap, one per block. No
// tensor cores, shared-memory staging or shuffles yet: see docs/cuda.md.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CUDA_CUDACOMPILE_H
#define DSV4C_TARGETS_CUDA_CUDACOMPILE_H

#include "targets/cuda/CudaAbi.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace dsv4c::cuda {

struct PtxOptions {
  /// The GPU architecture (LLVM NVPTX CPU name).
  std::string sm = "sm_90a";
  /// sm_90a: e4m3 dots of 64-row results on wgmma too, whose tensor cores
  /// sum each 128 k in fewer bits than f32 (docs/cuda.md); off: mma.sync.
  bool warpgroupF8 = false;
};

/// PTX for every kernel of `module` (left unchanged). False with `error`
/// set (with the compiler's diagnostics) on failure.
bool compileToPtx(mlir::ModuleOp module, const PtxOptions &options,
                  std::string &ptx, std::string &error);

} // namespace dsv4c::cuda

#endif
