//===- KernelTestUtil.h - shared helpers of the V4 kernel tests -*- C++ -*-===//
//
// Loads kernels from models/v4/kernels (embedded); runs them on the cpu
// target against the reference target (conformance::runCase, random inputs;
// cases from models/v4/KernelCases.h) or on one target with inputs the test
// chooses; bf16 helpers in plain C++ so that expected values do not reuse
// the runtime's conversions.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TESTS_V4KERNELS_KERNELTESTUTIL_H
#define DSV4C_TESTS_V4KERNELS_KERNELTESTUTIL_H

#include "dialects/tile/TileDialect.h"
#include "models/v4/KernelCases.h"
#include "runtime/HostTensor.h"
#include "runtime/KernelArgs.h"
#include "targets/conformance/ConformanceSuite.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/reference/ReferenceTarget.h"
#include "tools/dsv4c/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace dsv4c::kerneltest {

using T = ElementType;

/// The text of kernel `name` of models/v4/kernels/`file` (the whole file if
/// `name` is empty), as embedded in the build (v4::kernelText); fails the
/// test when there is no such kernel.
inline std::string kernelSource(const std::string &file,
                                const std::string &name = "") {
  std::string text = v4::kernelText(file, name);
  EXPECT_FALSE(text.empty()) << "no kernel @" << name << " in " << file;
  return text;
}

inline mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registerDialects(registry);
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

/// Forwards to a compiled kernel shared by all runners of the same source.
class SharedRunner : public KernelRunner {
public:
  explicit SharedRunner(std::shared_ptr<KernelRunner> inner)
      : inner(std::move(inner)) {}
  bool launch(void **args, Grid grid, std::string &error) override {
    return inner->launch(args, grid, error);
  }

private:
  std::shared_ptr<KernelRunner> inner;
};

/// The cpu target with two threads (programs of a grid must also be correct
/// when concurrent). The O3 JIT takes seconds per kernel, so a kernel is
/// compiled once per process (keyed by its printed module) and shared by the
/// cases of a test.
inline std::unique_ptr<KernelRunner> cpuRunner(mlir::ModuleOp module,
                                               const std::string &name,
                                               std::string &error) {
  static std::map<std::string, std::shared_ptr<KernelRunner>> cache;
  std::string key;
  llvm::raw_string_ostream os(key);
  module->print(os);
  key += "@" + name;
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::unique_ptr<KernelRunner> r =
        cpu::createRunner(module, name, error, cpu::CpuOptions{2});
    if (!r)
      return nullptr;
    it = cache.emplace(key, std::shared_ptr<KernelRunner>(std::move(r))).first;
  }
  return std::make_unique<SharedRunner>(it->second);
}

/// (a): the cpu target against the reference target on random inputs.
inline void expectCpuMatchesReference(const conformance::Case &c) {
  conformance::Result r = conformance::runCase(c, context(), cpuRunner);
  EXPECT_TRUE(r.passed) << c.name << ": max error " << r.maxError
                        << " > tolerance " << c.tolerance << "\n"
                        << r.message;
}

/// One argument of a launch with chosen inputs.
struct KArg {
  enum Kind { Buffer, Index, F32 } kind = Buffer;
  HostTensor *buffer = nullptr;
  int64_t i = 0;
  float f = 0;
  static KArg buf(HostTensor &t) { return KArg{Buffer, &t, 0, 0}; }
  static KArg idx(int64_t v) { return KArg{Index, nullptr, v, 0}; }
  static KArg f32(float v) { return KArg{F32, nullptr, 0, v}; }
};

enum class Target { Reference, Cpu };

/// Runs kernel `name` of `source` once on `target`; buffers are updated in
/// place. Fails the test (and returns false) on any error.
inline bool launch(Target target, const std::string &source,
                   const std::string &name, const std::vector<KArg> &args,
                   Grid grid) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context(), name);
  EXPECT_TRUE(module) << "parse failed: " << name;
  if (!module)
    return false;
  // The launch ABI (an array of pointers) carries no count: a launch given
  // too few arguments would read past them.
  auto kernel = module->lookupSymbol<tile::KernelOp>(name);
  EXPECT_TRUE(kernel) << "no tile.kernel @" << name;
  if (!kernel)
    return false;
  if (kernel.getArgumentTypes().size() != args.size()) {
    ADD_FAILURE() << "@" << name << " takes "
                  << kernel.getArgumentTypes().size() << " arguments, "
                  << args.size() << " given";
    return false;
  }
  std::string error;
  std::unique_ptr<KernelRunner> runner =
      target == Target::Reference
          ? reference::createRunner(*module, name, error)
          : cpuRunner(*module, name, error);
  EXPECT_TRUE(runner) << error;
  if (!runner)
    return false;
  KernelArgs packed;
  for (const KArg &a : args) {
    if (a.kind == KArg::Buffer)
      packed.addPointer(a.buffer->data());
    else if (a.kind == KArg::Index)
      packed.addIndex(a.i);
    else
      packed.addF32(a.f);
  }
  bool ok = runner->launch(packed.data(), grid, error);
  EXPECT_TRUE(ok) << error;
  return ok;
}

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

//===----------------------------------------------------------------------===//
// Independent float formats (plain C++, not the runtime's).
//===----------------------------------------------------------------------===//

inline float bitsToFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t floatToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline double bf16Value(uint16_t bits) { return bitsToFloat(uint32_t(bits) << 16); }
/// Round to nearest even (finite inputs).
inline uint16_t toBf16(float f) {
  uint32_t b = floatToBits(f);
  uint32_t lsb = (b >> 16) & 1;
  return uint16_t((b + 0x7FFF + lsb) >> 16);
}
inline double roundBf16(double v) { return bf16Value(toBf16(float(v))); }

//===----------------------------------------------------------------------===//
// Typed access to host tensors, random inputs, tolerance checks.
//===----------------------------------------------------------------------===//

inline uint16_t *bf16Data(HostTensor &t) { return reinterpret_cast<uint16_t *>(t.data()); }
inline float *f32Data(HostTensor &t) { return reinterpret_cast<float *>(t.data()); }
inline int32_t *i32Data(HostTensor &t) { return reinterpret_cast<int32_t *>(t.data()); }
inline int64_t *i64Data(HostTensor &t) { return reinterpret_cast<int64_t *>(t.data()); }
inline uint8_t *byteData(HostTensor &t) { return reinterpret_cast<uint8_t *>(t.data()); }

/// A bf16 tensor of uniform values in [lo, hi).
inline HostTensor randomBf16(std::mt19937_64 &gen, std::vector<int64_t> shape,
                             double lo, double hi) {
  HostTensor t(T::BF16, std::move(shape));
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i)
    bf16Data(t)[i] = toBf16(float(u(gen)));
  return t;
}
inline HostTensor randomF32(std::mt19937_64 &gen, std::vector<int64_t> shape,
                            double lo, double hi) {
  HostTensor t(T::F32, std::move(shape));
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i)
    f32Data(t)[i] = float(u(gen));
  return t;
}

/// Checks |got - want| <= relTol * |want| + absTol, remembering the first
/// failure.
struct Closeness {
  double worst = 0; // max of |got - want| - tolerance; > 0 means failure
  std::string where;
  int failures = 0;
  int checked = 0;
  void check(double got, double want, double relTol, double absTol,
             const std::string &what) {
    ++checked;
    double excess = std::fabs(got - want) - (relTol * std::fabs(want) + absTol);
    if (!(excess <= 0) && failures++ == 0) // also NaN
      where = what + ": got " + std::to_string(got) + ", want " +
              std::to_string(want);
    if (!(excess <= worst))
      worst = excess;
  }
};

} // namespace dsv4c::kerneltest

#endif
