//===- KernelRunner.h - run one compiled tile kernel -----------*- C++ -*-===//
#ifndef DSV4C_TARGETS_KERNELRUNNER_H
#define DSV4C_TARGETS_KERNELRUNNER_H

#include <array>
#include <cstdint>
#include <string>

namespace dsv4c {

/// Extents of a launch grid; programs are numbered (0..x-1, 0..y-1, 0..z-1).
using Grid = std::array<int64_t, 3>;

/// One kernel made ready by a target. `launch` runs every program of the
/// grid over `args` (calling convention in docs/tile-dialect.md) and returns
/// once all are done.
class KernelRunner {
public:
  virtual ~KernelRunner() = default;
  /// Returns false and sets `error` if the launch could not run.
  virtual bool launch(void **args, Grid grid, std::string &error) = 0;
  /// How many of this kernel's programs the device runs at once (one wave),
  /// where the target knows; 0 otherwise.
  virtual int64_t residentPrograms() const { return 0; }
};

} // namespace dsv4c

#endif
