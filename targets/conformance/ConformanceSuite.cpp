//===- ConformanceSuite.cpp - run a case on a target and the reference ----===//
#include "targets/conformance/ConformanceSuite.h"

#include "runtime/FloatFormats.h"
#include "runtime/KernelArgs.h"
#include "runtime/Npy.h"
#include "runtime/TensorCompare.h"
#include "targets/reference/ReferenceTarget.h"

#include "dialects/tile/TileDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

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
    // Only buffers with random contents take a seed, as before BufferFill.
    fillBuffer(t, a.fill, a.fill.usesSeed() ? seed++ : 0);
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
  TensorDifference d = compareTensors(ref, got);
  if (d.maxError > result.maxError) { // remember the worst element
    result.maxError = d.maxError;
    result.message.clear();
    llvm::raw_string_ostream(result.message)
        << "buffer arg #" << argIndex << " element " << d.worst << ": target "
        << d.got << ", reference " << d.want;
  }
}

/// The case's module and its one kernel's name; null with `error` set.
OwningOpRef<ModuleOp> parseCase(const Case &c, MLIRContext &context,
                                std::string &name, std::string &error) {
  std::string diagnostics;
  llvm::raw_string_ostream diagOs(diagnostics);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagOs << d.getLocation() << ": " << d << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(c.source, &context, c.name);
  if (!module) {
    error = "parse failed: " + diagnostics;
    return nullptr;
  }
  auto kernels = module->getOps<tile::KernelOp>();
  if (std::distance(kernels.begin(), kernels.end()) != 1) {
    error = "case must contain exactly one tile.kernel";
    return nullptr;
  }
  name = (*kernels.begin()).getSymName().str();
  return module;
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
  std::string name, error;
  OwningOpRef<ModuleOp> module = parseCase(c, context, name, error);
  if (!module) {
    result.message = error;
    return result;
  }

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

bool exportCase(const Case &c, MLIRContext &context,
                const CodeCompiler &compile, const std::string &dir,
                PackCase &out, std::string &error,
                const std::string &sharedCode) {
  namespace fs = std::filesystem;
  std::string name;
  OwningOpRef<ModuleOp> module = parseCase(c, context, name, error);
  if (!module)
    return false;
  auto reference = reference::createRunner(*module, name, error);
  if (!reference)
    return false;
  std::vector<HostTensor> inputs = makeBuffers(c);
  std::vector<HostTensor> wants = inputs;
  KernelArgs args = packArgs(c, wants);
  if (!reference->launch(args.data(), c.grid, error))
    return false;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / c.name, ec);
  out = PackCase{
      c.name, c.op,
      name,   sharedCode.empty() ? c.name + "/kernel.code" : sharedCode,
      c.grid, c.tolerance,
      {}};
  if (sharedCode.empty()) {
    std::string code;
    if (!compile(*module, code, error))
      return false;
    std::ofstream(fs::path(dir) / out.code, std::ios::binary) << code;
  }
  size_t k = 0;
  for (const Arg &a : c.args) {
    PackArg pa;
    switch (a.kind) {
    case Arg::Kind::Buffer: {
      pa.kind = "buffer";
      pa.input = c.name + "/arg" + std::to_string(k) + ".npy";
      // A buffer that starts as zeros (an output) needs no file; one the
      // kernel only reads wants its input back: one file for both (most of
      // a pack is weights).
      bool zeros =
          std::all_of(inputs[k].storage.begin(), inputs[k].storage.end(),
                      [](uint8_t b) { return b == 0; });
      if (zeros)
        pa.input.clear();
      else if (!writeNpy((fs::path(dir) / pa.input).string(), inputs[k], error))
        return false;
      pa.want = pa.input;
      if (zeros || wants[k].storage != inputs[k].storage) {
        pa.want = c.name + "/want" + std::to_string(k) + ".npy";
        if (!writeNpy((fs::path(dir) / pa.want).string(), wants[k], error))
          return false;
      }
      ++k;
      break;
    }
    case Arg::Kind::Index:
      pa.kind = "index";
      pa.value = a.scalar;
      break;
    case Arg::Kind::I32:
      pa.kind = "i32";
      pa.value = a.scalar;
      break;
    case Arg::Kind::F32:
      pa.kind = "f32";
      pa.value = a.scalar;
      break;
    }
    out.args.push_back(std::move(pa));
  }
  return true;
}

} // namespace dsv4c::conformance
