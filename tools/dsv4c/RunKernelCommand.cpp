//===- RunKernelCommand.cpp - `dsv4c run-kernel` --------------------------===//
//
// Parses a file of tile kernels, binds `--arg` specs to one kernel's
// parameters, runs it on a target over a grid and prints (and optionally
// saves, and checks against the reference interpreter) what every pointer
// argument holds afterwards. Options: tools/dsv4c/ArgSpec.cpp.
//
//===----------------------------------------------------------------------===//
#include "tools/dsv4c/ArgSpec.h"
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "dialects/tile/TileDialect.h"
#include "runtime/Npy.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/reference/ReferenceTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace dsv4c::runkernel;

namespace {

std::optional<ParamType> paramTypeOf(Type type) {
  ParamType p;
  if (auto ptr = dyn_cast<dsv4c::tile::PtrType>(type)) {
    std::optional<dsv4c::ElementType> e =
        dsv4c::tile::toElementType(ptr.getElementType());
    if (!e)
      return std::nullopt;
    p.kind = ParamType::Pointer;
    p.pointee = *e;
    return p;
  }
  if (type.isIndex())
    p.kind = ParamType::Index;
  else if (type.isInteger(32))
    p.kind = ParamType::I32;
  else if (type.isInteger(64))
    p.kind = ParamType::I64;
  else if (type.isF32())
    p.kind = ParamType::F32;
  else if (type.isF16())
    p.kind = ParamType::F16;
  else if (type.isBF16())
    p.kind = ParamType::BF16;
  else
    return std::nullopt;
  return p;
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

std::unique_ptr<dsv4c::KernelRunner>
makeRunner(const std::string &target, ModuleOp module, llvm::StringRef kernel,
           unsigned threads, std::string &error) {
  if (target == "reference")
    return dsv4c::reference::createRunner(module, kernel, error);
  dsv4c::cpu::CpuOptions options;
  options.numThreads = threads;
  return dsv4c::cpu::createRunner(module, kernel, error, options);
}

/// Binds every spec afresh (random fills are deterministic, files are
/// re-read), so each run starts from identical inputs.
bool bindAll(const Options &opts, const std::vector<ParamType> &params,
             std::vector<BoundArg> &bound, std::string &error) {
  bound.assign(params.size(), BoundArg());
  for (size_t i = 0; i < params.size(); ++i)
    if (!bindArg(opts.args[i], params[i], unsigned(i), opts.seed, bound[i],
                 error))
      return false;
  return true;
}

bool launch(dsv4c::KernelRunner &runner, std::vector<BoundArg> &bound,
            dsv4c::Grid grid, std::string &error) {
  dsv4c::KernelArgs args;
  for (BoundArg &b : bound)
    appendKernelArg(b, args);
  return runner.launch(args.data(), grid, error);
}

} // namespace

int dsv4c::runKernelCommand(int argc, char **argv) {
  std::string prog = argc > 0 ? argv[0] : "dsv4c run-kernel";
  auto fail = [&](const std::string &message) {
    llvm::errs() << prog << ": " << message << "\n";
    return 1;
  };

  Options opts;
  std::string error;
  if (!parseOptions(argc, argv, opts, error))
    return fail(error);
  if (opts.help) {
    llvm::outs() << usageText(prog);
    return 0;
  }

  // Parse and verify; diagnostics print as file:line:col: error: ...
  DialectRegistry registry;
  registerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string openError;
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      mlir::openInputFile(opts.file, &openError);
  if (!buffer)
    return fail(openError);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;
  if (failed(verify(*module)))
    return 1;

  // Pick the kernel.
  std::vector<tile::KernelOp> kernels;
  for (tile::KernelOp k : module->getOps<tile::KernelOp>())
    kernels.push_back(k);
  auto kernelNames = [&] {
    std::string s;
    for (tile::KernelOp k : kernels)
      s += (s.empty() ? "@" : ", @") + k.getSymName().str();
    return s;
  };
  tile::KernelOp kernel;
  if (opts.kernel.empty()) {
    if (kernels.empty())
      return fail(opts.file + " has no tile.kernel");
    if (kernels.size() > 1)
      return fail(opts.file + " has " + std::to_string(kernels.size()) +
                  " kernels (" + kernelNames() + "): choose one with --kernel");
    kernel = kernels.front();
  } else {
    std::string wanted = opts.kernel;
    if (!wanted.empty() && wanted[0] == '@')
      wanted = wanted.substr(1);
    for (tile::KernelOp k : kernels)
      if (k.getSymName() == wanted)
        kernel = k;
    if (!kernel)
      return fail("no kernel @" + wanted + " in " + opts.file +
                  (kernels.empty() ? std::string(" (it has none)")
                                   : " (it has " + kernelNames() + ")"));
  }
  std::string name = kernel.getSymName().str();

  // Match the specs to the signature.
  ArrayRef<Type> inputs = kernel.getArgumentTypes();
  std::vector<ParamType> params;
  std::string signature;
  for (size_t i = 0; i < inputs.size(); ++i) {
    signature += (i ? ", " : "") + typeString(inputs[i]);
    std::optional<ParamType> p = paramTypeOf(inputs[i]);
    if (!p)
      return fail("@" + name + " argument " + std::to_string(i) +
                  " has type " + typeString(inputs[i]) +
                  ", which run-kernel cannot pass");
    params.push_back(*p);
  }
  if (opts.args.size() != params.size())
    return fail("@" + name + " takes " + std::to_string(params.size()) +
                " argument" + (params.size() == 1 ? "" : "s") + " (" +
                signature + "), but " + std::to_string(opts.args.size()) +
                " --arg " + (opts.args.size() == 1 ? "was" : "were") +
                " given");

  std::vector<BoundArg> bound;
  if (!bindAll(opts, params, bound, error))
    return fail(error);

  // Run.
  std::unique_ptr<KernelRunner> runner =
      makeRunner(opts.target, *module, name, opts.threads, error);
  if (!runner)
    return fail(error.empty() ? "target " + opts.target +
                                    " could not prepare @" + name
                              : error);
  auto start = std::chrono::steady_clock::now();
  if (!launch(*runner, bound, opts.grid, error))
    return fail("launch of @" + name + " failed: " + error);
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  llvm::outs() << "@" << name << " on " << opts.target << ", grid "
               << opts.grid[0] << "," << opts.grid[1] << "," << opts.grid[2]
               << ": " << llvm::format("%.3f", ms) << " ms\n";

  for (const BoundArg &b : bound) {
    if (b.param.kind != ParamType::Pointer)
      continue;
    llvm::outs() << b.name << ": " << b.tensor.describe()
                 << "  first values: " << firstValues(b.tensor) << "\n";
  }

  if (!opts.outDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outDir))
      return fail("cannot create --out-dir " + opts.outDir + ": " +
                  ec.message());
    for (const BoundArg &b : bound) {
      if (b.param.kind != ParamType::Pointer)
        continue;
      llvm::SmallString<256> path(opts.outDir);
      llvm::sys::path::append(path, b.name + ".npy");
      if (!writeNpy(path.str().str(), b.tensor, error))
        return fail(error);
    }
  }
  llvm::outs().flush();

  if (!opts.check)
    return 0;

  // Same kernel, same inputs, on the reference interpreter.
  std::vector<BoundArg> expected;
  if (!bindAll(opts, params, expected, error))
    return fail(error);
  std::unique_ptr<KernelRunner> oracle =
      makeRunner("reference", *module, name, 0, error);
  if (!oracle)
    return fail("--check: " + error);
  if (!launch(*oracle, expected, opts.grid, error))
    return fail("--check: reference launch of @" + name + " failed: " + error);
  bool allOk = true;
  for (size_t i = 0; i < bound.size(); ++i) {
    if (bound[i].param.kind != ParamType::Pointer)
      continue;
    double err = maxAbsDifference(bound[i].tensor, expected[i].tensor);
    double limit = opts.tolerance * std::max(1.0, maxAbs(expected[i].tensor));
    bool ok = err <= limit;
    allOk &= ok;
    llvm::outs() << "check " << bound[i].name
                 << " vs reference: max abs error "
                 << llvm::format("%g", err) << "  (limit "
                 << llvm::format("%g", limit) << ") "
                 << (ok ? "ok" : "EXCEEDED") << "\n";
  }
  llvm::outs().flush();
  return allOk ? 0 : 2;
}
