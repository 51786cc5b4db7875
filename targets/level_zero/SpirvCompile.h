//===- SpirvCompile.h - tile kernels to SPIR-V compute kernels -*- C++ -*-===//
//
// The Level Zero target's compiler side: the shared GPU lowering
// (GpuModule.h) with OpenCL built-ins, LLVM's SPIR-V backend to a SPIR-V
// module of OpenCL-style kernels (Kernel capability, Physical64 addressing,
// generic pointers) that zeModuleCreate takes. Work-groups of 128 items per
// program; tile buffers from the arena the runtime passes (GpuAbi.h).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_LEVEL_ZERO_SPIRVCOMPILE_H
#define DSV4C_TARGETS_LEVEL_ZERO_SPIRVCOMPILE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace dsv4c::level_zero {

/// A SPIR-V binary with every kernel of `module` (left unchanged). False
/// with `error` set on failure.
bool compileToSpirv(mlir::ModuleOp module, std::string &spirv,
                    std::string &error);

} // namespace dsv4c::level_zero

#endif
