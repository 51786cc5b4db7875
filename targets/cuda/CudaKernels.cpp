//===- CudaKernels.cpp - tile kernels as CUDA launches --------------------===//
#include "targets/cuda/CudaKernels.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

using namespace dsv4c;
using namespace dsv4c::cuda;

namespace {

class CudaKernelRunner : public KernelRunner {
public:
  CudaKernelRunner(CudaDevice &device, std::string name, void *function,
                   size_t numArgs, unsigned dynamicShared)
      : device(device), name(std::move(name)), function(function),
        numArgs(numArgs), dynamicShared(dynamicShared), params(numArgs + 3),
        resident(device.residentPrograms(function, kThreadsPerProgram,
                                         dynamicShared)) {}

  int64_t residentPrograms() const override { return resident; }

  bool launch(void **args, Grid grid, std::string &error) override {
    int64_t programs = grid[0] * grid[1] * grid[2];
    if (programs <= 0)
      return true;
    int64_t blocks = programs;
    if (blocks > int64_t(0x7fffffff)) {
      error = "cuda: " + name + ": grid of " + std::to_string(programs) +
              " programs is too large";
      return false;
    }
    std::copy(args, args + numArgs, params.begin());
    // cuLaunchKernel copies the values before it returns.
    params[numArgs] = &grid[0];
    params[numArgs + 1] = &grid[1];
    params[numArgs + 2] = &grid[2];
    if (!device.launchAsync(function, {unsigned(blocks), 1, 1},
                            {kThreadsPerProgram, 1, 1}, params.data(), error,
                            dynamicShared)) {
      error += " (kernel " + name + ")";
      return false;
    }
    return true;
  }

private:
  CudaDevice &device;
  std::string name;
  void *function;
  size_t numArgs;
  unsigned dynamicShared; // bytes: the program's planned tile buffers
  std::vector<void *> params;
  int64_t resident; // programs at once, 0 if unknown
};

class CudaKernelLibrary : public KernelLibrary {
public:
  KernelRunner *find(const std::string &name, std::string &error) override {
    auto it = runners.find(name);
    if (it == runners.end()) {
      error = "cuda: no kernel '" + name + "' in the library";
      return nullptr;
    }
    return it->second.get();
  }
  std::map<std::string, std::unique_ptr<CudaKernelRunner>> runners;
};

/// The number of parameters of `.entry name(...)` in PTX text, or -1.
long entryParamCount(const std::string &ptx, const std::string &name) {
  std::string head = ".entry " + name + "(";
  size_t at = ptx.find(head);
  if (at == std::string::npos)
    return -1;
  size_t end = ptx.find(')', at);
  if (end == std::string::npos)
    return -1;
  long count = 0;
  for (size_t p = ptx.find(".param", at); p < end;
       p = ptx.find(".param", p + 1))
    ++count;
  return count;
}

/// The dynamic shared bytes kernel `name`'s launches need: the value of
/// `dsv4c_dynamic_smem_<name>` in PTX text (plan-tile-buffers), 0 if none,
/// -1 if it is there but not a number.
long dynamicSharedBytes(const std::string &ptx, const std::string &name) {
  std::string head = " dsv4c_dynamic_smem_" + name + " = ";
  size_t at = ptx.find(head);
  if (at == std::string::npos)
    return 0;
  const char *text = ptx.c_str() + at + head.size();
  char *end = nullptr;
  long bytes = std::strtol(text, &end, 10);
  return end == text || bytes < 0 ? -1 : bytes;
}

} // namespace

bool cuda::callsDeviceMalloc(const std::string &ptx) {
  // The declaration, `.extern .func (.param .b64 func_retval0) malloc`, is
  // one line whatever the printer does with the calls.
  for (size_t at = ptx.find(".extern .func"); at != std::string::npos;
       at = ptx.find(".extern .func", at + 1)) {
    size_t end = ptx.find('\n', at);
    std::string line =
        ptx.substr(at, end == std::string::npos ? end : end - at);
    if (line.size() >= 7 && line.compare(line.size() - 7, 7, " malloc") == 0)
      return true;
  }
  return false;
}

bool cuda::mallocHeapBytes(size_t totalMemory, const char *envValue,
                           size_t &bytes, std::string &error) {
  if (!envValue) {
    bytes = std::min<size_t>(totalMemory / 8, size_t(8) << 30);
    return true;
  }
  char *end = nullptr;
  errno = 0;
  unsigned long long mib = std::strtoull(envValue, &end, 10);
  if (!*envValue || *end || errno || mib < 1 || mib > (1ull << 20) ||
      envValue[0] == '-') {
    error = std::string(kHeapMibVariable) + "='" + envValue +
            "': the device malloc heap in MiB, a whole number from 1 to "
            "1048576 (unset: min(1/8 of device memory, 8192))";
    return false;
  }
  bytes = size_t(mib) << 20;
  return true;
}

std::unique_ptr<KernelLibrary>
cuda::createKernelLibrary(CudaDevice &device, const std::string &image,
                          const std::vector<std::string> &kernels,
                          std::string &error) {
  // Tile buffers that do not fit in shared memory are malloc'd per program
  // (every program of a large launch may hold them at once); an image whose
  // kernels all fit reserves no heap, and the memory stays for weights and
  // caches.
  if (callsDeviceMalloc(image)) {
    size_t heap = 0;
    if (!mallocHeapBytes(device.info().totalMemory,
                         std::getenv(kHeapMibVariable), heap, error) ||
        !device.setMallocHeapSize(heap, error))
      return nullptr;
  }
  void *module = device.loadModule(image, error);
  if (!module)
    return nullptr;
  auto library = std::make_unique<CudaKernelLibrary>();
  for (const std::string &name : kernels) {
    void *f = device.getFunction(module, name, error);
    if (!f)
      return nullptr;
    long params = entryParamCount(image, name);
    if (params < 3) {
      error = "cuda: kernel '" + name +
              "': the image has no PTX entry taking its arguments and the "
              "grid (was it made by dsv4c?)";
      return nullptr;
    }
    long shared = dynamicSharedBytes(image, name);
    if (shared < 0) {
      error = "cuda: kernel '" + name + "': dsv4c_dynamic_smem_" + name +
              " in the image is not a number";
      return nullptr;
    }
    if (shared > 0 && !device.allowDynamicShared(f, unsigned(shared), error)) {
      error += " (kernel " + name + ", " + std::to_string(shared) +
               " bytes of planned tile buffers)";
      return nullptr;
    }
    library->runners[name] = std::make_unique<CudaKernelRunner>(
        device, name, f, size_t(params - 3), unsigned(shared));
  }
  return library;
}
