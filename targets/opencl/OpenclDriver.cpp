//===- OpenclDriver.cpp - OpenCL through dlopen of the ICD loader ---------===//
#include "targets/opencl/OpenclDriver.h"

#include "targets/gpu/GpuAbi.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>

using namespace dsv4c;
using namespace dsv4c::opencl;

namespace {
// The OpenCL types and constants used here, as CL/cl.h (3.0) declares them.
using cl_int = int32_t;
using cl_uint = uint32_t;
using Handle = void *;
constexpr uint64_t kDeviceTypeAll = 0xFFFFFFFF;
constexpr cl_uint kPlatformName = 0x0902, kDeviceName = 0x102B,
                  kDeviceSvmCapabilities = 0x1053,
                  kProgramBuildLog = 0x1183;
constexpr uint64_t kSvmFineGrainBuffer = 1 << 1;
constexpr uint64_t kMemReadWrite = 1 << 0, kMemSvmFineGrainBuffer = 1 << 10;

const char *errorName(cl_int r) {
  switch (r) {
  case -1:
    return "CL_DEVICE_NOT_FOUND";
  case -4:
    return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
  case -5:
    return "CL_OUT_OF_RESOURCES";
  case -6:
    return "CL_OUT_OF_HOST_MEMORY";
  case -11:
    return "CL_BUILD_PROGRAM_FAILURE";
  case -30:
    return "CL_INVALID_VALUE";
  case -45:
    return "CL_INVALID_PROGRAM_EXECUTABLE";
  case -46:
    return "CL_INVALID_KERNEL_NAME";
  case -49:
    return "CL_INVALID_ARG_INDEX";
  case -50:
    return "CL_INVALID_ARG_VALUE";
  case -51:
    return "CL_INVALID_ARG_SIZE";
  case -52:
    return "CL_INVALID_KERNEL_ARGS";
  case -54:
    return "CL_INVALID_WORK_GROUP_SIZE";
  case -1001:
    return "CL_PLATFORM_NOT_FOUND_KHR";
  default:
    return "an OpenCL error";
  }
}
} // namespace

namespace dsv4c::opencl {

/// The entry points, resolved once.
class Icd {
public:
  void *lib = nullptr;
  cl_int (*clGetPlatformIDs)(cl_uint, Handle *, cl_uint *) = nullptr;
  cl_int (*clGetPlatformInfo)(Handle, cl_uint, size_t, void *,
                              size_t *) = nullptr;
  cl_int (*clGetDeviceIDs)(Handle, uint64_t, cl_uint, Handle *,
                           cl_uint *) = nullptr;
  cl_int (*clGetDeviceInfo)(Handle, cl_uint, size_t, void *,
                            size_t *) = nullptr;
  Handle (*clCreateContext)(const intptr_t *, cl_uint, const Handle *, void *,
                            void *, cl_int *) = nullptr;
  Handle (*clCreateCommandQueueWithProperties)(Handle, Handle, const uint64_t *,
                                               cl_int *) = nullptr;
  void *(*clSVMAlloc)(Handle, uint64_t, size_t, cl_uint) = nullptr;
  void (*clSVMFree)(Handle, void *) = nullptr;
  cl_int (*clEnqueueSVMMemcpy)(Handle, cl_uint, void *, const void *, size_t,
                               cl_uint, const Handle *, Handle *) = nullptr;
  cl_int (*clEnqueueSVMMemFill)(Handle, void *, const void *, size_t, size_t,
                                cl_uint, const Handle *, Handle *) = nullptr;
  Handle (*clCreateProgramWithSource)(Handle, cl_uint, const char **,
                                      const size_t *, cl_int *) = nullptr;
  cl_int (*clBuildProgram)(Handle, cl_uint, const Handle *, const char *,
                           void *, void *) = nullptr;
  cl_int (*clGetProgramBuildInfo)(Handle, Handle, cl_uint, size_t, void *,
                                  size_t *) = nullptr;
  Handle (*clCreateKernel)(Handle, const char *, cl_int *) = nullptr;
  cl_int (*clSetKernelArg)(Handle, cl_uint, size_t, const void *) = nullptr;
  cl_int (*clEnqueueNDRangeKernel)(Handle, Handle, cl_uint, const size_t *,
                                   const size_t *, const size_t *, cl_uint,
                                   const Handle *, Handle *) = nullptr;
  cl_int (*clFinish)(Handle) = nullptr;
  cl_int (*clReleaseKernel)(Handle) = nullptr;
  cl_int (*clReleaseProgram)(Handle) = nullptr;
  cl_int (*clReleaseCommandQueue)(Handle) = nullptr;
  cl_int (*clReleaseContext)(Handle) = nullptr;

  ~Icd() {
    if (lib)
      ::dlclose(lib);
  }
  bool check(cl_int r, const std::string &call, std::string &error) const {
    if (r == 0)
      return true;
    error = "opencl: " + call + ": " + errorName(r) + " (" +
            std::to_string(r) + ")";
    return false;
  }
  std::string info(Handle object, cl_uint what, bool platform) const {
    char text[512] = {};
    if (platform)
      clGetPlatformInfo(object, what, sizeof text - 1, text, nullptr);
    else
      clGetDeviceInfo(object, what, sizeof text - 1, text, nullptr);
    return text;
  }
};

namespace {
std::shared_ptr<Icd> loadIcd(std::string &error) {
  auto cl = std::make_shared<Icd>();
  cl->lib = ::dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!cl->lib) {
    const char *why = ::dlerror();
    error = std::string("opencl: no device (no OpenCL ICD loader: ") +
            (why ? why : "libOpenCL.so.1") + ")";
    return nullptr;
  }
  bool ok = true;
  auto resolve = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        ::dlsym(cl->lib, name));
    if (!fn && ok) {
      ok = false;
      error = std::string("opencl: the ICD loader lacks ") + name +
              " (OpenCL 2.0 or later is needed)";
    }
  };
#define DSV4C_RESOLVE(name) resolve(cl->name, #name);
  DSV4C_RESOLVE(clGetPlatformIDs)
  DSV4C_RESOLVE(clGetPlatformInfo)
  DSV4C_RESOLVE(clGetDeviceIDs)
  DSV4C_RESOLVE(clGetDeviceInfo)
  DSV4C_RESOLVE(clCreateContext)
  DSV4C_RESOLVE(clCreateCommandQueueWithProperties)
  DSV4C_RESOLVE(clSVMAlloc)
  DSV4C_RESOLVE(clSVMFree)
  DSV4C_RESOLVE(clEnqueueSVMMemcpy)
  DSV4C_RESOLVE(clEnqueueSVMMemFill)
  DSV4C_RESOLVE(clCreateProgramWithSource)
  DSV4C_RESOLVE(clBuildProgram)
  DSV4C_RESOLVE(clGetProgramBuildInfo)
  DSV4C_RESOLVE(clCreateKernel)
  DSV4C_RESOLVE(clSetKernelArg)
  DSV4C_RESOLVE(clEnqueueNDRangeKernel)
  DSV4C_RESOLVE(clFinish)
  DSV4C_RESOLVE(clReleaseKernel)
  DSV4C_RESOLVE(clReleaseProgram)
  DSV4C_RESOLVE(clReleaseCommandQueue)
  DSV4C_RESOLVE(clReleaseContext)
#undef DSV4C_RESOLVE
  return ok ? cl : nullptr;
}
} // namespace

std::unique_ptr<OpenclDevice> OpenclDevice::open(int ordinal,
                                                 std::string &error) {
  std::shared_ptr<Icd> cl = loadIcd(error);
  if (!cl)
    return nullptr;
  cl_uint platformCount = 0;
  std::string why;
  cl_int r = cl->clGetPlatformIDs(0, nullptr, &platformCount);
  if (r != 0 || platformCount == 0) {
    cl->check(r ? r : -1001, "clGetPlatformIDs", why);
    error = "opencl: no device (" + why.substr(8) + ")";
    return nullptr;
  }
  std::vector<Handle> platforms(platformCount), devices, owners;
  if (!cl->check(cl->clGetPlatformIDs(platformCount, platforms.data(), nullptr),
                 "clGetPlatformIDs", error))
    return nullptr;
  for (Handle p : platforms) {
    cl_uint n = 0;
    if (cl->clGetDeviceIDs(p, kDeviceTypeAll, 0, nullptr, &n) != 0 || !n)
      continue;
    std::vector<Handle> some(n);
    if (!cl->check(cl->clGetDeviceIDs(p, kDeviceTypeAll, n, some.data(),
                                      nullptr),
                   "clGetDeviceIDs", error))
      return nullptr;
    devices.insert(devices.end(), some.begin(), some.end());
    owners.insert(owners.end(), n, p);
  }
  if (ordinal < 0 || ordinal >= int(devices.size())) {
    error = devices.empty() ? "opencl: no device (" +
                                  std::to_string(platformCount) +
                                  " platforms, none with a device)"
                            : "opencl: no device " + std::to_string(ordinal) +
                                  " (there are " +
                                  std::to_string(devices.size()) + ")";
    return nullptr;
  }
  std::unique_ptr<OpenclDevice> d(new OpenclDevice());
  d->icd = cl;
  d->device = devices[size_t(ordinal)];
  d->description_ = cl->info(owners[size_t(ordinal)], kPlatformName, true) +
                    ": " + cl->info(d->device, kDeviceName, false);
  uint64_t svm = 0;
  cl->clGetDeviceInfo(d->device, kDeviceSvmCapabilities, sizeof svm, &svm,
                      nullptr);
  if (!(svm & kSvmFineGrainBuffer)) {
    error = "opencl: " + d->description_ +
            " lacks fine-grained SVM buffers, which this target needs";
    return nullptr;
  }
  cl_int r2 = 0;
  d->context = cl->clCreateContext(nullptr, 1, &d->device, nullptr, nullptr,
                                   &r2);
  if (!cl->check(r2, "clCreateContext", error))
    return nullptr;
  d->queue = cl->clCreateCommandQueueWithProperties(d->context, d->device,
                                                    nullptr, &r2);
  if (!cl->check(r2, "clCreateCommandQueueWithProperties", error))
    return nullptr;
  return d;
}

OpenclDevice::~OpenclDevice() {
  if (!icd)
    return;
  if (queue)
    icd->clFinish(queue);
  for (void *k : kernels)
    icd->clReleaseKernel(k);
  for (void *p : programs)
    icd->clReleaseProgram(p);
  if (queue)
    icd->clReleaseCommandQueue(queue);
  if (context)
    icd->clReleaseContext(context);
}

void *OpenclDevice::allocate(size_t bytes, std::string &error) {
  size_t rounded = bytes ? (bytes + 15) / 16 * 16 : 16;
  void *p = icd->clSVMAlloc(context, kMemReadWrite | kMemSvmFineGrainBuffer,
                            rounded, 64);
  if (!p) {
    error = "opencl: clSVMAlloc of " + std::to_string(rounded) +
            " bytes failed";
    return nullptr;
  }
  if (!fill32(p, 0, rounded / 4, error)) {
    icd->clSVMFree(context, p);
    return nullptr;
  }
  return p;
}

void OpenclDevice::release(void *ptr) {
  if (ptr) {
    icd->clFinish(queue); // no kernel may still use it
    icd->clSVMFree(context, ptr);
  }
}

bool OpenclDevice::upload(void *dst, const void *src, size_t bytes,
                          std::string &error) {
  return copy(dst, src, bytes, error);
}

bool OpenclDevice::download(void *dst, const void *src, size_t bytes,
                            std::string &error) {
  return copy(dst, src, bytes, error);
}

bool OpenclDevice::copy(void *dst, const void *src, size_t bytes,
                        std::string &error) {
  return !bytes || icd->check(icd->clEnqueueSVMMemcpy(queue, 1, dst, src,
                                                      bytes, 0, nullptr,
                                                      nullptr),
                              "clEnqueueSVMMemcpy", error);
}

bool OpenclDevice::copy2D(void *dst, size_t dstPitch, const void *src,
                          size_t srcPitch, size_t rowBytes, size_t rows,
                          std::string &error) {
  for (size_t r = 0; r < rows; ++r)
    if (!copy(static_cast<char *>(dst) + r * dstPitch,
              static_cast<const char *>(src) + r * srcPitch, rowBytes, error))
      return false;
  return true;
}

bool OpenclDevice::fill32(void *dst, uint32_t pattern, size_t words,
                          std::string &error) {
  return !words ||
         (icd->check(icd->clEnqueueSVMMemFill(queue, dst, &pattern,
                                              sizeof pattern, words * 4, 0,
                                              nullptr, nullptr),
                     "clEnqueueSVMMemFill", error) &&
          synchronize(error));
}

bool OpenclDevice::synchronize(std::string &error) {
  return icd->check(icd->clFinish(queue), "clFinish", error);
}

void *OpenclDevice::buildProgram(const std::string &source,
                                 std::string &error) {
  const char *text = source.c_str();
  size_t length = source.size();
  cl_int r = 0;
  Handle program =
      icd->clCreateProgramWithSource(context, 1, &text, &length, &r);
  if (!icd->check(r, "clCreateProgramWithSource", error))
    return nullptr;
  programs.push_back(program);
  // DSV4C_OPENCL_BUILD_OPTIONS: extra options for the OpenCL C compiler
  // (e.g. -cl-opt-disable to rule out a runtime's optimizer).
  const char *options = std::getenv("DSV4C_OPENCL_BUILD_OPTIONS");
  if (!icd->check(icd->clBuildProgram(program, 1, &device,
                                      options ? options : "", nullptr,
                                      nullptr),
                  "clBuildProgram", error)) {
    size_t size = 0;
    icd->clGetProgramBuildInfo(program, device, kProgramBuildLog, 0, nullptr,
                               &size);
    std::string log(size, '\0');
    if (size)
      icd->clGetProgramBuildInfo(program, device, kProgramBuildLog, size,
                                 log.data(), nullptr);
    error += ":\n" + log.substr(0, 4000);
    return nullptr;
  }
  return program;
}

void *OpenclDevice::createKernel(void *program, const std::string &name,
                                 std::string &error) {
  cl_int r = 0;
  // OpenclCompile names kernel K dsv4c_K (CEmitter.h).
  Handle kernel = icd->clCreateKernel(program, ("dsv4c_" + name).c_str(), &r);
  if (!icd->check(r, "clCreateKernel(" + name + ")", error))
    return nullptr;
  kernels.push_back(kernel);
  return kernel;
}

bool OpenclDevice::launch(void *kernel, const gpu::ArenaLaunch &call,
                          std::string &error) {
  for (size_t i = 0; i < call.values.size(); ++i)
    if (!icd->check(icd->clSetKernelArg(kernel, cl_uint(i), call.bytes[i],
                                        call.values[i]),
                    "clSetKernelArg(" + std::to_string(i) + ")", error))
      return false;
  size_t local = gpu::kThreadsPerGroup;
  size_t global = size_t(call.groups) * local;
  return icd->check(icd->clEnqueueNDRangeKernel(queue, kernel, 1, nullptr,
                                                &global, &local, 0, nullptr,
                                                nullptr),
                    "clEnqueueNDRangeKernel", error);
}


std::unique_ptr<KernelLibrary>
createKernelLibrary(OpenclDevice &device, const std::string &source,
                    const std::vector<gpu::KernelArguments> &kernels,
                    std::string &error) {
  auto library = std::make_unique<gpu::ArenaKernelLibrary>("opencl", device);
  // A tile heap for 64 groups at a time: a CPU device runs few at once.
  if (!library->allocateHeap(64, error))
    return nullptr;
  void *program = device.buildProgram(source, error);
  if (!program)
    return nullptr;
  for (const gpu::KernelArguments &k : kernels) {
    void *kernel = device.createKernel(program, k.name, error);
    if (!kernel)
      return nullptr;
    library->add(k, [&device, kernel](const gpu::ArenaLaunch &call,
                                      std::string &error) {
      return device.launch(kernel, call, error);
    });
  }
  return library;
}

} // namespace dsv4c::opencl
