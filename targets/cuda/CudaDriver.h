//===- CudaDriver.h - the CUDA driver API through dlopen -------*- C++ -*-===//
//
// The CUDA target's runtime side, with no LLVM and no CUDA headers: the
// driver (libcuda.so.1) is loaded at run time, so the same binary runs on
// machines with and without a GPU and says which it is. Errors carry the
// CUDA error name (cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY).
//
// Devices, a Device over device memory (the runtime's interface), PTX/cubin
// modules, launches and graphs. Launches go to the device's stream and do
// not wait; copies (on the default stream) wait for the work before them.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CUDA_CUDADRIVER_H
#define DSV4C_TARGETS_CUDA_CUDADRIVER_H

#include "runtime/Device.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c::cuda {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int computeMajor = 0, computeMinor = 0;
  int multiprocessors = 0;
  uint64_t totalMemory = 0;
};

class Driver;

/// The loaded driver; null with `error` set ("no CUDA driver
/// (libcuda.so.1: <dlerror>)", or the cuInit error) when there is none.
std::shared_ptr<Driver> loadDriver(std::string &error);

/// The devices the driver sees (empty: "no CUDA device").
bool listDevices(Driver &driver, std::vector<DeviceInfo> &devices,
                 std::string &error);

/// Device memory of one GPU (its primary context): copies to and from the
/// host are synchronous; copies within the device and fills are queued on
/// the launches' stream.
class CudaDevice : public Device {
public:
  /// Null with `error` set when there is no driver or no such device.
  static std::unique_ptr<CudaDevice> open(int ordinal, std::string &error);
  ~CudaDevice() override;

  std::string name() const override { return "cuda"; }
  bool isHostMemory() const override { return false; }
  /// 8 blocks per multiprocessor: the lowering's programs wait on barriers
  /// and shared memory, so an SM needs several to hide the latency (the
  /// linears' 64-80 registers and 20 KiB of shared memory allow 6 at once).
  int64_t programsToFill() const override {
    return 8 * int64_t(info_.multiprocessors);
  }
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

  const DeviceInfo &info() const { return info_; }
  /// Loads a PTX or cubin image (kept until the device closes); the
  /// driver's JIT log is part of `error` when PTX does not compile.
  void *loadModule(const std::string &image, std::string &error);
  /// The kernel `name` of a loaded module.
  void *getFunction(void *module, const std::string &name, std::string &error);
  /// Queues a launch with cuLaunchKernel's parameter array and
  /// `dynamicShared` bytes of dynamic shared memory; does not wait.
  bool launchAsync(void *function, std::array<unsigned, 3> grid,
                   std::array<unsigned, 3> block, void **params,
                   std::string &error, unsigned dynamicShared = 0);
  /// Lets launches of `function` ask for `bytes` of dynamic shared memory
  /// (past the default 48 KiB: cuFuncSetAttribute).
  bool allowDynamicShared(void *function, unsigned bytes, std::string &error);
  /// How many programs of `function` (blocks of `threads` with
  /// `dynamicShared` bytes) the device runs at once, its registers and
  /// shared memory permitting (cuOccupancyMaxActiveBlocksPerMultiprocessor
  /// times the multiprocessors); 0 if the driver cannot say.
  int64_t residentPrograms(void *function, unsigned threads,
                           unsigned dynamicShared) const;
  /// Waits for all queued work; reports a failed kernel.
  bool synchronize(std::string &error) override;
  /// A CUDA graph of the launches, captured from the device's stream and
  /// instantiated (null, `error` empty, where the driver has no graphs).
  std::unique_ptr<DeviceGraph> makeGraph(const std::vector<RecordedWork> &work,
                                         std::string &error) override;
  /// The device heap kernels `malloc` from (cuCtxSetLimit); the first call
  /// sets it (before any launch), later ones keep that size.
  bool setMallocHeapSize(size_t bytes, std::string &error);

  /// Loads a PTX or cubin image and makes `kernel` the one `launch` runs.
  bool loadKernel(const std::string &image, const std::string &kernel,
                  std::string &error);
  /// Launches the kernel of loadKernel and waits for it.
  bool launch(std::array<unsigned, 3> grid, std::array<unsigned, 3> block,
              void **params, std::string &error);

private:
  CudaDevice() = default;
  std::shared_ptr<Driver> driver;
  DeviceInfo info_;
  int device = 0;
  void *context = nullptr;
  void *stream = nullptr; // every launch's
  std::vector<void *> modules;
  void *function = nullptr;
  bool heapSizeSet = false;
};

} // namespace dsv4c::cuda

#endif
