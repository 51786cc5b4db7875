//===- JitKernels.cpp - the V4 kernels compiled in-process ----------------===//
#include "models/v4/JitKernels.h"

#include "models/v4/KernelSources.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cuda/CudaCompile.h"
#include "targets/cuda/CudaKernels.h"
#include "targets/opencl/OpenclCompile.h"
#include "targets/opencl/OpenclDriver.h"
#include "targets/reference/ReferenceTarget.h"
#include "tools/dsv4c/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {

using ParsedKernels = KernelModule;
} // namespace

bool v4::parseKernelModule(KernelModule &out, std::string &error) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  out.context = std::make_unique<mlir::MLIRContext>(registry);
  out.context->loadAllAvailableDialects();
  llvm::raw_string_ostream errors(error);
  mlir::ScopedDiagnosticHandler handler(
      out.context.get(), [&](mlir::Diagnostic &diag) {
        errors << diag.getLocation() << ": " << diag << "\n";
        return mlir::success();
      });
  out.module = mlir::ModuleOp::create(mlir::UnknownLoc::get(out.context.get()));
  for (const KernelSourceFile &file : kernelSources()) {
    mlir::ParserConfig config(out.context.get());
    mlir::OwningOpRef<mlir::ModuleOp> parsed =
        mlir::parseSourceString<mlir::ModuleOp>(
            file.text, config, std::string("models/v4/kernels/") + file.name);
    if (!parsed) {
      error = "cannot parse models/v4/kernels/" + std::string(file.name) +
              ":\n" + error;
      return false;
    }
    // Move the file's kernels into the one module.
    auto &ops = parsed->getBody()->getOperations();
    out.module->getBody()->getOperations().splice(out.module->getBody()->end(),
                                                  ops, ops.begin(), ops.end());
  }
  return true;
}

namespace {
class ReferenceKernels : public KernelLibrary {
public:
  explicit ReferenceKernels(ParsedKernels parsed) : parsed(std::move(parsed)) {}
  KernelRunner *find(const std::string &name, std::string &error) override {
    auto it = runners.find(name);
    if (it != runners.end())
      return it->second.get();
    auto runner = reference::createRunner(*parsed.module, name, error);
    if (!runner)
      return nullptr;
    return (runners[name] = std::move(runner)).get();
  }

private:
  ParsedKernels parsed;
  std::map<std::string, std::unique_ptr<KernelRunner>> runners;
};

} // namespace

bool v4::isJitTarget(const std::string &target) {
  return target == "cpu" || target == "reference" || target == "cuda" ||
         target == "opencl";
}

std::unique_ptr<KernelLibrary> v4::createJitKernels(const JitOptions &options,
                                                    std::string &error) {
  if (!isJitTarget(options.target)) {
    error = "unknown target '" + options.target +
            "' (this build compiles for: cpu, reference, cuda, opencl)";
    return nullptr;
  }
  ParsedKernels parsed;
  if (!parseKernelModule(parsed, error))
    return nullptr;
  if (options.target == "reference")
    return std::make_unique<ReferenceKernels>(std::move(parsed));
  if (options.target == "cuda") {
    // Builds without RTTI: the cuda target's device names itself "cuda".
    auto *device = options.device && options.device->name() == "cuda"
                       ? static_cast<cuda::CudaDevice *>(options.device)
                       : nullptr;
    if (!device) {
      error = "cuda: the kernels need a CUDA device";
      return nullptr;
    }
    std::string ptx;
    if (!cuda::compileToPtx(*parsed.module, {}, ptx, error))
      return nullptr;
    return cuda::createKernelLibrary(*device, ptx,
                                     cpu::kernelNames(*parsed.module), error);
  }
  if (options.target == "opencl") {
    auto *device = options.device && options.device->name() == "opencl"
                       ? static_cast<opencl::OpenclDevice *>(options.device)
                       : nullptr;
    if (!device) {
      error = "opencl: the kernels need an OpenCL device";
      return nullptr;
    }
    std::string source;
    std::vector<opencl::KernelSignature> signatures;
    if (!opencl::compileToOpenclC(*parsed.module, source, signatures, error))
      return nullptr;
    std::vector<gpu::KernelArguments> kernels;
    for (const opencl::KernelSignature &k : signatures)
      kernels.push_back({k.name, k.argumentBytes});
    return opencl::createKernelLibrary(*device, source, kernels, error);
  }
  return cpu::createLibrary(*parsed.module, error,
                            cpu::CpuOptions{options.threads});
}
