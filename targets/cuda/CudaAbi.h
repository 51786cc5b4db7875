//===- CudaAbi.h - how the CUDA runtime launches compiled kernels -*- C++
//-*-===//
//
// Shared by the compiler side (CudaCompile) and the runtime side
// (CudaKernels), which links no LLVM. The CUDA target takes tile buffers from
// the device heap, so kernel K of a PTX image is
//   .entry K(arg0, ..., argN-1, .param .u64 gx, .param .u64 gy, .param .u64 gz)
// with one parameter per tile.kernel argument (targets/gpu/GpuAbi.h). A
// launch has one block of kThreadsPerProgram threads per program; block b
// runs program (b % gx, b / gx % gy, b / (gx * gy)).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CUDA_CUDAABI_H
#define DSV4C_TARGETS_CUDA_CUDAABI_H

#include "targets/gpu/GpuAbi.h"

namespace dsv4c::cuda {

/// Threads of the block that runs one program.
inline constexpr unsigned kThreadsPerProgram = gpu::kThreadsPerGroup;

} // namespace dsv4c::cuda

#endif
