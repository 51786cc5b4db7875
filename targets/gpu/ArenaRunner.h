//===- ArenaRunner.h - launching arena kernels (runtime side) --*- C++ -*-===//
//
// The part of a kernel launch that every arena target (GpuAbi.h) shares:
// the tile heap, the number of groups, and the argument list with the
// grid and arena arguments after the kernel's own. Links no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_GPU_ARENARUNNER_H
#define DSV4C_TARGETS_GPU_ARENARUNNER_H

#include "runtime/Device.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c::gpu {

/// A kernel of a compiled image: its name and the byte size of each of its
/// own arguments (8 for pointers and indices, 4 for i32/f32, ...).
struct KernelArguments {
  std::string name;
  std::vector<uint32_t> bytes;
};

/// One launch as the target's API takes it: `groups` groups of
/// kThreadsPerGroup threads, and for every entry argument a pointer to its
/// value and its size.
struct ArenaLaunch {
  uint64_t groups = 0;
  std::vector<void *> values;
  std::vector<uint32_t> bytes;
};

class ArenaKernelRunner : public KernelRunner {
public:
  using Launch = std::function<bool(const ArenaLaunch &, std::string &)>;

  /// `heap` is the device address (on `device`) of a zeroed tile heap of
  /// `heapBytes` (at least kArenaStatusBytes + kArenaBytesPerGroup), which
  /// launches share (they run in order). After each launch the runner
  /// waits and reads the heap's status flag: a program whose tile buffers
  /// outgrew its slice makes the launch fail.
  ArenaKernelRunner(std::string target, KernelArguments kernel, Device &device,
                    void *heap, uint64_t heapBytes, Launch launch);

  bool launch(void **args, Grid grid, std::string &error) override;

private:
  std::string target;
  KernelArguments kernel;
  Device &device;
  void *heap;
  uint64_t heapBytes;
  Launch launch_;
  ArenaLaunch call;
  uint64_t bytesPerGroup = 0, groups = 0; // the values launches point to
};

/// The kernels of one image of an arena target and their tile heap, which
/// the library allocates on `device` and releases when it goes.
class ArenaKernelLibrary : public KernelLibrary {
public:
  ArenaKernelLibrary(std::string target, Device &device)
      : target(std::move(target)), device(device) {}
  ~ArenaKernelLibrary() override { device.release(heap); }

  /// A heap with room for `slices` groups at once (at least one).
  bool allocateHeap(uint64_t slices, std::string &error);
  /// Adds kernel `kernel`, which `launch` runs.
  void add(const KernelArguments &kernel, ArenaKernelRunner::Launch launch);
  KernelRunner *find(const std::string &name, std::string &error) override;

private:
  std::string target;
  Device &device;
  void *heap = nullptr;
  uint64_t heapBytes = 0;
  std::map<std::string, std::unique_ptr<ArenaKernelRunner>> runners;
};

} // namespace dsv4c::gpu

#endif
