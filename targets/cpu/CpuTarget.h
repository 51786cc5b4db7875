//===- CpuTarget.h - the host CPU target ------------------------*- C++ -*-===//
//
// Compiles tile kernels through the CPU pipeline (lowering/CpuPipeline.cpp)
// to native code with LLVM's ORC JIT, and runs a grid's programs on a pool
// of threads.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CPU_CPUTARGET_H
#define DSV4C_TARGETS_CPU_CPUTARGET_H

#include "runtime/Device.h"
#include "targets/KernelRunner.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c::cpu {

struct CpuOptions {
  /// Threads that run programs; 0 means one per hardware thread.
  unsigned numThreads = 0;
  /// Lower tile.topk as GPU targets do (TileLoweringOptions::parallelTopK),
  /// to test that lowering against the reference on the host.
  bool parallelTopK = false;
};

/// Compiles kernel `kernelName` of `module` (left unchanged) for this host.
/// Returns null and sets `error` (with the compiler's diagnostics) on failure.
std::unique_ptr<KernelRunner> createRunner(mlir::ModuleOp module,
                                           llvm::StringRef kernelName,
                                           std::string &error,
                                           CpuOptions options = {});

/// Compiles every kernel of `module` once (one JIT); the library's runners
/// share the code and one pool of worker threads. `module` may be destroyed
/// afterwards. Returns null and sets `error` on failure.
std::unique_ptr<KernelLibrary> createLibrary(mlir::ModuleOp module,
                                             std::string &error,
                                             CpuOptions options = {});

/// The names of the kernels (symbols) of `module`, in order.
std::vector<std::string> kernelNames(mlir::ModuleOp module);

struct CpuAotOptions {
  /// An LLVM CPU name for this host's architecture ("x86-64-v3", "znver4",
  /// ...) or "host" (this machine's CPU and features).
  std::string cpu = "host";
};

/// A cpu kernel library compiled ahead of time.
struct CpuAotResult {
  /// An ELF shared object exporting each kernel under its name (the calling
  /// convention of docs/tile-dialect.md), linked with ld.lld.
  std::string sharedObject;
  std::string triple, cpu;
  /// The CPU features the code may use (LLVM names: "avx2", "fma", ...).
  std::vector<std::string> features;
  std::vector<std::string> kernels;
};

/// Compiles every kernel of `module` to one shared object for
/// `options.cpu`. False with `error` set on failure.
bool compileSharedObject(mlir::ModuleOp module, const CpuAotOptions &options,
                         CpuAotResult &result, std::string &error);

/// The optimised LLVM IR the CPU target makes of `module`, for inspection.
bool emitLLVMIR(mlir::ModuleOp module, std::string &ir, std::string &error);

} // namespace dsv4c::cpu

#endif
