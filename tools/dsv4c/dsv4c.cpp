//===- dsv4c.cpp - the dsv4c driver: dispatches to subcommands ------------===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "dialects/tile/TileDialect.h"

#include "mlir/IR/DialectRegistry.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {
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
     dsv4c::runGenCheckpointCommand},
    {"run", "run a V4 model directory end to end (prefill + decode)",
     dsv4c::runRunCommand},
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
