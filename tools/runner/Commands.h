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
/// `conform PACK_DIR`: a conformance pack on this machine's device.
int conformCommand(int argc, char **argv);
/// Runs the pack's cases whose name or op contains `filter` (all when
/// empty) and its model row (unless `withModel` is false), printing the
/// table; 0 when all pass. A bench pack's cases are timed instead
/// (`iters` launches each; the times also as JSON to `jsonPath`).
int runPack(const std::string &dir, const std::string &filter,
            bool withModel = true, int iters = 20,
            const std::string &jsonPath = "");
/// `gen-checkpoint OUT_DIR`: a seeded random V4 checkpoint.
int genCheckpointCommand(int argc, char **argv);
/// `compileTargets` lists what the build compiles for (empty in dsv4-run).
int targetsCommand(int argc, char **argv,
                   const std::vector<std::string> &compileTargets);
} // namespace dsv4c::runner

#endif
