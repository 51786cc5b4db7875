//===- Commands.h - dsv4c subcommands -------------------------*- C++ -*-===//
#ifndef DSV4C_TOOLS_COMMANDS_H
#define DSV4C_TOOLS_COMMANDS_H

namespace dsv4c {
// Each takes argv with argv[0] naming the subcommand, e.g. "dsv4c opt".
int runOptCommand(int argc, char **argv);
int runKernelCommand(int argc, char **argv);
int runCompileCommand(int argc, char **argv);
int runPtxCommand(int argc, char **argv);
int runCodegenCommand(int argc, char **argv);
int runConformCommand(int argc, char **argv);
} // namespace dsv4c

#endif
