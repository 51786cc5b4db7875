//===- ConformancePack.h - conformance cases to run elsewhere ---*- C++ -*-===//
//
// The conformance suite needs the compiler (to lower each case) and the
// reference target; a GPU machine has neither. A pack is a directory that
// `dsv4c conform --target T --export DIR` writes: pack.json, and per case
// the target's code and every buffer argument before (`argK.npy`) and after
// the reference ran (`wantK.npy`); a buffer the kernel only reads names its
// input as its want, and one that starts as zeros (an output) has no input.
// Cases may share one program (the V4
// kernels: one file of code, listed under "libraries"). The optional model
// row runs a tiny V4 checkpoint end to end with such a library and compares
// each step's logits with the reference target's. `dsv4-run conform DIR`,
// built without LLVM, runs it on the device and prints the same table.
// Links no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CONFORMANCE_CONFORMANCEPACK_H
#define DSV4C_TARGETS_CONFORMANCE_CONFORMANCEPACK_H

#include "runtime/Device.h"
#include "targets/conformance/BufferFill.h"
#include "runtime/ElementType.h"
#include "runtime/Json.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace dsv4c::conformance {

struct PackArg {
  std::string kind;        // "buffer", "index", "i32", "f32"
  std::string input, want; // buffers: files in the pack; no input: zeros
  double value = 0;        // scalars
  /// Generated buffers (bench packs, no files): element type, shape and
  /// how the conformance case fills it (fillBuffer).
  std::optional<ElementType> type;
  std::vector<int64_t> shape;
  BufferFill fill;
};

struct PackCase {
  std::string name, op, kernel;
  std::string code; // the target's code for the kernel, a file
  Grid grid{1, 1, 1};
  double tolerance = 0;
  std::vector<PackArg> args;
};

/// A kernel of a shared program, with the byte size of each argument (what
/// an OpenCL or arena launch needs to know).
struct PackKernel {
  std::string name;
  std::vector<uint32_t> argumentBytes;
};

/// A program that several cases (and the model row) share.
struct PackLibrary {
  std::string code; // file, relative to the pack
  std::vector<PackKernel> kernels;
};

/// V4 end to end: greedy generation from `tokens` on a checkpoint, each
/// step's logits against the reference target's.
struct PackModel {
  std::string name;       // the table's case column
  std::string checkpoint; // a model directory, relative to the pack
  std::string code;       // the PackLibrary its kernels come from
  std::vector<int64_t> tokens;
  int64_t newTokens = 0;
  std::string want; // .npy [steps, vocab] f32, relative to the pack
  /// Allowed relative L2 error of each step's logits.
  double tolerance = 0;
};

struct Pack {
  std::string target; // "cuda" or "opencl"
  /// A bench pack: generated buffers, no reference outputs; `dsv4-run
  /// conform` times each case instead of checking it.
  bool bench = false;
  std::vector<PackCase> cases;
  std::vector<PackLibrary> libraries;
  bool hasModel = false;
  PackModel model;
  const PackLibrary *findLibrary(const std::string &code) const;
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

/// A bench case's time: `iters` launches after 3 warm-up ones, each waited
/// for. `bytes`: all its buffers.
struct BenchResult {
  bool ok = false;
  /// Per launch: amortised over `iters` back-to-back launches and one wait
  /// at the end (the device's time, launch cost hidden behind the queue);
  /// the median and fastest of `iters` launches each waited for (launch
  /// and wait included).
  double backToBackMicros = 0, medianMicros = 0, minMicros = 0;
  int64_t bytes = 0;
  std::string message;
};
BenchResult benchPackCase(const PackCase &c, Device &device,
                          KernelRunner &runner, int iters);

/// The worst relative L2 error over the steps of `got` against `want` (each
/// [steps][vocab]) and how many steps agree on the argmax; false with
/// `error` set when the step counts or widths differ.
bool compareLogits(const std::vector<std::vector<float>> &want,
                   const std::vector<std::vector<float>> &got,
                   double &worstRelL2, size_t &argmaxAgree, std::string &error);

/// The table `dsv4c conform` and `dsv4-run conform` print.
void printResultHeader(std::FILE *out);
void printResultRow(std::FILE *out, const std::string &op,
                    const std::string &name, const Grid &grid, double tolerance,
                    const CaseResult &r);

} // namespace dsv4c::conformance

#endif
