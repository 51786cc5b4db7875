//===- driver_check.cpp - a GPU target's driver on this machine -----------===//
//
// usage: gpu_driver_check hip|level_zero
// Without a device (CI): opening one fails with one clear message that
// starts "<target>: no device (" and says why; the test prints it and that
// the device checks need a device. With one: device memory round trips
// (zeroed allocation, upload, download, copy, 2-D copy, fill). Plain C++, so
// the runtime-only build on a device machine builds and runs it.
//
//===----------------------------------------------------------------------===//
#include "targets/hip/HipDriver.h"
#include "targets/level_zero/LevelZeroDriver.h"

#include <cstdio>
#include <algorithm>
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

void memoryRoundTrips(Device &dev) {
  std::string error;
  constexpr size_t n = 1000;
  void *a = dev.allocate(n * 4, error);
  void *b = a ? dev.allocate(n * 4, error) : nullptr;
  check(a && b, "allocate " + error);
  if (!a || !b)
    return;
  std::vector<uint32_t> host(n, 7), back(n);
  check(dev.download(back.data(), a, n * 4, error) &&
            std::all_of(back.begin(), back.end(),
                        [](uint32_t v) { return v == 0; }),
        "allocations are zeroed " + error);
  std::iota(host.begin(), host.end(), 0u);
  check(dev.upload(a, host.data(), n * 4, error) &&
            dev.copy(b, a, n * 4, error) &&
            dev.download(back.data(), b, n * 4, error) && back == host,
        "upload, copy, download " + error);
  // Rows of 10 words at pitch 40 bytes -> pitch 80 bytes, then fill.
  check(dev.fill32(b, 0xdeadbeef, n, error) &&
            dev.copy2D(b, 80, a, 40, 40, 10, error) &&
            dev.download(back.data(), b, n * 4, error) && back[20] == 10 &&
            back[10] == 0xdeadbeef && back[n - 1] == 0xdeadbeef,
        "copy2D, fill32 " + error);
  dev.release(a);
  dev.release(b);
}
} // namespace

int main(int argc, char **argv) {
  std::string target = argc > 1 ? argv[1] : "";
  std::string error;
  std::unique_ptr<Device> dev;
  if (target == "hip")
    dev = hip::HipDevice::open(0, error);
  else if (target == "level_zero")
    dev = level_zero::LevelZeroDevice::open(0, error);
  else {
    std::fprintf(stderr, "usage: gpu_driver_check hip|level_zero\n");
    return 2;
  }
  if (!dev) {
    std::string expected = target + ": no device (";
    bool clear = error.rfind(expected, 0) == 0 && error.back() == ')' &&
                 error.find('\n') == std::string::npos;
    check(clear, "no device, one clear message: \"" + error + "\"");
    std::printf("SKIP  the %s device checks need a device (this machine has "
                "none)\n",
                target.c_str());
    return failures ? 1 : 0;
  }
  std::printf("device 0 of %s\n", target.c_str());
  memoryRoundTrips(*dev);
  return failures ? 1 : 0;
}
