//===- Device.cpp - host memory as a device -------------------------------===//
#include "runtime/Device.h"

#include <cstdlib>
#include <cstring>

using namespace dsv4c;

bool RecordedWork::run(Device &device, std::string &error) const {
  switch (kind) {
  case Launch: {
    std::vector<uint64_t> values = args; // the runner reads them in place
    std::vector<void *> pointers;
    for (uint64_t &v : values)
      pointers.push_back(&v);
    return runner->launch(pointers.data(), grid, error);
  }
  case Copy:
    return device.copy(dst, src, bytes, error);
  case Fill:
    return device.fill32(dst, pattern, bytes / 4, error);
  }
  return false;
}

void *HostDevice::allocate(size_t bytes, std::string &error) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!p) {
    error = "out of host memory allocating " + std::to_string(bytes) + " bytes";
    return nullptr;
  }
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return p;
}

void HostDevice::release(void *ptr) { std::free(ptr); }

bool HostDevice::upload(void *dst, const void *hostSrc, size_t bytes,
                        std::string &) {
  if (bytes)
    std::memcpy(dst, hostSrc, bytes);
  return true;
}

bool HostDevice::download(void *hostDst, const void *src, size_t bytes,
                          std::string &) {
  if (bytes)
    std::memcpy(hostDst, src, bytes);
  return true;
}

bool HostDevice::copy(void *dst, const void *src, size_t bytes,
                      std::string &) {
  if (bytes)
    std::memmove(dst, src, bytes);
  return true;
}

bool HostDevice::copy2D(void *dst, size_t dstPitch, const void *src,
                        size_t srcPitch, size_t rowBytes, size_t rows,
                        std::string &) {
  for (size_t r = 0; r < rows; ++r)
    std::memmove(static_cast<char *>(dst) + r * dstPitch,
                 static_cast<const char *>(src) + r * srcPitch, rowBytes);
  return true;
}

bool HostDevice::fill32(void *dst, uint32_t pattern, size_t words,
                        std::string &) {
  auto *p = static_cast<uint32_t *>(dst);
  for (size_t i = 0; i < words; ++i)
    p[i] = pattern;
  return true;
}
