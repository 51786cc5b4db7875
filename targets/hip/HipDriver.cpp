//===- HipDriver.cpp - the HIP runtime through dlopen ---------------------===//
#include "targets/hip/HipDriver.h"

#include "targets/gpu/GpuAbi.h"

#include <dlfcn.h>

#include <algorithm>

using namespace dsv4c;
using namespace dsv4c::hip;

namespace {
// The HIP runtime's types and constants, as hip_runtime_api.h declares them.
using hipError_t = int;
constexpr hipError_t kNoDevice = 100;
constexpr int kHostToDevice = 1, kDeviceToHost = 2, kDeviceToDevice = 3;
} // namespace

namespace dsv4c::hip {

/// The entry points, resolved once.
class Runtime {
public:
  void *lib = nullptr;
#define DSV4C_HIP(name, ...) hipError_t (*name)(__VA_ARGS__) = nullptr;
  DSV4C_HIP(hipInit, unsigned)
  DSV4C_HIP(hipGetDeviceCount, int *)
  DSV4C_HIP(hipSetDevice, int)
  DSV4C_HIP(hipDeviceGetName, char *, int, int)
  DSV4C_HIP(hipDeviceTotalMem, size_t *, int)
  DSV4C_HIP(hipDeviceSynchronize)
  DSV4C_HIP(hipMalloc, void **, size_t)
  DSV4C_HIP(hipFree, void *)
  DSV4C_HIP(hipMemcpy, void *, const void *, size_t, int)
  DSV4C_HIP(hipMemcpy2D, void *, size_t, const void *, size_t, size_t, size_t,
            int)
  DSV4C_HIP(hipMemsetD32, void *, int, size_t)
  DSV4C_HIP(hipModuleLoadData, void **, const void *)
  DSV4C_HIP(hipModuleUnload, void *)
  DSV4C_HIP(hipModuleGetFunction, void **, void *, const char *)
  DSV4C_HIP(hipModuleLaunchKernel, void *, unsigned, unsigned, unsigned,
            unsigned, unsigned, unsigned, unsigned, void *, void **, void **)
#undef DSV4C_HIP
  const char *(*hipGetErrorName)(hipError_t) = nullptr;

  ~Runtime() {
    if (lib)
      ::dlclose(lib);
  }
  /// "hip: hipMalloc: hipErrorOutOfMemory (2)"; false when `r` is an error.
  bool check(hipError_t r, const char *call, std::string &error) const {
    if (r == 0)
      return true;
    const char *name = hipGetErrorName ? hipGetErrorName(r) : nullptr;
    error = std::string("hip: ") + call + ": " +
            (name ? name : "an unknown HIP error") + " (" + std::to_string(r) +
            ")";
    return false;
  }
};

namespace {
std::shared_ptr<Runtime> loadRuntime(std::string &error) {
  auto rt = std::make_shared<Runtime>();
  std::string tried;
  for (const char *name : {"libamdhip64.so", "libamdhip64.so.6",
                           "libamdhip64.so.5"}) {
    if ((rt->lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)))
      break;
    const char *why = ::dlerror();
    tried = why ? why : name;
  }
  if (!rt->lib) {
    error = "hip: no device (no HIP runtime: " + tried + ")";
    return nullptr;
  }
  bool ok = true;
  auto resolve = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        ::dlsym(rt->lib, name));
    if (!fn && ok) {
      ok = false;
      error = std::string("hip: the HIP runtime lacks ") + name;
    }
  };
#define DSV4C_RESOLVE(name) resolve(rt->name, #name);
  DSV4C_RESOLVE(hipGetErrorName)
  DSV4C_RESOLVE(hipInit)
  DSV4C_RESOLVE(hipGetDeviceCount)
  DSV4C_RESOLVE(hipSetDevice)
  DSV4C_RESOLVE(hipDeviceGetName)
  DSV4C_RESOLVE(hipDeviceTotalMem)
  DSV4C_RESOLVE(hipDeviceSynchronize)
  DSV4C_RESOLVE(hipMalloc)
  DSV4C_RESOLVE(hipFree)
  DSV4C_RESOLVE(hipMemcpy)
  DSV4C_RESOLVE(hipMemcpy2D)
  DSV4C_RESOLVE(hipMemsetD32)
  DSV4C_RESOLVE(hipModuleLoadData)
  DSV4C_RESOLVE(hipModuleUnload)
  DSV4C_RESOLVE(hipModuleGetFunction)
  DSV4C_RESOLVE(hipModuleLaunchKernel)
#undef DSV4C_RESOLVE
  if (!ok)
    return nullptr;
  return rt;
}
} // namespace

std::unique_ptr<HipDevice> HipDevice::open(int ordinal, std::string &error) {
  std::shared_ptr<Runtime> rt = loadRuntime(error);
  if (!rt)
    return nullptr;
  int count = 0;
  const char *call = "hipInit";
  hipError_t r = rt->hipInit(0);
  if (r == 0) {
    call = "hipGetDeviceCount";
    r = rt->hipGetDeviceCount(&count);
  }
  if (r != 0 || count == 0) {
    std::string why;
    rt->check(r ? r : kNoDevice, call, why);
    error = "hip: no device (" + why.substr(5) + ")";
    return nullptr;
  }
  if (ordinal < 0 || ordinal >= count) {
    error = "hip: no device " + std::to_string(ordinal) + " (the runtime sees " +
            std::to_string(count) + ")";
    return nullptr;
  }
  std::unique_ptr<HipDevice> d(new HipDevice());
  d->runtime = rt;
  char name[256] = {};
  if (!rt->check(rt->hipSetDevice(ordinal), "hipSetDevice", error) ||
      !rt->check(rt->hipDeviceGetName(name, sizeof name - 1, ordinal),
                 "hipDeviceGetName", error) ||
      !rt->check(rt->hipDeviceTotalMem(&d->totalMemory_, ordinal),
                 "hipDeviceTotalMem", error))
    return nullptr;
  d->deviceName_ = name;
  return d;
}

HipDevice::~HipDevice() {
  if (runtime)
    for (void *m : modules)
      runtime->hipModuleUnload(m);
}

void *HipDevice::allocate(size_t bytes, std::string &error) {
  void *p = nullptr;
  size_t rounded = bytes ? (bytes + 15) / 16 * 16 : 16;
  if (!runtime->check(runtime->hipMalloc(&p, rounded), "hipMalloc", error))
    return nullptr;
  if (!runtime->check(runtime->hipMemsetD32(p, 0, rounded / 4), "hipMemsetD32",
                      error)) {
    runtime->hipFree(p);
    return nullptr;
  }
  return p;
}

void HipDevice::release(void *ptr) {
  if (ptr)
    runtime->hipFree(ptr);
}

bool HipDevice::upload(void *dst, const void *src, size_t bytes,
                       std::string &error) {
  return !bytes ||
         runtime->check(runtime->hipMemcpy(dst, src, bytes, kHostToDevice),
                        "hipMemcpy(host to device)", error);
}

bool HipDevice::download(void *dst, const void *src, size_t bytes,
                         std::string &error) {
  return !bytes ||
         runtime->check(runtime->hipMemcpy(dst, src, bytes, kDeviceToHost),
                        "hipMemcpy(device to host)", error);
}

bool HipDevice::copy(void *dst, const void *src, size_t bytes,
                     std::string &error) {
  return !bytes ||
         runtime->check(runtime->hipMemcpy(dst, src, bytes, kDeviceToDevice),
                        "hipMemcpy(device to device)", error);
}

bool HipDevice::copy2D(void *dst, size_t dstPitch, const void *src,
                       size_t srcPitch, size_t rowBytes, size_t rows,
                       std::string &error) {
  return !rowBytes || !rows ||
         runtime->check(runtime->hipMemcpy2D(dst, dstPitch, src, srcPitch,
                                             rowBytes, rows, kDeviceToDevice),
                        "hipMemcpy2D", error);
}

bool HipDevice::fill32(void *dst, uint32_t pattern, size_t words,
                       std::string &error) {
  return !words ||
         runtime->check(runtime->hipMemsetD32(dst, int(pattern), words),
                        "hipMemsetD32", error);
}

bool HipDevice::synchronize(std::string &error) {
  return runtime->check(runtime->hipDeviceSynchronize(),
                        "hipDeviceSynchronize", error);
}

void *HipDevice::loadModule(const std::string &image, std::string &error) {
  void *module = nullptr;
  if (!runtime->check(runtime->hipModuleLoadData(&module, image.data()),
                      "hipModuleLoadData", error))
    return nullptr;
  modules.push_back(module);
  return module;
}

void *HipDevice::getFunction(void *module, const std::string &name,
                             std::string &error) {
  void *f = nullptr;
  if (!runtime->check(runtime->hipModuleGetFunction(&f, module, name.c_str()),
                      ("hipModuleGetFunction(" + name + ")").c_str(), error))
    return nullptr;
  return f;
}

bool HipDevice::launchAsync(void *function, unsigned groups, unsigned threads,
                            void **params, std::string &error) {
  return runtime->check(runtime->hipModuleLaunchKernel(function, groups, 1, 1,
                                                       threads, 1, 1, 0,
                                                       nullptr, params, nullptr),
                        "hipModuleLaunchKernel", error);
}


std::unique_ptr<KernelLibrary>
createKernelLibrary(HipDevice &device, const std::string &image,
                    const std::vector<gpu::KernelArguments> &kernels,
                    std::string &error) {
  auto library = std::make_unique<gpu::ArenaKernelLibrary>("hip", device);
  // The tile heap: an eighth of the device memory, at most 4 GiB.
  uint64_t heapBytes =
      std::min<uint64_t>(device.totalMemory() / 8, uint64_t(4) << 30);
  if (!library->allocateHeap(heapBytes / gpu::kArenaBytesPerGroup, error))
    return nullptr;
  void *module = device.loadModule(image, error);
  if (!module)
    return nullptr;
  for (const gpu::KernelArguments &k : kernels) {
    void *f = device.getFunction(module, k.name, error);
    if (!f)
      return nullptr;
    library->add(k, [&device, f](const gpu::ArenaLaunch &call,
                                 std::string &error) {
      return device.launchAsync(f, unsigned(call.groups),
                                gpu::kThreadsPerGroup,
                                const_cast<void **>(call.values.data()), error);
    });
  }
  return library;
}

} // namespace dsv4c::hip
