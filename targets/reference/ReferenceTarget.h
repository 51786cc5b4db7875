//===- ReferenceTarget.h - the reference interpreter -----------*- C++ -*-===//
//
// The `reference` target: a plain C++ interpreter of tile kernels, written
// for clarity rather than speed. It is the executable form of
// docs/tile-dialect.md and the oracle every other target is checked against.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_REFERENCE_REFERENCETARGET_H
#define DSV4C_TARGETS_REFERENCE_REFERENCETARGET_H

#include "targets/KernelRunner.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>

namespace dsv4c::reference {

/// A runner that interprets kernel `kernelName` of `module` (which must
/// outlive it). Programs of a launch run one after another. Returns null and
/// sets `error` if there is no such kernel or it uses an op the interpreter
/// does not know ("reference: unsupported op 'x.y' at file:line:col").
std::unique_ptr<KernelRunner> createRunner(mlir::ModuleOp module,
                                           llvm::StringRef kernelName,
                                           std::string &error);

} // namespace dsv4c::reference

#endif
