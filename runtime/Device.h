//===- Device.h - memory and kernels of one target's device ----*- C++ -*-===//
//
// What the graph runtime needs from a target: device memory (allocate,
// copy in, copy out, copy within, fill) and kernels by name. The CPU and
// reference targets use host memory (HostDevice); a GPU target implements
// the same interface over its driver, so the V4 executor runs unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_DEVICE_H
#define DSV4C_RUNTIME_DEVICE_H

#include "targets/KernelRunner.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c {

class Device;

/// One piece of device work kept for later (Device::makeGraph): a launch
/// (the runner, the grid and each argument's value in an 8-byte slot, as
/// KernelArgs lays them out), a copy within the device or a 32-bit fill.
struct RecordedWork {
  enum Kind { Launch, Copy, Fill } kind = Launch;
  KernelRunner *runner = nullptr;
  Grid grid{};
  std::vector<uint64_t> args;
  void *dst = nullptr;       // Copy, Fill
  const void *src = nullptr; // Copy
  size_t bytes = 0;          // Copy; Fill: 4 * words
  uint32_t pattern = 0;      // Fill

  bool operator==(const RecordedWork &o) const {
    return kind == o.kind && runner == o.runner && grid == o.grid &&
           args == o.args && dst == o.dst && src == o.src && bytes == o.bytes &&
           pattern == o.pattern;
  }
  /// Queues (or on a host device, does) it now on `device`.
  bool run(Device &device, std::string &error) const;
};

/// Work recorded once and queued again as one unit: the driver's graph on
/// GPU targets (CUDA graphs), so a decode step is one call for the host.
class DeviceGraph {
public:
  virtual ~DeviceGraph() = default;
  /// Queues all of the graph's work, in order.
  virtual bool launch(std::string &error) = 0;
};

class Device {
public:
  virtual ~Device() = default;
  /// "cpu", "reference", ...
  virtual std::string name() const = 0;
  /// True when device pointers are host pointers: the runtime then uses
  /// mapped checkpoint tensors in place instead of copying them.
  virtual bool isHostMemory() const = 0;

  /// Programs a launch needs to keep the device busy (a few per
  /// multiprocessor on a GPU); launches with fewer are split (split-k) by
  /// the executor. 0: never split (CPUs, where a program is a task).
  virtual int64_t programsToFill() const { return 0; }

  /// `bytes` of zeroed device memory, or null with `error` set.
  virtual void *allocate(size_t bytes, std::string &error) = 0;
  virtual void release(void *ptr) = 0;
  virtual bool upload(void *dst, const void *hostSrc, size_t bytes,
                      std::string &error) = 0;
  virtual bool download(void *hostDst, const void *src, size_t bytes,
                        std::string &error) = 0;
  virtual bool copy(void *dst, const void *src, size_t bytes,
                    std::string &error) = 0;
  /// `rows` rows of `rowBytes` bytes, from `src` every `srcPitch` bytes to
  /// `dst` every `dstPitch` bytes.
  virtual bool copy2D(void *dst, size_t dstPitch, const void *src,
                      size_t srcPitch, size_t rowBytes, size_t rows,
                      std::string &error) = 0;
  /// Every 4-byte word of [dst, dst + 4 * words) set to `pattern`.
  virtual bool fill32(void *dst, uint32_t pattern, size_t words,
                      std::string &error) = 0;
  /// Waits for every queued launch (GPU launches do not wait; host targets'
  /// do, so for them this does nothing). Reports a kernel that failed.
  virtual bool synchronize(std::string &error) {
    (void)error;
    return true;
  }
  /// A graph of `work` (in order; the arguments' values are fixed in it),
  /// or null: with `error` empty where the device makes none (the caller
  /// then runs the pieces one by one), else on failure.
  virtual std::unique_ptr<DeviceGraph>
  makeGraph(const std::vector<RecordedWork> &work, std::string &error) {
    (void)work;
    (void)error;
    return nullptr;
  }
};

/// Kernels by name, ready to launch on one device.
class KernelLibrary {
public:
  virtual ~KernelLibrary() = default;
  /// Null with `error` set when the library has no such kernel.
  virtual KernelRunner *find(const std::string &name, std::string &error) = 0;
};

/// Host memory (malloc'd, 64-byte aligned): the device of the cpu and
/// reference targets.
class HostDevice : public Device {
public:
  explicit HostDevice(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  bool isHostMemory() const override { return true; }
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

private:
  std::string name_;
};

} // namespace dsv4c

#endif
