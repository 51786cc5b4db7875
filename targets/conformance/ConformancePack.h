//===- ConformancePack.h - conformance cases to run elsewhere ---*- C++ -*-===//
//
// The conformance suite needs the compiler (to lower each case) and the
// reference target; a GPU machine has neither. A pack is a directory that
// `dsv4c conform --target T --export DIR` writes: pack.json, and per case
// the target's code and every buffer argument before (`argK.npy`) and after
// the reference ran (`wantK.npy`). `dsv4-run conform DIR`, built without
// LLVM, runs it on the device and prints the same table. Links no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CONFORMANCE_CONFORMANCEPACK_H
#define DSV4C_TARGETS_CONFORMANCE_CONFORMANCEPACK_H

#include "runtime/Device.h"
#include "runtime/Json.h"

#include <cstdio>
#include <string>
#include <vector>

namespace dsv4c::conformance {

struct PackArg {
  std::string kind;        // "buffer", "index", "i32", "f32"
  std::string input, want; // buffers: files in the case's folder
  double value = 0;        // scalars
};

struct PackCase {
  std::string name, op, kernel;
  std::string code; // the target's code for the kernel, a file
  Grid grid{1, 1, 1};
  double tolerance = 0;
  std::vector<PackArg> args;
};

struct Pack {
  std::string target; // "cuda"
  std::vector<PackCase> cases;
};

JsonValue packCaseJson(const PackCase &c);
bool writePack(const std::string &dir, const Pack &pack, std::string &error);
/// Reads DIR/pack.json; errors name the file and field.
bool readPack(const std::string &dir, Pack &pack, std::string &error);

struct CaseResult {
  bool passed = false;
  double maxError = 0;
  double millis = 0;
  std::string message; // why it failed: the argument and element
};

/// Uploads the case's inputs to `device`, runs `runner` over them, and
/// compares every buffer with the reference's.
CaseResult runPackCase(const std::string &dir, const PackCase &c,
                       Device &device, KernelRunner &runner);

/// The table `dsv4c conform` and `dsv4-run conform` print.
void printResultHeader(std::FILE *out);
void printResultRow(std::FILE *out, const std::string &op,
                    const std::string &name, const Grid &grid, double tolerance,
                    const CaseResult &r);

} // namespace dsv4c::conformance

#endif
