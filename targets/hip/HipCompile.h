//===- HipCompile.h - tile kernels to AMDGPU code objects -----*- C++ -*-===//
//
// The HIP target's compiler side: the shared GPU lowering (GpuModule.h)
// with AMDGPU intrinsics, LLVM's AMDGPU backend to a relocatable object,
// and lld to a code object (HSACO) that hipModuleLoadData loads. Groups of
// 128 work-items (two wave64 waves) per program; tile buffers from the
// arena the runtime passes (GpuAbi.h), since AMDGPU has no device malloc
// without the ROCm device libraries. No MFMA or LDS staging yet.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_HIP_HIPCOMPILE_H
#define DSV4C_TARGETS_HIP_HIPCOMPILE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace dsv4c::hip {

struct HipOptions {
  /// The GPU architecture (LLVM AMDGPU processor): gfx942 (MI300),
  /// gfx90a (MI200), ...
  std::string arch = "gfx942";
};

/// The code object (an ELF shared object) for every kernel of `module`
/// (left unchanged). False with `error` set on failure.
bool compileToHsaco(mlir::ModuleOp module, const HipOptions &options,
                    std::string &hsaco, std::string &error);

/// AMDGPU assembly for every kernel of `module`, for reading and tests.
bool compileToAssembly(mlir::ModuleOp module, const HipOptions &options,
                       std::string &assembly, std::string &error);

} // namespace dsv4c::hip

#endif
