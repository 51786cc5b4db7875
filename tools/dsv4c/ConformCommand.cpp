//===- ConformCommand.cpp - `dsv4c conform`: every tile op vs reference ---===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "targets/conformance/ConformanceSuite.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cuda/CudaCompile.h"
#include "targets/opencl/OpenclCompile.h"
#include "tools/runner/Commands.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::conformance;
namespace fs = std::filesystem;

namespace {
const char *kUsage =
    R"(usage: dsv4c conform --target T [--export DIR] [--filter TEXT]

Runs the conformance suite (targets/conformance: every tile op, with ragged
edges, masks, NaNs and ties) on target T against the reference target and
prints one row per case: op, case, grid, max error, tolerance, result, time.
Exit status 1 when a case fails.

targets:
  cpu    runs here
  cuda   with --export DIR, writes a conformance pack (the PTX, inputs and
         reference outputs of every case) for `dsv4-run conform DIR` on a
         GPU machine, which needs no compiler; without --export, runs on this
         machine's GPU
  opencl the same with OpenCL C; without --export, runs on this machine's
         first OpenCL device (PoCL on the CPU in CI)

options:
  --target T      cpu, cuda or opencl (required)
  --export DIR    cuda, opencl: write the pack to DIR instead of running it
  --filter TEXT   only the cases whose name or op contains TEXT
  --help          this text
)";

int fail(const std::string &m) {
  std::fprintf(stderr, "dsv4c conform: %s\n", m.c_str());
  return 1;
}

bool selected(const Case &c, const std::string &filter) {
  return filter.empty() || c.name.find(filter) != std::string::npos ||
         c.op.find(filter) != std::string::npos;
}
} // namespace

int dsv4c::runConformCommand(int argc, char **argv) {
  std::string target, exportDir, filter;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--target") {
      if (!value(target))
        return fail("--target needs a name (cpu, cuda or opencl)");
    } else if (arg == "--export") {
      if (!value(exportDir))
        return fail("--export needs a directory");
    } else if (arg == "--filter") {
      if (!value(filter))
        return fail("--filter needs a text");
    } else {
      return fail("unexpected argument '" + arg + "' (see --help)");
    }
  }
  if (target.empty())
    return fail("missing --target (cpu, cuda or opencl; see --help)");
  if (target != "cpu" && target != "cuda" && target != "opencl")
    return fail("unknown target '" + target +
                "' (this build conforms: cpu, cuda, opencl)");
  if (!exportDir.empty() && target == "cpu")
    return fail("--export is for the cuda and opencl targets (cpu runs "
                "here)");

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::vector<Case> cases;
  for (const Case &c : allCases())
    if (selected(c, filter))
      cases.push_back(c);
  if (cases.empty())
    return fail("no case matches '" + filter + "'");

  if (target == "cpu") {
    std::printf("conformance: %zu cases on cpu\n", cases.size());
    printResultHeader(stdout);
    int passed = 0;
    for (const Case &c : cases) {
      Result r = runCase(c, context,
                         [](mlir::ModuleOp module, const std::string &name,
                            std::string &error) {
                           return cpu::createRunner(module, name, error);
                         });
      passed += r.passed;
      printResultRow(stdout, c.op, c.name, c.grid, c.tolerance,
                     {r.passed, r.maxError, r.millis, r.message});
    }
    std::printf("%d of %zu cases passed\n", passed, cases.size());
    return passed == int(cases.size()) ? 0 : 1;
  }

  // cuda, opencl: a pack, run later elsewhere or now here.
  bool runHere = exportDir.empty();
  std::error_code ec;
  std::string dir = runHere ? (fs::temp_directory_path(ec) /
                               ("dsv4c-conform-" + std::to_string(::getpid())))
                                  .string()
                            : exportDir;
  fs::create_directories(dir, ec);
  if (ec)
    return fail(dir + ": cannot create (" + ec.message() + ")");
  Pack pack;
  pack.target = target;
  for (const Case &c : cases) {
    PackCase pc;
    std::string error;
    auto compile = [&](mlir::ModuleOp module, std::string &code,
                       std::string &error) {
      if (target == "cuda")
        return cuda::compileToPtx(module, {}, code, error);
      std::vector<opencl::KernelSignature> kernels;
      return opencl::compileToOpenclC(module, code, kernels, error);
    };
    if (!exportCase(c, context, compile, dir, pc, error))
      return fail(c.name + ": " + error);
    pack.cases.push_back(std::move(pc));
    std::fprintf(stderr, "\rdsv4c conform: exported %zu/%zu", pack.cases.size(),
                 cases.size());
  }
  std::fprintf(stderr, "\n");
  std::string error;
  if (!writePack(dir, pack, error))
    return fail(error);
  if (!runHere) {
    std::printf("wrote %s (%zu cases); run it with: dsv4-run conform %s\n",
                dir.c_str(), pack.cases.size(), dir.c_str());
    return 0;
  }
  int rc = runner::runPack(dir, "");
  fs::remove_all(dir, ec);
  return rc;
}
