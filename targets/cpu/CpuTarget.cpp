//===- CpuTarget.cpp - the host CPU target --------------------------------===//
#include "targets/cpu/CpuTarget.h"

#include "lowering/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/CompileUtils.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
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

/// Lowers the kernels named `names` (all of them if empty) of a clone of
/// `module` through the CPU pipeline and translates them to LLVM IR for `tm`,
/// not yet optimised.
std::unique_ptr<llvm::Module>
lowerToLLVM(ModuleOp module, llvm::ArrayRef<std::string> names,
            llvm::LLVMContext &llvmContext, llvm::TargetMachine &tm,
            std::string &error) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> clone = module.clone();
  if (!names.empty())
    for (Operation &op :
         llvm::make_early_inc_range(clone->getBody()->getOperations()))
      if (auto sym = op.getAttrOfType<StringAttr>(
              SymbolTable::getSymbolAttrName());
          sym && !llvm::is_contained(names, sym.str()))
        op.erase();
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
  llvmModule->setDataLayout(tm.createDataLayout());
  llvmModule->setTargetTriple(tm.getTargetTriple());
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm.getTargetCPU());
      f.addFnAttr("target-features", tm.getTargetFeatureString());
    }
  return llvmModule;
}

/// Runs LLVM's O3 pipeline on `module` for `tm`.
void optimize(llvm::Module &module, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, mam);
}

/// Optimises and compiles `kernels` to object files, each on its own
/// LLVMContext, on up to one thread per hardware thread: LLVM's O3 and
/// codegen are most of the compile time, and kernels are independent.
bool compileConcurrently(std::vector<llvm::orc::ThreadSafeModule> &kernels,
                         llvm::orc::JITTargetMachineBuilder jtmb,
                         std::vector<std::unique_ptr<llvm::MemoryBuffer>> &objects,
                         std::string &error) {
  objects.resize(kernels.size());
  std::vector<std::string> errors(kernels.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    auto tm = llvm::orc::JITTargetMachineBuilder(jtmb).createTargetMachine();
    for (size_t i = next++; i < kernels.size(); i = next++) {
      if (!tm) {
        errors[i] = llvm::toString(tm.takeError());
        continue;
      }
      kernels[i].withModuleDo([&](llvm::Module &m) {
        optimize(m, **tm);
        llvm::orc::SimpleCompiler compile(**tm);
        auto object = compile(m);
        if (object)
          objects[i] = std::move(*object);
        else
          errors[i] = llvm::toString(object.takeError());
      });
    }
  };
  unsigned threads = std::min<size_t>(
      std::max(1u, std::thread::hardware_concurrency()), kernels.size());
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t)
    helpers.emplace_back(work);
  work();
  for (std::thread &t : helpers)
    t.join();
  for (std::string &e : errors)
    if (!e.empty()) {
      error = "cpu: " + e;
      return false;
    }
  return true;
}

/// Workers that run the programs of one launch at a time. Threads are made
/// once: a decode step launches hundreds of small kernels.
class ThreadPool {
public:
  explicit ThreadPool(unsigned threads) {
    for (unsigned t = 1; t < threads; ++t)
      workers.emplace_back([this] { workerLoop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }
  unsigned size() const { return unsigned(workers.size()) + 1; }

  /// Calls body(i) for i in [0, total) on the workers and the caller.
  void run(int64_t total, const std::function<void(int64_t)> &body) {
    std::lock_guard<std::mutex> launchLock(launchMutex);
    if (workers.empty() || total == 1) {
      for (int64_t i = 0; i < total; ++i)
        body(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = &body;
      jobTotal = total;
      next = 0;
      busy = unsigned(workers.size());
      ++generation;
    }
    wake.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex);
    finished.wait(lock, [&] { return busy == 0; });
    job = nullptr;
  }

private:
  void work() {
    for (int64_t i = next++; i < jobTotal; i = next++)
      (*job)(i);
  }
  void workerLoop() {
    uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping)
          return;
        seen = generation;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex);
      if (--busy == 0)
        finished.notify_one();
    }
  }

  std::vector<std::thread> workers;
  std::mutex launchMutex; // one launch at a time
  std::mutex mutex;
  std::condition_variable wake, finished;
  const std::function<void(int64_t)> *job = nullptr;
  std::atomic<int64_t> next{0};
  int64_t jobTotal = 0;
  unsigned busy = 0;
  uint64_t generation = 0;
  bool stopping = false;
};

unsigned threadCount(const CpuOptions &options) {
  return options.numThreads
             ? options.numThreads
             : std::max(1u, std::thread::hardware_concurrency());
}

class CpuKernelRunner : public KernelRunner {
public:
  CpuKernelRunner(std::shared_ptr<llvm::orc::LLJIT> jit, KernelFn fn,
                  std::shared_ptr<ThreadPool> pool)
      : jit(std::move(jit)), fn(fn), pool(std::move(pool)) {}

  bool launch(void **args, Grid grid, std::string &error) override {
    for (int64_t extent : grid)
      if (extent < 1) {
        error = "cpu: grid extents must be at least 1";
        return false;
      }
    int64_t total = grid[0] * grid[1] * grid[2];
    pool->run(total, [&](int64_t p) {
      int64_t x = p % grid[0], y = (p / grid[0]) % grid[1],
              z = p / (grid[0] * grid[1]);
      fn(args, x, y, z, grid[0], grid[1], grid[2]);
    });
    return true;
  }

private:
  std::shared_ptr<llvm::orc::LLJIT> jit; // owns the code behind `fn`
  KernelFn fn;
  std::shared_ptr<ThreadPool> pool;
};

llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostMachine() {
  initializeNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (jtmb)
    jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return jtmb;
}

/// Lowers, optimises and JIT-loads the kernels `names` of `module`: null with
/// `error` on failure.
std::shared_ptr<llvm::orc::LLJIT>
buildJit(ModuleOp module, const std::vector<std::string> &names,
         std::string &error) {
  auto jtmb = hostMachine();
  if (!jtmb) {
    error = "cpu: " + llvm::toString(jtmb.takeError());
    return nullptr;
  }
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    error = "cpu: " + llvm::toString(tm.takeError());
    return nullptr;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule = lowerToLLVM(module, names, llvmContext, **tm, error);
  if (!llvmModule)
    return nullptr;
  // One module per kernel, with its own copies of the helpers and constants
  // it uses; other kernels become declarations that O3 drops. Helpers (e.g.
  // the deallocation helper) are made internal first so that the copies in
  // different objects do not clash.
  for (llvm::GlobalValue &gv : llvmModule->global_values())
    if (!gv.isDeclaration() && !llvm::is_contained(names, gv.getName()))
      gv.setLinkage(llvm::GlobalValue::InternalLinkage);
  std::vector<llvm::orc::ThreadSafeModule> kernels;
  for (const std::string &name : names)
    kernels.push_back(llvm::orc::cloneExternalModuleToContext(
        *llvmModule,
        llvm::orc::ThreadSafeContext(std::make_unique<llvm::LLVMContext>()),
        [&](const llvm::GlobalValue &gv) {
          return gv.hasLocalLinkage() || gv.getName() == name;
        }));
  llvmModule.reset();
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects;
  if (!compileConcurrently(kernels, *jtmb, objects, error))
    return nullptr;

  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
  if (!jit) {
    error = "cpu: " + llvm::toString(jit.takeError());
    return nullptr;
  }
  // Kernels call malloc/free and libm from this process.
  auto generator =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
          (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) {
    error = "cpu: " + llvm::toString(generator.takeError());
    return nullptr;
  }
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  for (std::unique_ptr<llvm::MemoryBuffer> &object : objects)
    if (auto err = (*jit)->addObjectFile(std::move(object))) {
      error = "cpu: " + llvm::toString(std::move(err));
      return nullptr;
    }
  return std::shared_ptr<llvm::orc::LLJIT>(std::move(*jit));
}

KernelFn lookupKernel(llvm::orc::LLJIT &jit, llvm::StringRef name,
                      std::string &error) {
  auto symbol = jit.lookup(name);
  if (!symbol) {
    error = "cpu: " + llvm::toString(symbol.takeError());
    return nullptr;
  }
  return symbol->toPtr<KernelFn>();
}

class CpuKernelLibrary : public KernelLibrary {
public:
  CpuKernelLibrary(std::shared_ptr<llvm::orc::LLJIT> jit,
                   std::shared_ptr<ThreadPool> pool,
                   std::vector<std::string> names)
      : jit(std::move(jit)), pool(std::move(pool)), names(std::move(names)) {}

  KernelRunner *find(const std::string &name, std::string &error) override {
    auto it = runners.find(name);
    if (it != runners.end())
      return it->second.get();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      error = "cpu: the kernel library has no kernel '" + name + "'";
      return nullptr;
    }
    KernelFn fn = lookupKernel(*jit, name, error);
    if (!fn)
      return nullptr;
    auto runner = std::make_unique<CpuKernelRunner>(jit, fn, pool);
    return (runners[name] = std::move(runner)).get();
  }

private:
  std::shared_ptr<llvm::orc::LLJIT> jit;
  std::shared_ptr<ThreadPool> pool;
  std::vector<std::string> names;
  std::map<std::string, std::unique_ptr<CpuKernelRunner>> runners;
};

} // namespace

bool emitLLVMIR(ModuleOp module, std::string &ir, std::string &error) {
  auto jtmb = hostMachine();
  if (!jtmb) {
    error = "cpu: " + llvm::toString(jtmb.takeError());
    return false;
  }
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    error = "cpu: " + llvm::toString(tm.takeError());
    return false;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule = lowerToLLVM(module, {}, llvmContext, **tm, error);
  if (!llvmModule)
    return false;
  optimize(*llvmModule, **tm);
  llvm::raw_string_ostream os(ir);
  llvmModule->print(os, nullptr);
  return true;
}

std::unique_ptr<KernelRunner> createRunner(ModuleOp module,
                                           llvm::StringRef kernelName,
                                           std::string &error,
                                           CpuOptions options) {
  if (!SymbolTable::lookupSymbolIn(module, kernelName)) {
    error = ("cpu: no kernel named '" + kernelName + "' in the module").str();
    return nullptr;
  }
  // Only this kernel is compiled.
  auto jit = buildJit(module, {kernelName.str()}, error);
  if (!jit)
    return nullptr;
  KernelFn fn = lookupKernel(*jit, kernelName, error);
  if (!fn)
    return nullptr;
  return std::make_unique<CpuKernelRunner>(
      jit, fn, std::make_shared<ThreadPool>(threadCount(options)));
}

std::unique_ptr<KernelLibrary> createLibrary(ModuleOp module,
                                             std::string &error,
                                             CpuOptions options) {
  std::vector<std::string> names;
  for (Operation &op : module.getBody()->getOperations())
    if (auto sym = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName()))
      names.push_back(sym.str());
  auto jit = buildJit(module, names, error);
  if (!jit)
    return nullptr;
  return std::make_unique<CpuKernelLibrary>(
      jit, std::make_shared<ThreadPool>(threadCount(options)),
      std::move(names));
}

} // namespace dsv4c::cpu
