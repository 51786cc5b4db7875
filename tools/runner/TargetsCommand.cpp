//===- TargetsCommand.cpp - `targets`: what this build can do -------------===//
#include "tools/runner/Commands.h"

#include "targets/cuda/CudaDriver.h"
#include "targets/hip/HipDriver.h"
#include "targets/level_zero/LevelZeroDriver.h"
#include "targets/opencl/OpenclDriver.h"

#include <cstdio>
#include <dlfcn.h>
#include <string>
#include <thread>

using namespace dsv4c;
using namespace dsv4c::runner;

namespace {
const char *kUsage = R"(usage: %s

Lists the targets this build compiles for (dsv4c only), the targets whose
bundle kernels this runtime runs, and the accelerator drivers it finds on
this machine.
)";

const char *arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}
} // namespace

int runner::targetsCommand(int argc, char **argv,
                           const std::vector<std::string> &compileTargets) {
  std::string prog = argv[0];
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, prog.c_str());
      return 0;
    }
    std::fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n",
                 prog.c_str(), arg.c_str());
    return 1;
  }
  std::string list;
  for (const std::string &t : compileTargets)
    list += (list.empty() ? "" : ", ") + t;
  std::printf("compiles for: %s\n",
              list.empty() ? "nothing (a runtime-only build)" : list.c_str());
  list.clear();
  for (const std::string &t : runnableTargets())
    list += (list.empty() ? "" : ", ") + t;
  std::printf("runs bundles for: %s\n", list.c_str());
  std::printf("drivers on this machine:\n");
  std::printf("  cpu         %s, %u hardware threads\n", arch(),
              std::thread::hardware_concurrency());
  std::string error;
  std::vector<cuda::DeviceInfo> gpus;
  std::shared_ptr<cuda::Driver> cu = cuda::loadDriver(error);
  if (cu && cuda::listDevices(*cu, gpus, error)) {
    std::printf("  cuda        %zu device(s)\n", gpus.size());
    for (const cuda::DeviceInfo &g : gpus)
      std::printf("                %d: %s, sm_%d%d, %d SMs, %.1f GiB\n",
                  g.ordinal, g.name.c_str(), g.computeMajor, g.computeMinor,
                  g.multiprocessors, double(g.totalMemory) / (1ull << 30));
  } else {
    std::printf("  cuda        %s\n", error.c_str());
  }
  // Drivers whose devices this runtime opens but does not run bundles on
  // yet (docs/status.md).
  error.clear();
  bool amd = hip::HipDevice::open(0, error) != nullptr;
  std::printf("  hip         %s\n",
              amd ? "device 0 opens (bundles: not yet)" : error.c_str());
  error.clear();
  bool ze = level_zero::LevelZeroDevice::open(0, error) != nullptr;
  std::printf("  level_zero  %s\n",
              ze ? "device 0 opens (bundles: not yet)" : error.c_str());
  error.clear();
  auto cl = opencl::OpenclDevice::open(0, error);
  std::printf("  opencl      %s\n",
              cl ? (cl->description() +
                    " (bundles: not yet; dsv4c run --target opencl compiles)")
                       .c_str()
                 : error.c_str());
  return 0;
}
