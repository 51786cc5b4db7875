//===- JitKernels.h - the V4 kernels compiled in-process -------*- C++ -*-===//
//
// Parses the embedded kernel files (KernelSources.h) and makes them ready on
// a target: `cpu` (lowered and JIT-compiled once), `reference` (the
// interpreter: slow, for checking), `cuda` (lowered to PTX, loaded on the
// CudaDevice given) or `opencl` (OpenCL C, built on the OpenclDevice given).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_JITKERNELS_H
#define DSV4C_MODELS_V4_JITKERNELS_H

#include "runtime/Device.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>

namespace dsv4c::v4 {

struct JitOptions {
  /// "cpu", "reference", "cuda" or "opencl".
  std::string target = "cpu";
  /// Worker threads of the cpu target (0: one per hardware thread).
  unsigned threads = 0;
  /// cuda, opencl: the target's device the kernels run on (outlives them).
  Device *device = nullptr;
};

/// Null with `error` set (naming the kernel file and line for a parse
/// error, or the target's message) on failure.
std::unique_ptr<KernelLibrary> createJitKernels(const JitOptions &options,
                                                std::string &error);

/// Every embedded kernel file parsed into one module (for ahead-of-time
/// compilation). Null with `error` set on a parse error.
struct KernelModule {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};
bool parseKernelModule(KernelModule &out, std::string &error);

/// The targets createJitKernels accepts.
bool isJitTarget(const std::string &target);

} // namespace dsv4c::v4

#endif
