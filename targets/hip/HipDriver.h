//===- HipDriver.h - the HIP runtime through dlopen ------------*- C++ -*-===//
//
// The HIP target's runtime side, with no LLVM and no HIP headers: the HIP
// runtime (Debian's libamdhip64.so.5, or ROCm's libamdhip64.so) is loaded at
// run time, so one binary runs on machines with and without an AMD GPU and
// says which. Errors carry the HIP error name (hipMalloc: hipErrorOutOfMemory).
// Code objects from HipCompile; kernels take the arena arguments of
// targets/gpu/GpuAbi.h, from one tile heap per kernel library.
//
// Not yet run on an AMD GPU (none here): see docs/status.md.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_HIP_HIPDRIVER_H
#define DSV4C_TARGETS_HIP_HIPDRIVER_H

#include "runtime/Device.h"
#include "targets/gpu/ArenaRunner.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c::hip {

class Runtime;

/// Device memory of one AMD GPU; copies are synchronous, launches are not.
class HipDevice : public Device {
public:
  /// Null with `error` set: "hip: no HIP runtime (<dlerror>)" or "hip: no
  /// device (hipGetDeviceCount: hipErrorNoDevice)" and the like.
  static std::unique_ptr<HipDevice> open(int ordinal, std::string &error);
  ~HipDevice() override;

  std::string name() const override { return "hip"; }
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

  const std::string &deviceName() const { return deviceName_; }
  size_t totalMemory() const { return totalMemory_; }
  /// Loads a code object (kept until the device closes).
  void *loadModule(const std::string &image, std::string &error);
  void *getFunction(void *module, const std::string &name, std::string &error);
  /// Queues a launch with hipModuleLaunchKernel's parameter array.
  bool launchAsync(void *function, unsigned groups, unsigned threads,
                   void **params, std::string &error);

private:
  HipDevice() = default;
  std::shared_ptr<Runtime> runtime;
  std::string deviceName_;
  size_t totalMemory_ = 0;
  std::vector<void *> modules;
};

/// The kernels of one code object on `device`, with their tile heap.
std::unique_ptr<KernelLibrary>
createKernelLibrary(HipDevice &device, const std::string &image,
                    const std::vector<gpu::KernelArguments> &kernels,
                    std::string &error);

} // namespace dsv4c::hip

#endif
