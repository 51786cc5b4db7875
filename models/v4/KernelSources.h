//===- KernelSources.h - the V4 kernels' tile-dialect text -----*- C++ -*-===//
//
// models/v4/kernels/*.mlir, embedded at build time so that dsv4c compiles
// V4 from anywhere. The files are the one source of every target's code.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_KERNELSOURCES_H
#define DSV4C_MODELS_V4_KERNELSOURCES_H

#include <vector>

namespace dsv4c::v4 {

struct KernelSourceFile {
  const char *name; // "rmsnorm.mlir"
  const char *text;
};

/// Every file of models/v4/kernels, sorted by name.
const std::vector<KernelSourceFile> &kernelSources();

} // namespace dsv4c::v4

#endif
