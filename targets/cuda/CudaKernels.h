//===- CudaKernels.h - tile kernels as CUDA launches ------------*- C++ -*-===//
//
// The runtime side of the CUDA lowering (CudaCompile.h): a KernelLibrary
// over one PTX (or cubin) image. The image's kernel K is
//   .entry K(arg0, ..., argN-1, gx, gy, gz)
// with each tile.kernel argument a parameter of its own, so a launch hands
// the calling convention's `void **args` (docs/tile-dialect.md) to
// cuLaunchKernel as they are, plus the grid; thread i of the launch runs
// program (i % gx, i / gx % gy, i / (gx * gy)). Launches do not wait.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CUDA_CUDAKERNELS_H
#define DSV4C_TARGETS_CUDA_CUDAKERNELS_H

#include "targets/cuda/CudaDriver.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c::cuda {

/// Threads per CUDA block (one program each).
inline constexpr unsigned kProgramsPerBlock = 64;

/// Loads `image` (PTX text from CudaCompile) on `device` (which must
/// outlive the library) and finds every kernel of `kernels` in it. Also sizes the device heap the kernels'
/// tile buffers come from. Null with `error` set on failure.
std::unique_ptr<KernelLibrary>
createKernelLibrary(CudaDevice &device, const std::string &image,
                    const std::vector<std::string> &kernels,
                    std::string &error);

} // namespace dsv4c::cuda

#endif
