//===- ConformanceSuite.h - every tile op on a target vs reference -*- C++
//-*-===//
//
// The porting kit's yardstick: each case is a small tile kernel with inputs;
// a target conforms when its outputs match the reference target's within
// the case's tolerance. Shapes include ragged edges and masks.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CONFORMANCE_CONFORMANCESUITE_H
#define DSV4C_TARGETS_CONFORMANCE_CONFORMANCESUITE_H

#include "runtime/HostTensor.h"
#include "targets/KernelRunner.h"
#include "targets/conformance/BufferFill.h"
#include "targets/conformance/ConformancePack.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c::conformance {

/// One kernel argument: a buffer (random or zero-filled) or a scalar.
struct Arg {
  enum class Kind { Buffer, Index, I32, F32 } kind = Kind::Buffer;
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;
  BufferFill fill;   // buffers
  double scalar = 0; // scalars

  static Arg buffer(ElementType t, std::vector<int64_t> shape) {
    return Arg{Kind::Buffer, t, std::move(shape)};
  }
  static Arg ints(ElementType t, std::vector<int64_t> shape, int64_t lo,
                  int64_t hi) {
    Arg a = buffer(t, std::move(shape));
    a.fill.lo = lo;
    a.fill.hi = hi;
    return a;
  }
  /// Distinct integers drawn from [0, range): slots that a kernel writes.
  static Arg distinct(ElementType t, std::vector<int64_t> shape,
                      int64_t range) {
    Arg a = ints(t, std::move(shape), 0, range - 1);
    a.fill.distinct = true;
    return a;
  }
  /// ue8m0 scales 2^(lo-127) .. 2^(hi-127).
  static Arg scales(std::vector<int64_t> shape, int64_t lo, int64_t hi) {
    Arg a = ints(ElementType::F8E8M0FNU, std::move(shape), lo, hi);
    a.fill.scaleCodes = true;
    return a;
  }
  /// Integers given in full (tables whose entries must agree, like a
  /// grouped launch's (expert, first row, rows)).
  static Arg values(ElementType t, std::vector<int64_t> shape,
                    std::vector<int64_t> v) {
    Arg a = buffer(t, std::move(shape));
    a.fill.values = std::move(v);
    return a;
  }
  /// Floats in [0, 1] (sums of squares and the like).
  static Arg nonNegative(ElementType t, std::vector<int64_t> shape) {
    Arg a = buffer(t, std::move(shape));
    a.fill.nonNegative = true;
    return a;
  }
  static Arg output(ElementType t, std::vector<int64_t> shape) {
    Arg a = buffer(t, std::move(shape));
    a.fill.random = false;
    return a;
  }
  static Arg index(int64_t v) {
    return Arg{Kind::Index, {}, {}, {}, double(v)};
  }
  static Arg f32(double v) { return Arg{Kind::F32, {}, {}, {}, v}; }
};

struct Case {
  std::string op;     // the op under test, e.g. "tile.dot"
  std::string name;   // unique, e.g. "dot_f8_scaled_37x50x128"
  std::string source; // MLIR with exactly one tile.kernel
  std::vector<Arg> args;
  Grid grid{1, 1, 1};
  /// Allowed |target - reference| / max(1, |reference|) per element.
  double tolerance = 0;
};

/// Every case of the suite.
std::vector<Case> allCases();

/// Makes a runner for the kernel `name` of `module` on some target.
using RunnerFactory = std::function<std::unique_ptr<KernelRunner>(
    mlir::ModuleOp module, const std::string &name, std::string &error)>;

struct Result {
  bool passed = false;
  double maxError = 0; // as defined for Case::tolerance
  double millis = 0;   // the target's launch, wall time
  std::string message; // why it failed, naming the buffer and element
};

/// Parses the case (in `context`, which must have the dsv4c dialects), runs
/// it on the reference and on `target` with identical inputs, and compares
/// every buffer argument afterwards.
Result runCase(const Case &c, mlir::MLIRContext &context,
               const RunnerFactory &target);

/// A target's code for the one kernel of a case's module (PTX for cuda).
using CodeCompiler = std::function<bool(mlir::ModuleOp module,
                                        std::string &code, std::string &error)>;

/// Runs the case on the reference and writes what a pack needs to run it
/// elsewhere into `dir` (ConformancePack.h): the code, the inputs and the
/// reference's outputs. `out` describes it for pack.json. With `sharedCode`
/// (a file of `dir` holding the case's kernel among others, written by the
/// caller), `compile` is not called and the case refers to that file.
bool exportCase(const Case &c, mlir::MLIRContext &context,
                const CodeCompiler &compile, const std::string &dir,
                PackCase &out, std::string &error,
                const std::string &sharedCode = "");

} // namespace dsv4c::conformance

#endif
