//===- dsv4c.cpp - the dsv4c driver: dispatches to subcommands ------------===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "dialects/tile/TileDialect.h"
#include "models/v4/JitKernels.h"
#include "tools/runner/Commands.h"

#include "mlir/IR/DialectRegistry.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {
/// Model directories get their kernels compiled in-process.
std::unique_ptr<dsv4c::KernelLibrary>
jitKernels(const std::string &target, unsigned threads, dsv4c::Device &device,
           std::string &error) {
  if (!dsv4c::v4::isJitTarget(target)) {
    error = "unknown target '" + target +
            "' for a model directory (this build runs: cpu, reference, cuda)";
    return nullptr;
  }
  return dsv4c::v4::createJitKernels({target, threads, &device}, error);
}
int run(int argc, char **argv) {
  return dsv4c::runner::runCommand(argc, argv, jitKernels);
}
int bench(int argc, char **argv) {
  return dsv4c::runner::benchCommand(argc, argv, jitKernels);
}
int inspect(int argc, char **argv) {
  return dsv4c::runner::inspectCommand(argc, argv);
}
int targets(int argc, char **argv) {
  return dsv4c::runner::targetsCommand(
      argc, argv,
      {"cpu", "reference (interpreter, model directories only)",
       "cuda (PTX for sm_90a, one program per thread block)",
       "hip (AMDGPU code objects for gfx942/gfx90a; dsv4c codegen only)",
       "level_zero (SPIR-V kernels; dsv4c codegen only)"});
}

struct Subcommand {
  const char *name;
  const char *help;
  int (*run)(int, char **);
};

const Subcommand kSubcommands[] = {
    {"opt", "parse, verify and run passes on dsv4c IR (like mlir-opt)",
     dsv4c::runOptCommand},
    {"run-kernel", "compile a tile kernel for a target and run it",
     dsv4c::runKernelCommand},
    {"gen-checkpoint",
     "write a seeded random V4 checkpoint in the official format",
     dsv4c::runner::genCheckpointCommand},
    {"compile", "compile a V4 model directory into a bundle (AOT)",
     dsv4c::runCompileCommand},
    {"ptx", "lower tile kernels to PTX (first CUDA lowering)",
     dsv4c::runPtxCommand},
    {"codegen", "lower tile kernels to a GPU target's code (cuda, hip, "
                "level_zero, opencl)",
     dsv4c::runCodegenCommand},
    {"conform", "every tile op on a target vs the reference (a table)",
     dsv4c::runConformCommand},
    {"run", "run a V4 bundle or model directory end to end", run},
    {"bench", "prefill and decode tokens/s of a bundle or model directory",
     bench},
    {"inspect", "what a bundle holds", inspect},
    {"targets", "the targets this build compiles for and the drivers found",
     targets},
};

void printUsage(FILE *out) {
  std::fprintf(out, "usage: dsv4c <command> [options]\n\ncommands:\n");
  for (const Subcommand &s : kSubcommands)
    std::fprintf(out, "  %-15s %s\n", s.name, s.help);
  std::fprintf(out, "\n'dsv4c <command> --help' describes a command.\n");
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    printUsage(stderr);
    return 1;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    printUsage(stdout);
    return 0;
  }
  for (const Subcommand &s : kSubcommands) {
    if (cmd != s.name)
      continue;
    // argv[0] becomes "dsv4c <command>" so usage lines read naturally.
    std::string prog = std::string("dsv4c ") + s.name;
    argv[1] = prog.data();
    return s.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "dsv4c: unknown command '%s'\n\n", cmd.c_str());
  printUsage(stderr);
  return 1;
}
