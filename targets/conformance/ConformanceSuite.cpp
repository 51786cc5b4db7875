//===- ConformanceSuite.cpp - run a case on a target and the reference ----===//
#include "targets/conformance/ConformanceSuite.h"

#include "runtime/FloatFormats.h"
#include "runtime/KernelArgs.h"
#include "targets/reference/ReferenceTarget.h"

#include "dialects/tile/TileDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace mlir;

namespace dsv4c::conformance {
namespace {

std::vector<HostTensor> makeBuffers(const Case &c) {
  std::vector<HostTensor> buffers;
  uint64_t seed = std::hash<std::string>{}(c.name);
  for (const Arg &a : c.args) {
    if (a.kind != Arg::Kind::Buffer)
      continue;
    HostTensor t(a.type, a.shape);
    if (a.random)
      fillRandom(t, seed++, a.intLo, a.intHi);
    buffers.push_back(std::move(t));
  }
  return buffers;
}

KernelArgs packArgs(const Case &c, std::vector<HostTensor> &buffers) {
  KernelArgs args;
  size_t next = 0;
  for (const Arg &a : c.args) {
    switch (a.kind) {
    case Arg::Kind::Buffer:
      args.addPointer(buffers[next++].data());
      break;
    case Arg::Kind::Index:
      args.addIndex(static_cast<int64_t>(a.scalar));
      break;
    case Arg::Kind::I32:
      args.addI32(static_cast<int32_t>(a.scalar));
      break;
    case Arg::Kind::F32:
      args.addF32(static_cast<float>(a.scalar));
      break;
    }
  }
  return args;
}

/// Compares element by element; NaN equals NaN.
void compare(const HostTensor &ref, const HostTensor &got, size_t argIndex,
             Result &result) {
  for (int64_t i = 0; i < ref.numElements(); ++i) {
    double r, g;
    if (isFloatType(ref.type)) {
      r = loadFloat(ref.data(), ref.type, i);
      g = loadFloat(got.data(), got.type, i);
    } else {
      r = static_cast<double>(loadInt(ref.data(), ref.type, i));
      g = static_cast<double>(loadInt(got.data(), got.type, i));
    }
    double err;
    if (std::isnan(r) || std::isnan(g))
      err = std::isnan(r) && std::isnan(g) ? 0 : INFINITY;
    else if (r == g)
      err = 0; // also equal infinities
    else
      err = std::fabs(r - g) / std::max(1.0, std::fabs(r));
    if (err > result.maxError) { // remember the worst element
      result.maxError = err;
      result.message.clear();
      llvm::raw_string_ostream(result.message)
          << "buffer arg #" << argIndex << " element " << i << ": target "
          << g << ", reference " << r;
    }
  }
}

} // namespace

Result runCase(const Case &c, MLIRContext &context,
               const RunnerFactory &target) {
  Result result;
  std::string diagnostics;
  llvm::raw_string_ostream diagOs(diagnostics);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagOs << d.getLocation() << ": " << d << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(c.source, &context, c.name);
  if (!module) {
    result.message = "parse failed: " + diagnostics;
    return result;
  }
  auto kernels = module->getOps<tile::KernelOp>();
  if (std::distance(kernels.begin(), kernels.end()) != 1) {
    result.message = "case must contain exactly one tile.kernel";
    return result;
  }
  std::string name = (*kernels.begin()).getSymName().str();

  std::string error;
  auto refRunner = reference::createRunner(*module, name, error);
  if (!refRunner) {
    result.message = "reference: " + error;
    return result;
  }
  auto runner = target(*module, name, error);
  if (!runner) {
    result.message = error + diagnostics;
    return result;
  }

  std::vector<HostTensor> refBuffers = makeBuffers(c);
  std::vector<HostTensor> buffers = refBuffers;
  KernelArgs refArgs = packArgs(c, refBuffers);
  KernelArgs args = packArgs(c, buffers);
  if (!refRunner->launch(refArgs.data(), c.grid, error)) {
    result.message = "reference launch: " + error;
    return result;
  }
  auto start = std::chrono::steady_clock::now();
  bool launched = runner->launch(args.data(), c.grid, error);
  result.millis = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (!launched) {
    result.message = "launch: " + error;
    return result;
  }
  result.message.clear();
  for (size_t i = 0; i < buffers.size(); ++i)
    compare(refBuffers[i], buffers[i], i, result);
  result.passed = result.maxError <= c.tolerance;
  if (result.passed)
    result.message.clear();
  return result;
}

} // namespace dsv4c::conformance
