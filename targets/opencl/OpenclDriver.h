//===- OpenclDriver.h - OpenCL through dlopen of the ICD loader -*- C++ -*-===//
//
// The opencl target's runtime side, with no LLVM and no OpenCL headers: the
// ICD loader (libOpenCL.so.1) is loaded at run time. The first device of
// the first platform that has one, with fine-grained SVM buffers (kernels
// take pointers as 64-bit addresses: OpenclCompile.h), one in-order queue.
// Copies wait; launches do not (synchronize waits). Programs are OpenCL C
// from OpenclCompile, built by the runtime (the build log is part of the
// error when that fails).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_OPENCL_OPENCLDRIVER_H
#define DSV4C_TARGETS_OPENCL_OPENCLDRIVER_H

#include "runtime/Device.h"
#include "targets/gpu/ArenaRunner.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c::opencl {

class Icd;

class OpenclDevice : public Device {
public:
  /// Null with `error` set: "opencl: no device (no OpenCL ICD loader: ...)",
  /// "opencl: no device (clGetPlatformIDs: CL_PLATFORM_NOT_FOUND_KHR)", or
  /// "opencl: <device> lacks fine-grained SVM buffers", and the like.
  static std::unique_ptr<OpenclDevice> open(int ordinal, std::string &error);
  ~OpenclDevice() override;

  std::string name() const override { return "opencl"; }
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

  /// "<platform>: <device>".
  const std::string &description() const { return description_; }
  /// Builds an OpenCL C program (kept until the device closes).
  void *buildProgram(const std::string &source, std::string &error);
  void *createKernel(void *program, const std::string &name,
                     std::string &error);
  bool launch(void *kernel, const gpu::ArenaLaunch &call, std::string &error);

private:
  OpenclDevice() = default;
  std::shared_ptr<Icd> icd;
  std::string description_;
  void *device = nullptr, *context = nullptr, *queue = nullptr;
  std::vector<void *> programs, kernels;
};

/// The kernels of one OpenCL C program on `device`, with their tile heap.
std::unique_ptr<KernelLibrary>
createKernelLibrary(OpenclDevice &device, const std::string &source,
                    const std::vector<gpu::KernelArguments> &kernels,
                    std::string &error);

} // namespace dsv4c::opencl

#endif
