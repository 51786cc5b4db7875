//===- LevelZeroDriver.h - Level Zero through dlopen -----------*- C++ -*-===//
//
// The level_zero target's runtime side, with no LLVM and no Level Zero
// headers: the loader (libze_loader.so.1, Debian's libze1) is loaded at run
// time, so one binary runs on machines with and without a Level Zero GPU
// and says which. Errors carry the ze_result_t name. One context and one
// synchronous immediate command list per device: copies and launches are
// done when the call returns. SPIR-V modules from SpirvCompile; kernels
// take the arena arguments of targets/gpu/GpuAbi.h.
//
// Not yet run on a Level Zero GPU (none here): see docs/status.md.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_LEVEL_ZERO_LEVELZERODRIVER_H
#define DSV4C_TARGETS_LEVEL_ZERO_LEVELZERODRIVER_H

#include "runtime/Device.h"
#include "targets/gpu/ArenaRunner.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c::level_zero {

class Loader;

class LevelZeroDevice : public Device {
public:
  /// Null with `error` set: "level_zero: no device (no Level Zero loader:
  /// ...)", "level_zero: no device (zeInit: ZE_RESULT_ERROR_UNINITIALIZED)"
  /// when no driver is installed, and the like.
  static std::unique_ptr<LevelZeroDevice> open(int ordinal, std::string &error);
  ~LevelZeroDevice() override;

  std::string name() const override { return "level_zero"; }
  bool isHostMemory() const override { return false; }
  void *allocate(size_t bytes, std::string &error) override;
  void release(void *ptr) override;
  bool upload(void *dst, const void *hostSrc, size_t bytes,
              std::string &error) override;
  bool download(void *hostDst, const void *src, size_t bytes,
                std::string &error) override;
  bool copy(void *dst, const void *src, size_t bytes,
            std::string &error) override;
  bool copy2D(void *dst, size_t dstPitch, const void *src, size_t srcPitch,
              size_t rowBytes, size_t rows, std::string &error) override;
  bool fill32(void *dst, uint32_t pattern, size_t words,
              std::string &error) override;
  bool synchronize(std::string &error) override;

  /// Builds a SPIR-V module (kept until the device closes); the build log
  /// is part of `error` when the driver rejects it.
  void *loadModule(const std::string &spirv, std::string &error);
  /// A kernel of a loaded module, its group size set to kThreadsPerGroup.
  void *createKernel(void *module, const std::string &name,
                     std::string &error);
  bool launch(void *kernel, const gpu::ArenaLaunch &call, std::string &error);

private:
  LevelZeroDevice() = default;
  std::shared_ptr<Loader> loader;
  void *device = nullptr, *context = nullptr, *list = nullptr;
  std::vector<void *> modules, kernels;
};

/// The kernels of one SPIR-V module on `device`, with their tile heap.
std::unique_ptr<KernelLibrary>
createKernelLibrary(LevelZeroDevice &device, const std::string &spirv,
                    const std::vector<gpu::KernelArguments> &kernels,
                    std::string &error);

} // namespace dsv4c::level_zero

#endif
