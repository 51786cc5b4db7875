//===- CudaDriver.cpp - the CUDA driver API through dlopen ----------------===//
#include "targets/cuda/CudaDriver.h"

#include <dlfcn.h>

using namespace dsv4c;
using namespace dsv4c::cuda;

namespace {
// The driver API's types, as cuda.h (CUDA 12/13) declares them.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
struct CUDA_MEMCPY2D {
  size_t srcXInBytes, srcY;
  int srcMemoryType;
  const void *srcHost;
  CUdeviceptr srcDevice;
  void *srcArray;
  size_t srcPitch;
  size_t dstXInBytes, dstY;
  int dstMemoryType;
  void *dstHost;
  CUdeviceptr dstDevice;
  void *dstArray;
  size_t dstPitch;
  size_t WidthInBytes, Height;
};
constexpr int kMemoryTypeDevice = 2;
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76,
              kAttrMultiprocessors = 16;
constexpr int kJitErrorLogBuffer = 5, kJitErrorLogBufferSize = 6;
constexpr CUresult kNoDevice = 100;

CUdeviceptr dptr(const void *p) { return CUdeviceptr(uintptr_t(p)); }
} // namespace

namespace dsv4c::cuda {

/// The entry points, resolved once.
class Driver {
public:
  void *lib = nullptr;
#define DSV4C_CU(name, ...) CUresult (*name)(__VA_ARGS__) = nullptr;
  DSV4C_CU(cuInit, unsigned)
  DSV4C_CU(cuGetErrorName, CUresult, const char **)
  DSV4C_CU(cuDeviceGetCount, int *)
  DSV4C_CU(cuDeviceGet, CUdevice *, int)
  DSV4C_CU(cuDeviceGetName, char *, int, CUdevice)
  DSV4C_CU(cuDeviceGetAttribute, int *, int, CUdevice)
  DSV4C_CU(cuDeviceTotalMem_v2, size_t *, CUdevice)
  DSV4C_CU(cuDevicePrimaryCtxRetain, void **, CUdevice)
  DSV4C_CU(cuDevicePrimaryCtxRelease_v2, CUdevice)
  DSV4C_CU(cuCtxSetCurrent, void *)
  DSV4C_CU(cuCtxSynchronize)
  DSV4C_CU(cuMemAlloc_v2, CUdeviceptr *, size_t)
  DSV4C_CU(cuMemFree_v2, CUdeviceptr)
  DSV4C_CU(cuMemcpyHtoD_v2, CUdeviceptr, const void *, size_t)
  DSV4C_CU(cuMemcpyDtoH_v2, void *, CUdeviceptr, size_t)
  DSV4C_CU(cuMemcpyDtoD_v2, CUdeviceptr, CUdeviceptr, size_t)
  DSV4C_CU(cuMemcpy2D_v2, const CUDA_MEMCPY2D *)
  DSV4C_CU(cuMemsetD32_v2, CUdeviceptr, unsigned, size_t)
  DSV4C_CU(cuMemcpyDtoDAsync_v2, CUdeviceptr, CUdeviceptr, size_t, void *)
  DSV4C_CU(cuMemsetD32Async, CUdeviceptr, unsigned, size_t, void *)
  DSV4C_CU(cuModuleLoadDataEx, void **, const void *, unsigned, int *, void **)
  DSV4C_CU(cuModuleUnload, void *)
  DSV4C_CU(cuModuleGetFunction, void **, void *, const char *)
  DSV4C_CU(cuLaunchKernel, void *, unsigned, unsigned, unsigned, unsigned,
           unsigned, unsigned, unsigned, void *, void **, void **)
  DSV4C_CU(cuCtxSetLimit, int, size_t)
  DSV4C_CU(cuFuncSetAttribute, void *, int, int)
  DSV4C_CU(cuStreamCreate, void **, unsigned)
  DSV4C_CU(cuStreamDestroy_v2, void *)
  // Graphs (optional: without them a decode step is launched kernel by
  // kernel).
  DSV4C_CU(cuStreamBeginCapture_v2, void *, int)
  DSV4C_CU(cuStreamEndCapture, void *, void **)
  DSV4C_CU(cuGraphInstantiateWithFlags, void **, void *, unsigned long long)
  DSV4C_CU(cuGraphLaunch, void *, void *)
  DSV4C_CU(cuGraphExecDestroy, void *)
  DSV4C_CU(cuGraphDestroy, void *)
  // Occupancy (optional: without it split-k assumes programsToFill).
  DSV4C_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor, int *, void *, int,
           size_t)
#undef DSV4C_CU

  bool hasGraphs() const {
    return cuStreamBeginCapture_v2 && cuStreamEndCapture &&
           cuGraphInstantiateWithFlags && cuGraphLaunch && cuGraphExecDestroy &&
           cuGraphDestroy;
  }

  ~Driver() {
    if (lib)
      ::dlclose(lib);
  }
  /// "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY"; false when `r` is an error.
  bool check(CUresult r, const char *call, std::string &error) const {
    if (r == 0)
      return true;
    const char *name = nullptr;
    if (!cuGetErrorName || cuGetErrorName(r, &name) != 0 || !name)
      name = "an unknown CUDA error";
    error = std::string("cuda: ") + call + ": " + name + " (" +
            std::to_string(r) + ")";
    return false;
  }
};

std::shared_ptr<Driver> loadDriver(std::string &error) {
  auto d = std::make_shared<Driver>();
  d->lib = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!d->lib) {
    const char *why = ::dlerror();
    error = std::string("cuda: no CUDA driver (") +
            (why ? why : "libcuda.so.1") + ")";
    return nullptr;
  }
  bool ok = true;
  auto resolve = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        ::dlsym(d->lib, name));
    if (!fn && ok) {
      ok = false;
      error = std::string("cuda: the driver lacks ") + name +
              " (too old a driver?)";
    }
  };
#define DSV4C_RESOLVE(name) resolve(d->name, #name);
  DSV4C_RESOLVE(cuInit)
  DSV4C_RESOLVE(cuGetErrorName)
  DSV4C_RESOLVE(cuDeviceGetCount)
  DSV4C_RESOLVE(cuDeviceGet)
  DSV4C_RESOLVE(cuDeviceGetName)
  DSV4C_RESOLVE(cuDeviceGetAttribute)
  DSV4C_RESOLVE(cuDeviceTotalMem_v2)
  DSV4C_RESOLVE(cuDevicePrimaryCtxRetain)
  DSV4C_RESOLVE(cuDevicePrimaryCtxRelease_v2)
  DSV4C_RESOLVE(cuCtxSetCurrent)
  DSV4C_RESOLVE(cuCtxSynchronize)
  DSV4C_RESOLVE(cuMemAlloc_v2)
  DSV4C_RESOLVE(cuMemFree_v2)
  DSV4C_RESOLVE(cuMemcpyHtoD_v2)
  DSV4C_RESOLVE(cuMemcpyDtoH_v2)
  DSV4C_RESOLVE(cuMemcpyDtoD_v2)
  DSV4C_RESOLVE(cuMemcpy2D_v2)
  DSV4C_RESOLVE(cuMemsetD32_v2)
  DSV4C_RESOLVE(cuMemcpyDtoDAsync_v2)
  DSV4C_RESOLVE(cuMemsetD32Async)
  DSV4C_RESOLVE(cuModuleLoadDataEx)
  DSV4C_RESOLVE(cuModuleUnload)
  DSV4C_RESOLVE(cuModuleGetFunction)
  DSV4C_RESOLVE(cuLaunchKernel)
  DSV4C_RESOLVE(cuCtxSetLimit)
  DSV4C_RESOLVE(cuFuncSetAttribute)
  DSV4C_RESOLVE(cuStreamCreate)
  DSV4C_RESOLVE(cuStreamDestroy_v2)
#undef DSV4C_RESOLVE
  auto optional = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        ::dlsym(d->lib, name));
  };
  optional(d->cuStreamBeginCapture_v2, "cuStreamBeginCapture_v2");
  optional(d->cuStreamEndCapture, "cuStreamEndCapture");
  optional(d->cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
  optional(d->cuGraphLaunch, "cuGraphLaunch");
  optional(d->cuGraphExecDestroy, "cuGraphExecDestroy");
  optional(d->cuGraphDestroy, "cuGraphDestroy");
  optional(d->cuOccupancyMaxActiveBlocksPerMultiprocessor,
           "cuOccupancyMaxActiveBlocksPerMultiprocessor");
  if (!ok)
    return nullptr;

  CUresult r = d->cuInit(0);
  if (r == kNoDevice) {
    error = "cuda: no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)";
    return nullptr;
  }
  if (!d->check(r, "cuInit", error))
    return nullptr;
  return d;
}

bool listDevices(Driver &d, std::vector<DeviceInfo> &devices,
                 std::string &error) {
  int count = 0;
  if (!d.check(d.cuDeviceGetCount(&count), "cuDeviceGetCount", error))
    return false;
  devices.clear();
  for (int i = 0; i < count; ++i) {
    CUdevice dev;
    DeviceInfo info;
    info.ordinal = i;
    char name[256] = {};
    size_t total = 0;
    if (!d.check(d.cuDeviceGet(&dev, i), "cuDeviceGet", error) ||
        !d.check(d.cuDeviceGetName(name, sizeof name - 1, dev),
                 "cuDeviceGetName", error) ||
        !d.check(
            d.cuDeviceGetAttribute(&info.computeMajor, kAttrComputeMajor, dev),
            "cuDeviceGetAttribute", error) ||
        !d.check(
            d.cuDeviceGetAttribute(&info.computeMinor, kAttrComputeMinor, dev),
            "cuDeviceGetAttribute", error) ||
        !d.check(d.cuDeviceGetAttribute(&info.multiprocessors,
                                        kAttrMultiprocessors, dev),
                 "cuDeviceGetAttribute", error) ||
        !d.check(d.cuDeviceTotalMem_v2(&total, dev), "cuDeviceTotalMem", error))
      return false;
    info.name = name;
    info.totalMemory = total;
    devices.push_back(info);
  }
  return true;
}

std::unique_ptr<CudaDevice> CudaDevice::open(int ordinal, std::string &error) {
  std::shared_ptr<Driver> driver = loadDriver(error);
  if (!driver)
    return nullptr;
  std::vector<DeviceInfo> devices;
  if (!listDevices(*driver, devices, error))
    return nullptr;
  if (devices.empty()) {
    error = "cuda: no CUDA device";
    return nullptr;
  }
  if (ordinal < 0 || ordinal >= int(devices.size())) {
    error = "cuda: no device " + std::to_string(ordinal) +
            " (the driver sees " + std::to_string(devices.size()) + ")";
    return nullptr;
  }
  std::unique_ptr<CudaDevice> d(new CudaDevice());
  d->driver = driver;
  d->info_ = devices[size_t(ordinal)];
  if (!driver->check(driver->cuDeviceGet(&d->device, ordinal), "cuDeviceGet",
                     error) ||
      !driver->check(driver->cuDevicePrimaryCtxRetain(&d->context, d->device),
                     "cuDevicePrimaryCtxRetain", error) ||
      !driver->check(driver->cuCtxSetCurrent(d->context), "cuCtxSetCurrent",
                     error) ||
      // Launches go to a stream of their own, which graphs can capture
      // (the legacy default stream cannot be); it is a blocking stream, so
      // the synchronous copies on the default stream still wait for it.
      !driver->check(driver->cuStreamCreate(&d->stream, 0), "cuStreamCreate",
                     error))
    return nullptr;
  return d;
}

namespace {
/// A captured, instantiated graph on the device's stream.
class CudaGraph : public DeviceGraph {
public:
  CudaGraph(std::shared_ptr<Driver> driver, void *stream, void *graph,
            void *exec)
      : driver(std::move(driver)), stream(stream), graph(graph), exec(exec) {}
  ~CudaGraph() override {
    driver->cuGraphExecDestroy(exec);
    driver->cuGraphDestroy(graph);
  }
  bool launch(std::string &error) override {
    return driver->check(driver->cuGraphLaunch(exec, stream), "cuGraphLaunch",
                         error);
  }

private:
  std::shared_ptr<Driver> driver;
  void *stream, *graph, *exec;
};
} // namespace

std::unique_ptr<DeviceGraph>
CudaDevice::makeGraph(const std::vector<RecordedWork> &work,
                      std::string &error) {
  if (!driver->hasGraphs() || work.empty())
    return nullptr;
  constexpr int kCaptureModeThreadLocal = 1; // CUstreamCaptureMode
  if (!driver->check(
          driver->cuStreamBeginCapture_v2(stream, kCaptureModeThreadLocal),
          "cuStreamBeginCapture", error))
    return nullptr;
  // Captured work is put in the graph, not run (launches, copies and
  // fills all go to the stream).
  bool launched = true;
  for (const RecordedWork &w : work)
    if (!(launched = w.run(*this, error)))
      break;
  void *graph = nullptr;
  CUresult ended = driver->cuStreamEndCapture(stream, &graph);
  if (!launched || !driver->check(ended, "cuStreamEndCapture", error)) {
    if (graph)
      driver->cuGraphDestroy(graph);
    return nullptr;
  }
  void *exec = nullptr;
  if (!driver->check(driver->cuGraphInstantiateWithFlags(&exec, graph, 0),
                     "cuGraphInstantiate", error)) {
    driver->cuGraphDestroy(graph);
    return nullptr;
  }
  return std::make_unique<CudaGraph>(driver, stream, graph, exec);
}

CudaDevice::~CudaDevice() {
  if (!driver)
    return;
  if (stream)
    driver->cuStreamDestroy_v2(stream);
  for (void *m : modules)
    driver->cuModuleUnload(m);
  if (context)
    driver->cuDevicePrimaryCtxRelease_v2(device);
}

void *CudaDevice::allocate(size_t bytes, std::string &error) {
  CUdeviceptr p = 0;
  // Whole 16-byte units, so that the zeroing words stay inside.
  size_t rounded = bytes ? (bytes + 15) / 16 * 16 : 16;
  if (!driver->check(driver->cuMemAlloc_v2(&p, rounded), "cuMemAlloc", error))
    return nullptr;
  if (!driver->check(driver->cuMemsetD32_v2(p, 0, rounded / 4), "cuMemsetD32",
                     error)) {
    driver->cuMemFree_v2(p);
    return nullptr;
  }
  return reinterpret_cast<void *>(uintptr_t(p));
}

void CudaDevice::release(void *ptr) {
  if (ptr)
    driver->cuMemFree_v2(dptr(ptr));
}

bool CudaDevice::upload(void *dst, const void *src, size_t bytes,
                        std::string &error) {
  return !bytes || driver->check(driver->cuMemcpyHtoD_v2(dptr(dst), src, bytes),
                                 "cuMemcpyHtoD", error);
}

bool CudaDevice::download(void *dst, const void *src, size_t bytes,
                          std::string &error) {
  return !bytes || driver->check(driver->cuMemcpyDtoH_v2(dst, dptr(src), bytes),
                                 "cuMemcpyDtoH", error);
}

bool CudaDevice::copy(void *dst, const void *src, size_t bytes,
                      std::string &error) {
  return !bytes || driver->check(driver->cuMemcpyDtoDAsync_v2(
                                     dptr(dst), dptr(src), bytes, stream),
                                 "cuMemcpyDtoDAsync", error);
}

bool CudaDevice::copy2D(void *dst, size_t dstPitch, const void *src,
                        size_t srcPitch, size_t rowBytes, size_t rows,
                        std::string &error) {
  if (!rowBytes || !rows)
    return true;
  CUDA_MEMCPY2D c{};
  c.srcMemoryType = kMemoryTypeDevice;
  c.srcDevice = dptr(src);
  c.srcPitch = srcPitch;
  c.dstMemoryType = kMemoryTypeDevice;
  c.dstDevice = dptr(dst);
  c.dstPitch = dstPitch;
  c.WidthInBytes = rowBytes;
  c.Height = rows;
  return driver->check(driver->cuMemcpy2D_v2(&c), "cuMemcpy2D", error);
}

bool CudaDevice::fill32(void *dst, uint32_t pattern, size_t words,
                        std::string &error) {
  return !words || driver->check(driver->cuMemsetD32Async(dptr(dst), pattern,
                                                          words, stream),
                                 "cuMemsetD32Async", error);
}

void *CudaDevice::loadModule(const std::string &image, std::string &error) {
  char log[8192] = {};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof log))};
  void *module = nullptr;
  if (!driver->check(driver->cuModuleLoadDataEx(&module, image.c_str(), 2,
                                                options, values),
                     "cuModuleLoadDataEx", error)) {
    if (log[0])
      error += ":\n" + std::string(log);
    return nullptr;
  }
  modules.push_back(module);
  return module;
}

void *CudaDevice::getFunction(void *module, const std::string &name,
                              std::string &error) {
  void *f = nullptr;
  if (!driver->check(driver->cuModuleGetFunction(&f, module, name.c_str()),
                     ("cuModuleGetFunction(" + name + ")").c_str(), error))
    return nullptr;
  return f;
}

bool CudaDevice::launchAsync(void *f, std::array<unsigned, 3> grid,
                             std::array<unsigned, 3> block, void **params,
                             std::string &error, unsigned dynamicShared) {
  return driver->check(
      driver->cuLaunchKernel(f, grid[0], grid[1], grid[2], block[0], block[1],
                             block[2], dynamicShared, stream, params, nullptr),
      "cuLaunchKernel", error);
}

bool CudaDevice::allowDynamicShared(void *f, unsigned bytes,
                                    std::string &error) {
  constexpr int kMaxDynamicSharedSizeBytes = 8; // CUfunction_attribute
  return driver->check(
      driver->cuFuncSetAttribute(f, kMaxDynamicSharedSizeBytes, int(bytes)),
      "cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)",
      error);
}

int64_t CudaDevice::residentPrograms(void *f, unsigned threads,
                                     unsigned dynamicShared) const {
  int perMultiprocessor = 0;
  if (!driver->cuOccupancyMaxActiveBlocksPerMultiprocessor ||
      driver->cuOccupancyMaxActiveBlocksPerMultiprocessor(
          &perMultiprocessor, f, int(threads), dynamicShared) != 0)
    return 0;
  return int64_t(perMultiprocessor) * info_.multiprocessors;
}

bool CudaDevice::synchronize(std::string &error) {
  return driver->check(driver->cuCtxSynchronize(), "cuCtxSynchronize", error);
}

bool CudaDevice::setMallocHeapSize(size_t bytes, std::string &error) {
  // The driver refuses a new size once a kernel has used the heap: the
  // first library's size stays.
  if (heapSizeSet)
    return true;
  constexpr int kLimitMallocHeapSize = 2;
  heapSizeSet =
      driver->check(driver->cuCtxSetLimit(kLimitMallocHeapSize, bytes),
                    "cuCtxSetLimit(CU_LIMIT_MALLOC_HEAP_SIZE)", error);
  return heapSizeSet;
}

bool CudaDevice::loadKernel(const std::string &image, const std::string &kernel,
                            std::string &error) {
  void *module = loadModule(image, error);
  return module && (function = getFunction(module, kernel, error));
}

bool CudaDevice::launch(std::array<unsigned, 3> grid,
                        std::array<unsigned, 3> block, void **params,
                        std::string &error) {
  if (!function) {
    error = "cuda: no kernel loaded";
    return false;
  }
  return launchAsync(function, grid, block, params, error) &&
         synchronize(error);
}

} // namespace dsv4c::cuda
