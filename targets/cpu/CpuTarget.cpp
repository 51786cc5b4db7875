//===- CpuTarget.cpp - the host CPU target --------------------------------===//
#include "targets/cpu/CpuTarget.h"

#include "lowering/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlir;

namespace dsv4c::cpu {
namespace {

using KernelFn = void (*)(void **, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t);

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// Runs the CPU pipeline on a clone of `module` and translates it to LLVM IR
/// optimised at O3 for this host.
std::unique_ptr<llvm::Module>
compileToLLVM(ModuleOp module, llvm::LLVMContext &llvmContext,
              llvm::orc::JITTargetMachineBuilder &jtmb, std::string &error) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> clone = module.clone();
  llvm::raw_string_ostream errors(error);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    errors << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  PassManager pm(context);
  buildCpuPipeline(pm);
  if (failed(pm.run(*clone))) {
    error = "cpu: lowering failed:\n" + error;
    return nullptr;
  }
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*clone, llvmContext, "dsv4c-cpu");
  if (!llvmModule) {
    error = "cpu: translation to LLVM IR failed:\n" + error;
    return nullptr;
  }

  auto tm = jtmb.createTargetMachine();
  if (!tm) {
    error = "cpu: " + llvm::toString(tm.takeError());
    return nullptr;
  }
  llvmModule->setDataLayout((*tm)->createDataLayout());
  llvmModule->setTargetTriple((*tm)->getTargetTriple());
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", (*tm)->getTargetCPU());
      f.addFnAttr("target-features", (*tm)->getTargetFeatureString());
    }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm->get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(*llvmModule, mam);
  return llvmModule;
}

class CpuKernelRunner : public KernelRunner {
public:
  CpuKernelRunner(std::unique_ptr<llvm::orc::LLJIT> jit, KernelFn fn,
                  unsigned numThreads)
      : jit(std::move(jit)), fn(fn), numThreads(numThreads) {}

  bool launch(void **args, Grid grid, std::string &error) override {
    for (int64_t extent : grid)
      if (extent < 1) {
        error = "cpu: grid extents must be at least 1";
        return false;
      }
    int64_t total = grid[0] * grid[1] * grid[2];
    unsigned threads = numThreads ? numThreads
                                  : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<int64_t>(threads, total));
    std::atomic<int64_t> next{0};
    auto work = [&] {
      for (int64_t p = next++; p < total; p = next++) {
        int64_t x = p % grid[0], y = (p / grid[0]) % grid[1],
                z = p / (grid[0] * grid[1]);
        fn(args, x, y, z, grid[0], grid[1], grid[2]);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
      pool.emplace_back(work);
    work();
    for (std::thread &t : pool)
      t.join();
    return true;
  }

private:
  std::unique_ptr<llvm::orc::LLJIT> jit; // owns the code behind `fn`
  KernelFn fn;
  unsigned numThreads;
};

} // namespace

bool emitLLVMIR(ModuleOp module, std::string &ir, std::string &error) {
  initializeNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = "cpu: " + llvm::toString(jtmb.takeError());
    return false;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule = compileToLLVM(module, llvmContext, *jtmb, error);
  if (!llvmModule)
    return false;
  llvm::raw_string_ostream os(ir);
  llvmModule->print(os, nullptr);
  return true;
}

std::unique_ptr<KernelRunner> createRunner(ModuleOp module,
                                           llvm::StringRef kernelName,
                                           std::string &error,
                                           CpuOptions options) {
  initializeNativeTarget();
  if (!SymbolTable::lookupSymbolIn(module, kernelName)) {
    error = ("cpu: no kernel named '" + kernelName + "' in the module").str();
    return nullptr;
  }
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = "cpu: " + llvm::toString(jtmb.takeError());
    return nullptr;
  }
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto llvmContext = std::make_unique<llvm::LLVMContext>();
  auto llvmModule = compileToLLVM(module, *llvmContext, *jtmb, error);
  if (!llvmModule)
    return nullptr;

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
  if (!jit) {
    error = "cpu: " + llvm::toString(jit.takeError());
    return nullptr;
  }
  // Kernels call malloc/free and libm from this process.
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) {
    error = "cpu: " + llvm::toString(generator.takeError());
    return nullptr;
  }
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (auto err = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(
          std::move(llvmModule), std::move(llvmContext)))) {
    error = "cpu: " + llvm::toString(std::move(err));
    return nullptr;
  }
  auto symbol = (*jit)->lookup(kernelName);
  if (!symbol) {
    error = "cpu: " + llvm::toString(symbol.takeError());
    return nullptr;
  }
  auto fn = symbol->toPtr<KernelFn>();
  return std::make_unique<CpuKernelRunner>(std::move(*jit), fn,
                                           options.numThreads);
}

} // namespace dsv4c::cpu
