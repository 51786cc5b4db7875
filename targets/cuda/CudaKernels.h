//===- CudaKernels.h - tile kernels as CUDA launches ------------*- C++ -*-===//
//
// The runtime side of the CUDA lowering (CudaCompile.h): a KernelLibrary
// over one PTX image whose kernels follow CudaAbi.h, so a launch hands the
// calling convention's `void **args` (docs/tile-dialect.md) to
// cuLaunchKernel as they are, plus the grid. Launches do not wait.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CUDA_CUDAKERNELS_H
#define DSV4C_TARGETS_CUDA_CUDAKERNELS_H

#include "targets/cuda/CudaAbi.h"
#include "targets/cuda/CudaDriver.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c::cuda {

/// The environment variable that sets the device malloc heap, in MiB.
inline constexpr const char *kHeapMibVariable = "DSV4C_CUDA_HEAP_MIB";

/// The device malloc heap a kernel library sets (the tile buffers that do
/// not fit in shared memory come from it; the driver reserves it at the
/// first launch): `envValue` MiB when given (DSV4C_CUDA_HEAP_MIB), else
/// min(1/8 of `totalMemory`, 8 GiB). False, with `error` naming the
/// variable, unless the value is a whole number of MiB from 1 to 1048576.
bool mallocHeapBytes(size_t totalMemory, const char *envValue, size_t &bytes,
                     std::string &error);

/// Whether PTX text calls the device's malloc (a tile heap): only then does
/// a kernel library size the heap.
bool callsDeviceMalloc(const std::string &ptx);

/// Loads `image` (PTX text from CudaCompile) on `device` (which must
/// outlive the library) and finds every kernel of `kernels` in it. Also sizes
/// the device heap the kernels' tile buffers come from (mallocHeapBytes)
/// when the image calls malloc (callsDeviceMalloc). Null
/// with `error` set on failure.
std::unique_ptr<KernelLibrary>
createKernelLibrary(CudaDevice &device, const std::string &image,
                    const std::vector<std::string> &kernels,
                    std::string &error);

} // namespace dsv4c::cuda

#endif
