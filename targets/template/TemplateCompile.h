//===- TemplateCompile.h - a new target's compiler side (skeleton) -*- C++
//-*-===//
//
// The porting kit's template target (docs/porting.md). Copy this folder to
// targets/<name>/, rename `templ`, and fill in the steps marked PORT. The
// CUDA target (targets/cuda/CudaCompile.cpp) is the worked example of every
// step.
//
// What is shared and already done for you: the tile dialect, every V4
// kernel, bufferization, `distribute-to-threads` (a program on a group of
// threads that share out each tile op) and `approximate-math` (no device
// math library needed): `buildGpuPipeline` in lowering/Passes.h.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_TEMPLATE_TEMPLATECOMPILE_H
#define DSV4C_TARGETS_TEMPLATE_TEMPLATECOMPILE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace dsv4c::templ {

/// LLVM IR (text) for every kernel of `module` (left unchanged), up to the
/// point where the target's LLVM backend takes over. `kernels` gets the
/// kernel names. False with `error` set on failure.
bool compileToLLVMIR(mlir::ModuleOp module, std::string &ir,
                     std::vector<std::string> &kernels, std::string &error);

} // namespace dsv4c::templ

#endif
