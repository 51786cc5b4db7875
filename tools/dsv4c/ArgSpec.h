//===- ArgSpec.h - command line of `dsv4c run-kernel` ----------*- C++ -*-===//
//
// Parsing of `dsv4c run-kernel`'s options and `--arg` specs, and binding of
// specs to kernel parameters, kept free of MLIR so it is unit-testable with
// the runtime alone (tests/runtime/ArgSpecTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TOOLS_DSV4C_ARGSPEC_H
#define DSV4C_TOOLS_DSV4C_ARGSPEC_H

#include "runtime/HostTensor.h"
#include "runtime/KernelArgs.h"
#include "targets/KernelRunner.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4c::runkernel {

/// One `--arg NAME=VALUE`.
struct ArgSpec {
  enum Kind {
    Random,  // NAME=random:SHAPE   (pointer: seeded fill)
    Zeros,   // NAME=zeros:SHAPE    (pointer: zero fill)
    Literal, // NAME=anything else: a .npy path for pointers, a number for
             // scalars (decided when bound to the kernel's parameter)
  };
  Kind kind = Literal;
  std::string name;
  std::string value;           // the text after '='
  std::vector<int64_t> shape;  // Random, Zeros
};

/// "16x64" -> {16, 64}. Every dimension a positive decimal integer.
bool parseShape(std::string_view text, std::vector<int64_t> &shape,
                std::string &error);
/// "X[,Y[,Z]]" -> {X, Y, Z}, missing extents 1, every extent positive.
bool parseGrid(std::string_view text, Grid &grid, std::string &error);
bool parseArgSpec(std::string_view text, ArgSpec &spec, std::string &error);

/// Decimal (or 0x-hex) integer, optionally negative, whole text.
bool parseInt(std::string_view text, int64_t &value);
/// A float the way strtof reads it (also inf, nan), whole text.
bool parseFloat(std::string_view text, float &value);

/// Everything `dsv4c run-kernel` takes on its command line.
struct Options {
  std::string file;
  std::string kernel;         // empty: the only kernel of the file
  std::string target = "cpu"; // "cpu" or "reference"
  Grid grid = {0, 0, 0};
  bool gridGiven = false;
  std::vector<ArgSpec> args;
  std::string outDir;
  bool check = false;
  double tolerance = 1e-4;
  uint64_t seed = 0;
  unsigned threads = 0; // 0: one per hardware thread (cpu target)
  bool help = false;
};

/// Parses argv[1..argc-1] (argv[0] is the program name). Accepts
/// `--flag value` and `--flag=value`. On error returns false with a
/// one-line message in `error`. With --help, returns true and sets
/// options.help without checking that the required options are there.
bool parseOptions(int argc, char **argv, Options &options, std::string &error);

/// The --help text.
std::string usageText(const std::string &prog);

/// A kernel parameter's type, as the calling convention sees it.
struct ParamType {
  enum Kind { Pointer, Index, I32, I64, F32, F16, BF16 };
  Kind kind = Pointer;
  ElementType pointee = ElementType::F32; // Pointer only
};
/// "!tile.ptr<bf16>", "index", "f32", ...
std::string describeParam(const ParamType &param);

/// A spec bound to its parameter: the buffer of a pointer argument, or the
/// value of a scalar.
struct BoundArg {
  std::string name;
  ParamType param;
  HostTensor tensor; // Pointer
  int64_t intValue = 0;
  float floatValue = 0;
};

/// Makes the value for `param` from `spec`: loads the .npy file (whose
/// element type must equal the pointee), fills a random buffer from `seed`,
/// zeros, or parses the scalar. `position` (0-based) names the argument in
/// errors.
bool bindArg(const ArgSpec &spec, const ParamType &param, unsigned position,
             uint64_t seed, BoundArg &out, std::string &error);

/// Checks labels are usable as output file names and are distinct.
bool checkArgNames(const std::vector<ArgSpec> &specs, std::string &error);

/// Appends the argument as the calling convention wants it; a pointer
/// points at `arg.tensor`'s storage.
void appendKernelArg(BoundArg &arg, KernelArgs &args);

/// "v0 v1 v2 ..." for the first `count` elements (fewer if the tensor is
/// smaller): integers in decimal, floats with %g.
std::string firstValues(const HostTensor &t, int count = 8);

/// Largest |x| over the tensor as floats, NaNs ignored.
double maxAbs(const HostTensor &t);

} // namespace dsv4c::runkernel

#endif
