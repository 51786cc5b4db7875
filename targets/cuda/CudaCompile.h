//===- CudaCompile.h - tile kernels to PTX ---------------------*- C++ -*-===//
//
// A first, correct-before-fast CUDA lowering: the gpu-scalar pipeline (the
// cpu pipeline with transcendental math as polynomials) and LLVM's NVPTX
// backend, one program per CUDA thread. Kernel K becomes
//   .entry K(arg0, ..., argN-1, .param .u64 gx, .param .u64 gy, .param .u64 gz)
// (one parameter per tile.kernel argument) whose thread
// blockIdx.x * blockDim.x + threadIdx.x runs program
// (id % gx, id / gx % gy, id / (gx * gy)); CudaKernels.h launches it. Tile
// buffers come from the device heap (malloc). No tensor cores, shared memory
// or shuffles yet: see docs/cuda.md.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CUDA_CUDACOMPILE_H
#define DSV4C_TARGETS_CUDA_CUDACOMPILE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace dsv4c::cuda {

struct PtxOptions {
  /// The GPU architecture (LLVM NVPTX CPU name).
  std::string sm = "sm_90a";
};

/// PTX for every kernel of `module` (left unchanged). False with `error`
/// set (with the compiler's diagnostics) on failure.
bool compileToPtx(mlir::ModuleOp module, const PtxOptions &options,
                  std::string &ptx, std::string &error);

} // namespace dsv4c::cuda

#endif
