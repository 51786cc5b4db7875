//===- ConformCommand.cpp - `dsv4-run conform PACK` -----------------------===//
#include "tools/runner/Commands.h"

#include "targets/conformance/ConformancePack.h"
#include "targets/cuda/CudaKernels.h"
#include "targets/opencl/OpenclDriver.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace dsv4c;
using namespace dsv4c::conformance;
namespace fs = std::filesystem;

namespace {
const char *kUsage = R"(usage: dsv4-run conform PACK_DIR [--filter TEXT]

Runs a conformance pack (made by `dsv4c conform --target cuda|opencl
--export PACK_DIR` on a machine with the compiler) on this machine's device
(the pack's target: cuda or opencl): every
tile op case against the reference target's outputs. Prints one row per
case (op, case, grid, max error, tolerance, result, ms) and a summary; exit
status 1 when a case fails.

options:
  --filter TEXT   only the cases whose name or op contains TEXT
  --help          this text
)";

int fail(const std::string &m) {
  std::fprintf(stderr, "dsv4-run conform: %s\n", m.c_str());
  return 1;
}
} // namespace

namespace {
/// The byte size of each kernel argument of a pack case.
gpu::KernelArguments kernelArguments(const PackCase &c) {
  gpu::KernelArguments k{c.kernel, {}};
  for (const PackArg &a : c.args)
    k.bytes.push_back(a.kind == "i32" || a.kind == "f32" ? 4 : 8);
  return k;
}
} // namespace

int runner::runPack(const std::string &dir, const std::string &filter) {
  Pack pack;
  std::string error;
  if (!readPack(dir, pack, error))
    return fail(error);
  std::unique_ptr<Device> device;
  std::string deviceName;
  if (pack.target == "cuda") {
    auto cuda = cuda::CudaDevice::open(0, error);
    if (cuda)
      deviceName = cuda->info().name;
    device = std::move(cuda);
  } else if (pack.target == "opencl") {
    auto cl = opencl::OpenclDevice::open(0, error);
    if (cl)
      deviceName = cl->description();
    device = std::move(cl);
  } else {
    return fail(dir + ": a pack for target '" + pack.target +
                "'; this runtime runs packs for: cuda, opencl");
  }
  if (!device)
    return fail(error);
  std::printf("conformance pack %s: %zu cases on %s (%s)\n", dir.c_str(),
              pack.cases.size(), deviceName.c_str(), pack.target.c_str());
  printResultHeader(stdout);
  int passed = 0, run = 0;
  for (const PackCase &c : pack.cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos &&
        c.op.find(filter) == std::string::npos)
      continue;
    ++run;
    CaseResult r;
    std::ifstream in(fs::path(dir) / c.code, std::ios::binary);
    std::stringstream code;
    code << in.rdbuf();
    std::unique_ptr<KernelLibrary> library;
    if (in && pack.target == "cuda")
      library = cuda::createKernelLibrary(
          static_cast<cuda::CudaDevice &>(*device), code.str(), {c.kernel},
          error);
    else if (in)
      library = opencl::createKernelLibrary(
          static_cast<opencl::OpenclDevice &>(*device), code.str(),
          {kernelArguments(c)}, error);
    KernelRunner *runner = library ? library->find(c.kernel, error) : nullptr;
    if (!in)
      r.message = (fs::path(dir) / c.code).string() + ": cannot read";
    else if (!runner)
      r.message = error;
    else
      r = runPackCase(dir, c, *device, *runner);
    passed += r.passed;
    printResultRow(stdout, c.op, c.name, c.grid, c.tolerance, r);
  }
  std::printf("%d of %d cases passed\n", passed, run);
  return passed == run ? 0 : 1;
}

int runner::conformCommand(int argc, char **argv) {
  std::string dir, filter;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--filter") {
      if (i + 1 >= argc)
        return fail("--filter needs a text");
      filter = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (dir.empty()) {
      dir = arg;
    } else {
      return fail("one pack only");
    }
  }
  if (dir.empty())
    return fail("missing PACK_DIR (see --help)");
  return runPack(dir, filter);
}
