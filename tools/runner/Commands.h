//===- Commands.h - the commands the runtime-only tool shares --*- C++ -*-===//
//
// `run`, `bench`, `inspect` and `targets` work the same in dsv4c and in the
// runtime-only dsv4-run; dsv4c passes a JitHook so that they also take model
// directories.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TOOLS_RUNNER_COMMANDS_H
#define DSV4C_TOOLS_RUNNER_COMMANDS_H

#include "tools/runner/Model.h"

namespace dsv4c::runner {
// argv[0] names the command, e.g. "dsv4c run".
int runCommand(int argc, char **argv, const JitHook &jit);
int benchCommand(int argc, char **argv, const JitHook &jit);
int inspectCommand(int argc, char **argv);
/// `compileTargets` lists what the build compiles for (empty in dsv4-run).
int targetsCommand(int argc, char **argv,
                   const std::vector<std::string> &compileTargets);
} // namespace dsv4c::runner

#endif
