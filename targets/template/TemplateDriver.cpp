//===- TemplateDriver.cpp - a new target's runtime side (skeleton) --------===//
#include "targets/template/TemplateDriver.h"

using namespace dsv4c;
using namespace dsv4c::templ;

namespace {
bool notYet(const char *what, std::string &error) {
  error = std::string("template: ") + what + " is not implemented (a skeleton)";
  return false;
}
} // namespace

std::unique_ptr<TemplateDevice> TemplateDevice::open(int ordinal,
                                                     std::string &error) {
  // PORT: dlopen the vendor runtime, initialise it, count the devices; say
  // "template: no <runtime> (<dlerror>)" or "template: no device" when
  // either is missing, as CudaDriver.cpp does.
  error = "template: no device (a skeleton: implement targets/template/"
          "TemplateDriver.cpp)";
  return nullptr;
}

void *TemplateDevice::allocate(size_t, std::string &error) {
  notYet("allocate", error);
  return nullptr;
}
void TemplateDevice::release(void *) {}
bool TemplateDevice::upload(void *, const void *, size_t, std::string &error) {
  return notYet("upload", error);
}
bool TemplateDevice::download(void *, const void *, size_t,
                              std::string &error) {
  return notYet("download", error);
}
bool TemplateDevice::copy(void *, const void *, size_t, std::string &error) {
  return notYet("copy", error);
}
bool TemplateDevice::copy2D(void *, size_t, const void *, size_t, size_t,
                            size_t, std::string &error) {
  return notYet("copy2D", error);
}
bool TemplateDevice::fill32(void *, uint32_t, size_t, std::string &error) {
  return notYet("fill32", error);
}
bool TemplateDevice::synchronize(std::string &error) {
  return notYet("synchronize", error);
}

std::unique_ptr<KernelLibrary>
templ::createKernelLibrary(TemplateDevice &, const std::string &,
                           const std::vector<std::string> &,
                           std::string &error) {
  notYet("createKernelLibrary", error);
  return nullptr;
}
