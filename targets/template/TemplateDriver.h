//===- TemplateDriver.h - a new target's runtime side (skeleton) -*- C++
//-*-===//
//
// What the graph runtime needs from a target (runtime/Device.h): device
// memory and kernels by name. Links no LLVM: it is part of the runtime-only
// build. Load the vendor runtime with dlopen (CudaDriver.cpp), so that one
// binary runs on machines with and without the device and says which.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_TEMPLATE_TEMPLATEDRIVER_H
#define DSV4C_TARGETS_TEMPLATE_TEMPLATEDRIVER_H

#include "runtime/Device.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c::templ {

/// One device of the target. PORT: implement each method over the vendor
/// runtime; allocations come zeroed, copies to and from the host wait for
/// the work queued before them, `synchronize` waits for all launches.
class TemplateDevice : public Device {
public:
  /// Null with `error` set: "template: no device (...)" when the vendor
  /// runtime or a device is missing.
  static std::unique_ptr<TemplateDevice> open(int ordinal, std::string &error);

  std::string name() const override { return "template"; }
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
};

/// The kernels of one compiled image on `device`. PORT: load the image,
/// find each kernel, and make KernelRunner::launch pass the calling
/// convention's arguments and the grid (CudaKernels.cpp).
std::unique_ptr<KernelLibrary>
createKernelLibrary(TemplateDevice &device, const std::string &image,
                    const std::vector<std::string> &kernels,
                    std::string &error);

} // namespace dsv4c::templ

#endif
