//===- CEmitter.h - optimized LLVM IR as OpenCL C ---------------*- C++ -*-===//
//
// The opencl target's last step: the finished, optimized module of the
// shared GPU lowering (scalar code, no vectors or aggregates) written as
// OpenCL C 1.2 that any OpenCL runtime builds. Pointers are 64-bit integers
// (ulong) and every access casts to the address space of the pointer's LLVM
// address space (generic pointers to __global): this needs one flat memory,
// as CPU devices such as PoCL have, and SVM buffers for the arguments
// (OpenclDriver). Control flow is gotos between the IR's blocks; phis are
// variables assigned on each edge.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_OPENCL_CEMITTER_H
#define DSV4C_TARGETS_OPENCL_CEMITTER_H

#include "llvm/IR/Module.h"

#include <string>

namespace dsv4c::opencl {

/// OpenCL C for every function of `m` (an entry K with the SPIR_KERNEL
/// calling convention becomes __kernel dsv4c_K: tile kernels may be named
/// like OpenCL C built-ins). False with `error` naming the
/// instruction when `m` holds something the emitter does not write.
bool emitOpenclC(llvm::Module &m, std::string &source, std::string &error);

} // namespace dsv4c::opencl

#endif
