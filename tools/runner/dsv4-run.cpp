//===- dsv4-run.cpp - the runtime-only tool: runs bundles -----------------===//
//
// Built without LLVM/MLIR (cmake -DDSV4C_RUNTIME_ONLY=ON): runs bundles made
// by `dsv4c compile` on a machine that has only a C++ runtime.
//
//===----------------------------------------------------------------------===//
#include "tools/runner/Commands.h"

#include <cstdio>
#include <string>

using namespace dsv4c::runner;

namespace {
void usage(FILE *out) {
  std::fprintf(out,
               "usage: dsv4-run <command> [options]\n\n"
               "Runs DeepSeek-V4 bundles made by `dsv4c compile`.\n\n"
               "commands:\n"
               "  run       run a bundle end to end (prefill + decode)\n"
               "  bench     prefill and decode tokens/s of a bundle\n"
               "  inspect   what a bundle holds\n"
               "  targets   the targets and drivers this runtime finds\n"
               "  conform   run a conformance pack (dsv4c conform --export)\n"
               "  gen-checkpoint  write a seeded random V4 checkpoint (the\n"
               "            V4-Flash shapes: --preset flash --layers N)\n\n"
               "'dsv4-run <command> --help' describes a command.\n");
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  std::string prog = "dsv4-run " + cmd;
  argv[1] = prog.data();
  if (cmd == "run")
    return runCommand(argc - 1, argv + 1, nullptr);
  if (cmd == "bench")
    return benchCommand(argc - 1, argv + 1, nullptr);
  if (cmd == "inspect")
    return inspectCommand(argc - 1, argv + 1);
  if (cmd == "conform")
    return conformCommand(argc - 1, argv + 1);
  if (cmd == "gen-checkpoint")
    return genCheckpointCommand(argc - 1, argv + 1);
  if (cmd == "targets")
    return targetsCommand(argc - 1, argv + 1, {});
  std::fprintf(stderr, "dsv4-run: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return 1;
}
