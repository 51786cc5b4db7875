//===- LevelZeroDriver.cpp - Level Zero through dlopen --------------------===//
#include "targets/level_zero/LevelZeroDriver.h"

#include "targets/gpu/GpuAbi.h"

#include <dlfcn.h>


using namespace dsv4c;
using namespace dsv4c::level_zero;

namespace {
// The Level Zero types and constants used here, as ze_api.h (1.x)
// declares them.
using ze_result_t = uint32_t;
using Handle = void *;
struct ContextDesc {
  uint32_t stype = 0xd;
  const void *pNext = nullptr;
  uint32_t flags = 0;
};
struct CommandQueueDesc {
  uint32_t stype = 0xe;
  const void *pNext = nullptr;
  uint32_t ordinal = 0, index = 0, flags = 0;
  uint32_t mode = 1; // ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS
  uint32_t priority = 0;
};
struct DeviceMemAllocDesc {
  uint32_t stype = 0x15;
  const void *pNext = nullptr;
  uint32_t flags = 0, ordinal = 0;
};
struct ModuleDesc {
  uint32_t stype = 0x1b;
  const void *pNext = nullptr;
  uint32_t format = 0; // ZE_MODULE_FORMAT_IL_SPIRV
  size_t inputSize = 0;
  const uint8_t *pInputModule = nullptr;
  const char *pBuildFlags = nullptr;
  const void *pConstants = nullptr;
};
struct KernelDesc {
  uint32_t stype = 0x1d;
  const void *pNext = nullptr;
  uint32_t flags = 0;
  const char *pKernelName = nullptr;
};
struct GroupCount {
  uint32_t x, y, z;
};
struct CopyRegion {
  uint32_t originX, originY, originZ, width, height, depth;
};

const char *resultName(ze_result_t r) {
  switch (r) {
  case 0x1:
    return "ZE_RESULT_NOT_READY";
  case 0x70000001:
    return "ZE_RESULT_ERROR_DEVICE_LOST";
  case 0x70000002:
    return "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY";
  case 0x70000003:
    return "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY";
  case 0x70000004:
    return "ZE_RESULT_ERROR_MODULE_BUILD_FAILURE";
  case 0x78000001:
    return "ZE_RESULT_ERROR_UNINITIALIZED";
  case 0x78000003:
    return "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE";
  case 0x78000004:
    return "ZE_RESULT_ERROR_INVALID_ARGUMENT";
  case 0x78000011:
    return "ZE_RESULT_ERROR_INVALID_KERNEL_NAME";
  default:
    return "a Level Zero error";
  }
}
} // namespace

namespace dsv4c::level_zero {

/// The entry points, resolved once.
class Loader {
public:
  void *lib = nullptr;
#define DSV4C_ZE(name, ...) ze_result_t (*name)(__VA_ARGS__) = nullptr;
  DSV4C_ZE(zeInit, uint32_t)
  DSV4C_ZE(zeDriverGet, uint32_t *, Handle *)
  DSV4C_ZE(zeDeviceGet, Handle, uint32_t *, Handle *)
  DSV4C_ZE(zeContextCreate, Handle, const ContextDesc *, Handle *)
  DSV4C_ZE(zeContextDestroy, Handle)
  DSV4C_ZE(zeCommandListCreateImmediate, Handle, Handle,
           const CommandQueueDesc *, Handle *)
  DSV4C_ZE(zeCommandListDestroy, Handle)
  DSV4C_ZE(zeCommandListAppendMemoryCopy, Handle, void *, const void *, size_t,
           Handle, uint32_t, Handle *)
  DSV4C_ZE(zeCommandListAppendMemoryCopyRegion, Handle, void *,
           const CopyRegion *, uint32_t, uint32_t, const void *,
           const CopyRegion *, uint32_t, uint32_t, Handle, uint32_t, Handle *)
  DSV4C_ZE(zeCommandListAppendMemoryFill, Handle, void *, const void *, size_t,
           size_t, Handle, uint32_t, Handle *)
  DSV4C_ZE(zeMemAllocDevice, Handle, const DeviceMemAllocDesc *, size_t,
           size_t, Handle, void **)
  DSV4C_ZE(zeMemFree, Handle, void *)
  DSV4C_ZE(zeModuleCreate, Handle, Handle, const ModuleDesc *, Handle *,
           Handle *)
  DSV4C_ZE(zeModuleDestroy, Handle)
  DSV4C_ZE(zeModuleBuildLogGetString, Handle, size_t *, char *)
  DSV4C_ZE(zeModuleBuildLogDestroy, Handle)
  DSV4C_ZE(zeKernelCreate, Handle, const KernelDesc *, Handle *)
  DSV4C_ZE(zeKernelDestroy, Handle)
  DSV4C_ZE(zeKernelSetGroupSize, Handle, uint32_t, uint32_t, uint32_t)
  DSV4C_ZE(zeKernelSetArgumentValue, Handle, uint32_t, size_t, const void *)
  DSV4C_ZE(zeCommandListAppendLaunchKernel, Handle, Handle, const GroupCount *,
           Handle, uint32_t, Handle *)
#undef DSV4C_ZE

  ~Loader() {
    if (lib)
      ::dlclose(lib);
  }
  bool check(ze_result_t r, const std::string &call, std::string &error) const {
    if (r == 0)
      return true;
    char code[16];
    std::snprintf(code, sizeof code, "0x%x", r);
    error = "level_zero: " + call + ": " + resultName(r) + " (" + code + ")";
    return false;
  }
};

namespace {
std::shared_ptr<Loader> loadLoader(std::string &error) {
  auto z = std::make_shared<Loader>();
  z->lib = ::dlopen("libze_loader.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!z->lib) {
    const char *why = ::dlerror();
    error = std::string("level_zero: no device (no Level Zero loader: ") +
            (why ? why : "libze_loader.so.1") + ")";
    return nullptr;
  }
  bool ok = true;
  auto resolve = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        ::dlsym(z->lib, name));
    if (!fn && ok) {
      ok = false;
      error = std::string("level_zero: the loader lacks ") + name;
    }
  };
#define DSV4C_RESOLVE(name) resolve(z->name, #name);
  DSV4C_RESOLVE(zeInit)
  DSV4C_RESOLVE(zeDriverGet)
  DSV4C_RESOLVE(zeDeviceGet)
  DSV4C_RESOLVE(zeContextCreate)
  DSV4C_RESOLVE(zeContextDestroy)
  DSV4C_RESOLVE(zeCommandListCreateImmediate)
  DSV4C_RESOLVE(zeCommandListDestroy)
  DSV4C_RESOLVE(zeCommandListAppendMemoryCopy)
  DSV4C_RESOLVE(zeCommandListAppendMemoryCopyRegion)
  DSV4C_RESOLVE(zeCommandListAppendMemoryFill)
  DSV4C_RESOLVE(zeMemAllocDevice)
  DSV4C_RESOLVE(zeMemFree)
  DSV4C_RESOLVE(zeModuleCreate)
  DSV4C_RESOLVE(zeModuleDestroy)
  DSV4C_RESOLVE(zeModuleBuildLogGetString)
  DSV4C_RESOLVE(zeModuleBuildLogDestroy)
  DSV4C_RESOLVE(zeKernelCreate)
  DSV4C_RESOLVE(zeKernelDestroy)
  DSV4C_RESOLVE(zeKernelSetGroupSize)
  DSV4C_RESOLVE(zeKernelSetArgumentValue)
  DSV4C_RESOLVE(zeCommandListAppendLaunchKernel)
#undef DSV4C_RESOLVE
  return ok ? z : nullptr;
}
} // namespace

std::unique_ptr<LevelZeroDevice> LevelZeroDevice::open(int ordinal,
                                                       std::string &error) {
  std::shared_ptr<Loader> z = loadLoader(error);
  if (!z)
    return nullptr;
  std::string why;
  constexpr uint32_t kGpuOnly = 1; // ZE_INIT_FLAG_GPU_ONLY
  if (!z->check(z->zeInit(kGpuOnly), "zeInit", why)) {
    error = "level_zero: no device (" + why.substr(12) + ")";
    return nullptr;
  }
  // Devices of every driver, in order.
  uint32_t driverCount = 0;
  if (!z->check(z->zeDriverGet(&driverCount, nullptr), "zeDriverGet", error))
    return nullptr;
  std::vector<Handle> drivers(driverCount), devices, owners;
  if (driverCount &&
      !z->check(z->zeDriverGet(&driverCount, drivers.data()), "zeDriverGet",
                error))
    return nullptr;
  for (Handle driver : drivers) {
    uint32_t n = 0;
    if (!z->check(z->zeDeviceGet(driver, &n, nullptr), "zeDeviceGet", error))
      return nullptr;
    std::vector<Handle> some(n);
    if (n && !z->check(z->zeDeviceGet(driver, &n, some.data()), "zeDeviceGet",
                       error))
      return nullptr;
    devices.insert(devices.end(), some.begin(), some.end());
    owners.insert(owners.end(), n, driver);
  }
  if (devices.empty()) {
    error = "level_zero: no device (the loader found " +
            std::to_string(driverCount) + " drivers and no GPU)";
    return nullptr;
  }
  if (ordinal < 0 || ordinal >= int(devices.size())) {
    error = "level_zero: no device " + std::to_string(ordinal) + " (there are " +
            std::to_string(devices.size()) + ")";
    return nullptr;
  }
  std::unique_ptr<LevelZeroDevice> d(new LevelZeroDevice());
  d->loader = z;
  d->device = devices[size_t(ordinal)];
  ContextDesc contextDesc;
  CommandQueueDesc queueDesc;
  if (!z->check(z->zeContextCreate(owners[size_t(ordinal)], &contextDesc,
                                   &d->context),
                "zeContextCreate", error) ||
      !z->check(z->zeCommandListCreateImmediate(d->context, d->device,
                                                &queueDesc, &d->list),
                "zeCommandListCreateImmediate", error))
    return nullptr;
  return d;
}

LevelZeroDevice::~LevelZeroDevice() {
  if (!loader)
    return;
  for (void *k : kernels)
    loader->zeKernelDestroy(k);
  for (void *m : modules)
    loader->zeModuleDestroy(m);
  if (list)
    loader->zeCommandListDestroy(list);
  if (context)
    loader->zeContextDestroy(context);
}

void *LevelZeroDevice::allocate(size_t bytes, std::string &error) {
  DeviceMemAllocDesc desc;
  void *p = nullptr;
  size_t rounded = bytes ? (bytes + 15) / 16 * 16 : 16;
  if (!loader->check(
          loader->zeMemAllocDevice(context, &desc, rounded, 64, device, &p),
          "zeMemAllocDevice", error))
    return nullptr;
  if (!fill32(p, 0, rounded / 4, error)) {
    loader->zeMemFree(context, p);
    return nullptr;
  }
  return p;
}

void LevelZeroDevice::release(void *ptr) {
  if (ptr)
    loader->zeMemFree(context, ptr);
}

bool LevelZeroDevice::upload(void *dst, const void *src, size_t bytes,
                             std::string &error) {
  return copy(dst, src, bytes, error);
}

bool LevelZeroDevice::download(void *dst, const void *src, size_t bytes,
                               std::string &error) {
  return copy(dst, src, bytes, error);
}

bool LevelZeroDevice::copy(void *dst, const void *src, size_t bytes,
                           std::string &error) {
  // Unified addressing: one copy call for every direction.
  return !bytes || loader->check(loader->zeCommandListAppendMemoryCopy(
                                     list, dst, src, bytes, nullptr, 0, nullptr),
                                 "zeCommandListAppendMemoryCopy", error);
}

bool LevelZeroDevice::copy2D(void *dst, size_t dstPitch, const void *src,
                             size_t srcPitch, size_t rowBytes, size_t rows,
                             std::string &error) {
  if (!rowBytes || !rows)
    return true;
  CopyRegion region{0, 0, 0, uint32_t(rowBytes), uint32_t(rows), 1};
  return loader->check(loader->zeCommandListAppendMemoryCopyRegion(
                           list, dst, &region, uint32_t(dstPitch), 0, src,
                           &region, uint32_t(srcPitch), 0, nullptr, 0, nullptr),
                       "zeCommandListAppendMemoryCopyRegion", error);
}

bool LevelZeroDevice::fill32(void *dst, uint32_t pattern, size_t words,
                             std::string &error) {
  return !words ||
         loader->check(loader->zeCommandListAppendMemoryFill(
                           list, dst, &pattern, sizeof pattern, words * 4,
                           nullptr, 0, nullptr),
                       "zeCommandListAppendMemoryFill", error);
}

bool LevelZeroDevice::synchronize(std::string &) {
  return true; // the command list is synchronous
}

void *LevelZeroDevice::loadModule(const std::string &spirv,
                                  std::string &error) {
  ModuleDesc desc;
  desc.inputSize = spirv.size();
  desc.pInputModule = reinterpret_cast<const uint8_t *>(spirv.data());
  desc.pBuildFlags = "";
  Handle module = nullptr, log = nullptr;
  ze_result_t r =
      loader->zeModuleCreate(context, device, &desc, &module, &log);
  if (!loader->check(r, "zeModuleCreate", error)) {
    size_t size = 0;
    if (log && loader->zeModuleBuildLogGetString(log, &size, nullptr) == 0 &&
        size > 1) {
      std::string text(size, '\0');
      loader->zeModuleBuildLogGetString(log, &size, text.data());
      error += ":\n" + text;
    }
  }
  if (log)
    loader->zeModuleBuildLogDestroy(log);
  if (r != 0)
    return nullptr;
  modules.push_back(module);
  return module;
}

void *LevelZeroDevice::createKernel(void *module, const std::string &name,
                                    std::string &error) {
  KernelDesc desc;
  desc.pKernelName = name.c_str();
  Handle kernel = nullptr;
  if (!loader->check(loader->zeKernelCreate(module, &desc, &kernel),
                     "zeKernelCreate(" + name + ")", error))
    return nullptr;
  kernels.push_back(kernel);
  if (!loader->check(
          loader->zeKernelSetGroupSize(kernel, gpu::kThreadsPerGroup, 1, 1),
          "zeKernelSetGroupSize(" + name + ")", error))
    return nullptr;
  return kernel;
}

bool LevelZeroDevice::launch(void *kernel, const gpu::ArenaLaunch &call,
                             std::string &error) {
  for (size_t i = 0; i < call.values.size(); ++i)
    if (!loader->check(loader->zeKernelSetArgumentValue(
                           kernel, uint32_t(i), call.bytes[i], call.values[i]),
                       "zeKernelSetArgumentValue(" + std::to_string(i) + ")",
                       error))
      return false;
  GroupCount groups{uint32_t(call.groups), 1, 1};
  return loader->check(loader->zeCommandListAppendLaunchKernel(
                           list, kernel, &groups, nullptr, 0, nullptr),
                       "zeCommandListAppendLaunchKernel", error);
}


std::unique_ptr<KernelLibrary>
createKernelLibrary(LevelZeroDevice &device, const std::string &spirv,
                    const std::vector<gpu::KernelArguments> &kernels,
                    std::string &error) {
  auto library =
      std::make_unique<gpu::ArenaKernelLibrary>("level_zero", device);
  // A tile heap for 128 groups at a time (1 GiB).
  if (!library->allocateHeap(128, error))
    return nullptr;
  void *module = device.loadModule(spirv, error);
  if (!module)
    return nullptr;
  for (const gpu::KernelArguments &k : kernels) {
    void *kernel = device.createKernel(module, k.name, error);
    if (!kernel)
      return nullptr;
    library->add(k, [&device, kernel](const gpu::ArenaLaunch &call,
                                      std::string &error) {
      return device.launch(kernel, call, error);
    });
  }
  return library;
}

} // namespace dsv4c::level_zero
