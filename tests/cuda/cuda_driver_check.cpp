//===- cuda_driver_check.cpp - the CUDA driver on this machine ------------===//
//
// Without a GPU (CI): checks that opening a device fails with one clear
// message ("cuda: no CUDA driver (...)" or "cuda: no CUDA device ...") and
// says that the device checks need a GPU. With one: device memory round
// trips (zeroed allocation, upload, download, copy, 2-D copy, fill), a PTX
// load error that names the CUDA error, and a launch of a small PTX kernel.
// Exit status 0 when every check that could run passed. Plain C++ (no test
// framework) so the runtime-only build on a GPU machine builds and runs it.
//
//===----------------------------------------------------------------------===//
#include "targets/cuda/CudaDriver.h"
#include "targets/cuda/CudaKernels.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

using namespace dsv4c;

namespace {
int failures = 0;
void check(bool ok, const std::string &what) {
  std::printf("%s  %s\n", ok ? "PASS" : "FAIL", what.c_str());
  failures += !ok;
}

// A test fixture, not a model kernel: out[i] = i for i < n.
const char *kIotaPtx = R"(.version 8.0
.target sm_90
.address_size 64
.visible .entry dsv4c_test_iota(.param .u64 out, .param .u32 n)
{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .b64 %rd<5>;
  ld.param.u64 %rd1, [out];
  ld.param.u32 %r1, [n];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra DONE;
  cvta.to.global.u64 %rd2, %rd1;
  mul.wide.u32 %rd3, %r5, 4;
  add.s64 %rd4, %rd2, %rd3;
  st.global.u32 [%rd4], %r5;
DONE:
  ret;
}
)";
} // namespace

/// The malloc heap size and DSV4C_CUDA_HEAP_MIB (no GPU needed).
void checkHeapSize() {
  const size_t gib = size_t(1) << 30;
  size_t bytes = 0;
  std::string error;
  check(cuda::mallocHeapBytes(141 * gib, nullptr, bytes, error) &&
            bytes == 8 * gib,
        "heap: 8 GiB by default on a 141 GiB device");
  check(cuda::mallocHeapBytes(16 * gib, nullptr, bytes, error) &&
            bytes == 2 * gib,
        "heap: 1/8 of a 16 GiB device");
  check(cuda::mallocHeapBytes(141 * gib, "512", bytes, error) &&
            bytes == (size_t(512) << 20),
        "heap: DSV4C_CUDA_HEAP_MIB=512 gives 512 MiB");
  for (const char *bad : {"", "0", "-5", "12x", "2097152"}) {
    error.clear();
    bool ok = cuda::mallocHeapBytes(141 * gib, bad, bytes, error);
    check(!ok &&
              error.find("DSV4C_CUDA_HEAP_MIB='" + std::string(bad) + "'") == 0,
          std::string("heap: DSV4C_CUDA_HEAP_MIB='") + bad +
              "' is refused, naming the variable");
  }
}

/// Only an image that calls malloc asks for the heap (no GPU needed).
void checkHeapNeeded() {
  check(cuda::callsDeviceMalloc(
            ".extern .func  (.param .b64 func_retval0) malloc\n(\n"
            "\t.param .b64 malloc_param_0\n);\n"
            "\tcall.uni (retval0), malloc, (param0);\n"),
        "heap: a PTX image that calls malloc needs it");
  check(!cuda::callsDeviceMalloc(kIotaPtx), "heap: the test kernel needs none");
}

int main() {
  checkHeapSize();
  checkHeapNeeded();
  std::string error;
  std::unique_ptr<cuda::CudaDevice> dev = cuda::CudaDevice::open(0, error);
  if (!dev) {
    bool clear = error.rfind("cuda: no CUDA driver (", 0) == 0 ||
                 error.rfind("cuda: no CUDA device", 0) == 0;
    check(clear, "no GPU here, reported clearly: \"" + error + "\"");
    std::printf("NOT RUN  the device memory and launch checks (they need a "
                "CUDA GPU and driver)\n");
    return failures ? 1 : 0;
  }
  const cuda::DeviceInfo &info = dev->info();
  std::printf("device 0: %s, sm_%d%d, %d SMs, %.1f GiB\n", info.name.c_str(),
              info.computeMajor, info.computeMinor, info.multiprocessors,
              double(info.totalMemory) / (1ull << 30));

  const size_t n = 1000;
  std::vector<uint32_t> host(n), back(n, 7);
  std::iota(host.begin(), host.end(), 12345u);
  void *a = dev->allocate(n * 4, error), *b = dev->allocate(n * 4, error);
  check(a && b, "allocate " + error);
  check(dev->download(back.data(), a, n * 4, error) &&
            std::all_of(back.begin(), back.end(),
                        [](uint32_t v) { return v == 0; }),
        "allocations are zeroed");
  check(dev->upload(a, host.data(), n * 4, error) &&
            dev->copy(b, a, n * 4, error) &&
            dev->download(back.data(), b, n * 4, error) && back == host,
        "upload, copy, download");
  // 2-D: 10 rows of 40 bytes, from pitch 400 to pitch 80.
  check(dev->fill32(b, 0xDEADBEEF, n, error) &&
            dev->copy2D(b, 80, a, 400, 40, 10, error) &&
            dev->download(back.data(), b, n * 4, error),
        "copy2D, fill32 " + error);
  bool ok2d = true;
  for (size_t r = 0; r < 10; ++r)
    for (size_t c = 0; c < 20; ++c) {
      uint32_t want = c < 10 ? host[r * 100 + c] : 0xDEADBEEF;
      ok2d &= back[r * 20 + c] == want;
    }
  check(ok2d, "copy2D moved the rows; fill32 left the rest");
  std::string bad;
  bool refused = !dev->loadKernel("this is not PTX", "k", bad);
  check(refused &&
            bad.find("cuModuleLoadDataEx: CUDA_ERROR_") != std::string::npos,
        "a bad image names the CUDA error: \"" + bad.substr(0, 80) + "\"");
  uint32_t count = uint32_t(n);
  void *params[] = {&b, &count};
  check(dev->loadKernel(kIotaPtx, "dsv4c_test_iota", error) &&
            dev->launch({4, 1, 1}, {256, 1, 1}, params, error) &&
            dev->download(back.data(), b, n * 4, error),
        "load and launch a PTX kernel " + error);
  bool iota = true;
  for (size_t i = 0; i < n; ++i)
    iota &= back[i] == i;
  check(iota, "the kernel wrote out[i] = i");
  dev->release(a);
  dev->release(b);
  return failures ? 1 : 0;
}
