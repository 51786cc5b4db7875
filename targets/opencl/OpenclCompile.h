//===- OpenclCompile.h - tile kernels to OpenCL C ---------------*- C++ -*-===//
//
// The opencl target's compiler side: the shared GPU lowering with OpenCL
// built-ins (GpuModule.h: openclBuiltinIsa), optimized as scalar code, then
// written as OpenCL C (CEmitter.h) that the OpenCL runtime builds. Work-
// groups of 128 items per program; tile buffers from the arena the runtime
// passes (GpuAbi.h). Needs one flat memory (CPU devices such as PoCL): GPUs
// take the level_zero target's SPIR-V.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_OPENCL_OPENCLCOMPILE_H
#define DSV4C_TARGETS_OPENCL_OPENCLCOMPILE_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4c::opencl {

/// A kernel of the program: its name and the byte size of each of its own
/// arguments, as the runtime sets them (clSetKernelArg).
struct KernelSignature {
  std::string name;
  std::vector<uint32_t> argumentBytes;
};

/// OpenCL C for every kernel of `module` (left unchanged), and the kernels'
/// signatures. False with `error` set on failure.
bool compileToOpenclC(mlir::ModuleOp module, std::string &source,
                      std::vector<KernelSignature> &kernels,
                      std::string &error);

} // namespace dsv4c::opencl

#endif
