//===- CpuTarget.cpp - the host CPU target --------------------------------===//
#include "targets/cpu/CpuTarget.h"

#include "lowering/Passes.h"
#include "runtime/HostKernels.h"
#include "runtime/Parallel.h"

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
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlir;

namespace dsv4c::cpu {
namespace {

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
            std::string &error, bool parallelTopK = false) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> clone = module.clone();
  if (!names.empty())
    for (Operation &op :
         llvm::make_early_inc_range(clone->getBody()->getOperations()))
      if (auto sym =
              op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
          sym && !llvm::is_contained(names, sym.str()))
        op.erase();
  llvm::raw_string_ostream errors(error);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    errors << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  PassManager pm(context);
  buildCpuPipeline(pm, parallelTopK);
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
bool compileConcurrently(
    std::vector<llvm::orc::ThreadSafeModule> &kernels,
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
  runOnThreads(threadsFor(kernels.size()), work);
  for (std::string &e : errors)
    if (!e.empty()) {
      error = "cpu: " + e;
      return false;
    }
  return true;
}

llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostMachine() {
  initializeNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (jtmb)
    jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return jtmb;
}

/// Lowers the kernels `names` of `module` and compiles each to an object
/// file for `jtmb`'s machine.
bool compileObjects(ModuleOp module, const std::vector<std::string> &names,
                    llvm::orc::JITTargetMachineBuilder jtmb,
                    std::vector<std::unique_ptr<llvm::MemoryBuffer>> &objects,
                    std::string &error, bool parallelTopK = false) {
  auto tm = jtmb.createTargetMachine();
  if (!tm) {
    error = "cpu: " + llvm::toString(tm.takeError());
    return false;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      lowerToLLVM(module, names, llvmContext, **tm, error, parallelTopK);
  if (!llvmModule)
    return false;
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
  return compileConcurrently(kernels, jtmb, objects, error);
}

/// Lowers, optimises and JIT-loads the kernels `names` of `module`: null with
/// `error` on failure.
std::shared_ptr<llvm::orc::LLJIT>
buildJit(ModuleOp module, const std::vector<std::string> &names,
         std::string &error, bool parallelTopK = false) {
  auto jtmb = hostMachine();
  if (!jtmb) {
    error = "cpu: " + llvm::toString(jtmb.takeError());
    return nullptr;
  }
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects;
  if (!compileObjects(module, names, *jtmb, objects, error, parallelTopK))
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
  // Builtins the code calls (__truncsfbf2 on CPUs without AVX512-BF16) come
  // from compiler-rt, as in AOT objects: libgcc (GCC 12) has no bf16 ones.
  std::string builtins = DSV4C_CLANG_RT_BUILTINS;
  if (!builtins.empty() && llvm::sys::fs::exists(builtins)) {
    auto library = llvm::orc::StaticLibraryDefinitionGenerator::Load(
        (*jit)->getObjLinkingLayer(), builtins.c_str());
    if (!library) {
      error = "cpu: " + builtins + ": " + llvm::toString(library.takeError());
      return nullptr;
    }
    (*jit)->getMainJITDylib().addGenerator(std::move(*library));
  }
  for (std::unique_ptr<llvm::MemoryBuffer> &object : objects)
    if (auto err = (*jit)->addObjectFile(std::move(object))) {
      error = "cpu: " + llvm::toString(std::move(err));
      return nullptr;
    }
  return std::shared_ptr<llvm::orc::LLJIT>(std::move(*jit));
}

HostKernelFn lookupKernel(llvm::orc::LLJIT &jit, llvm::StringRef name,
                          std::string &error) {
  auto symbol = jit.lookup(name);
  if (!symbol) {
    error = "cpu: " + llvm::toString(symbol.takeError());
    return nullptr;
  }
  return symbol->toPtr<HostKernelFn>();
}

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
  auto jit = buildJit(module, {kernelName.str()}, error, options.parallelTopK);
  if (!jit)
    return nullptr;
  HostKernelFn fn = lookupKernel(*jit, kernelName, error);
  if (!fn)
    return nullptr;
  return std::make_unique<HostKernelRunner>(
      fn, std::make_shared<ThreadPool>(options.numThreads), jit);
}

std::vector<std::string> kernelNames(ModuleOp module) {
  std::vector<std::string> names;
  for (Operation &op : module.getBody()->getOperations())
    if (auto sym =
            op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName()))
      names.push_back(sym.str());
  return names;
}

std::unique_ptr<KernelLibrary>
createLibrary(ModuleOp module, std::string &error, CpuOptions options) {
  std::vector<std::string> names = kernelNames(module);
  std::shared_ptr<llvm::orc::LLJIT> jit =
      buildJit(module, names, error, options.parallelTopK);
  if (!jit)
    return nullptr;
  llvm::orc::LLJIT *raw = jit.get();
  return std::make_unique<HostKernelLibrary>(
      "cpu", std::move(names),
      [raw](const std::string &name, std::string &error) {
        return lookupKernel(*raw, name, error);
      },
      jit, options.numThreads);
}

namespace {

/// ld.lld: next to the LLVM we were built with, else on PATH.
std::string findLinker() {
  if (llvm::sys::fs::can_execute(DSV4C_LLD_PATH))
    return DSV4C_LLD_PATH;
  for (const char *name : {"ld.lld-22", "ld.lld"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return "";
}

/// The shared object may import only C library and libm functions: a
/// compiler builtin (`__*`) left undefined would fail at load on a machine
/// whose libgcc lacks it.
bool checkImports(const std::string &so, std::string &error) {
  auto object = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(so, "kernels.so"));
  if (!object) {
    error = "cpu: cannot read the linked kernels: " +
            llvm::toString(object.takeError());
    return false;
  }
  for (const llvm::object::SymbolRef &sym : (*object)->symbols()) {
    auto flags = sym.getFlags();
    auto name = sym.getName();
    if (!flags || !name || !(*flags & llvm::object::SymbolRef::SF_Undefined) ||
        name->empty())
      continue;
    if (name->starts_with("__")) {
      error = "cpu: the kernels call the compiler builtin '" + name->str() +
              "', and no compiler-rt builtins library was found to link "
              "(Debian: libclang-rt-22-dev)";
      return false;
    }
  }
  return true;
}

/// Links `objects` into one shared object (its bytes in `out`).
bool linkSharedObject(std::vector<std::unique_ptr<llvm::MemoryBuffer>> &objects,
                      std::string &out, std::string &error) {
  std::string lld = findLinker();
  if (lld.empty()) {
    error = "cpu: ld.lld not found (looked for " DSV4C_LLD_PATH
            ", ld.lld-22 and ld.lld on PATH; Debian package lld-22)";
    return false;
  }
  std::vector<std::string> temps;
  auto cleanup = [&] {
    for (const std::string &t : temps)
      llvm::sys::fs::remove(t);
  };
  auto temp = [&](const char *suffix, std::string &path) {
    llvm::SmallString<128> p;
    if (auto ec = llvm::sys::fs::createTemporaryFile("dsv4c-cpu", suffix, p)) {
      error = "cpu: cannot create a temporary file: " + ec.message();
      return false;
    }
    path = p.str().str();
    temps.push_back(path);
    return true;
  };
  std::vector<std::string> args{lld,  "-shared",     "--build-id=none",
                                "-z", "noexecstack", "-o"};
  std::string soPath;
  if (!temp("so", soPath)) {
    cleanup();
    return false;
  }
  args.push_back(soPath);
  for (auto &object : objects) {
    std::string path;
    if (!temp("o", path)) {
      cleanup();
      return false;
    }
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) {
      error = "cpu: cannot write " + path + ": " + ec.message();
      cleanup();
      return false;
    }
    os << object->getBuffer();
    os.close();
    args.push_back(path);
  }
  // Builtins the code calls (bf16 conversions on CPUs without them) come
  // from compiler-rt, linked in: the object then needs only libc and libm.
  std::string builtins = DSV4C_CLANG_RT_BUILTINS;
  if (!builtins.empty() && llvm::sys::fs::exists(builtins))
    args.push_back(builtins);
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(lld, argv, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "cpu: " + lld + " failed (exit " + std::to_string(rc) + ")" +
            (message.empty() ? "" : ": " + message);
    cleanup();
    return false;
  }
  auto so = llvm::MemoryBuffer::getFile(soPath);
  if (!so) {
    error = "cpu: cannot read the linked kernels: " + so.getError().message();
    cleanup();
    return false;
  }
  out = (*so)->getBuffer().str();
  cleanup();
  return checkImports(out, error);
}

} // namespace

bool compileSharedObject(ModuleOp module, const CpuAotOptions &options,
                         CpuAotResult &result, std::string &error) {
  auto jtmb = hostMachine();
  if (!jtmb) {
    error = "cpu: " + llvm::toString(jtmb.takeError());
    return false;
  }
  if (options.cpu != "host") {
    // A named CPU: its own feature set, not this host's.
    jtmb->setCPU(options.cpu);
    jtmb->getFeatures() = llvm::SubtargetFeatures();
  }
  jtmb->setRelocationModel(llvm::Reloc::PIC_);
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    error = "cpu: " + llvm::toString(tm.takeError());
    return false;
  }
  const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
  if (!sti->isCPUStringValid((*tm)->getTargetCPU())) {
    error = "cpu: unknown CPU '" + options.cpu + "' for " +
            (*tm)->getTargetTriple().str() +
            " (e.g. host, x86-64-v2, x86-64-v3, x86-64-v4, znver4)";
    return false;
  }
  result = CpuAotResult();
  result.triple = (*tm)->getTargetTriple().str();
  result.cpu = (*tm)->getTargetCPU().str();
  for (const llvm::SubtargetFeatureKV &kv : sti->getAllProcessorFeatures())
    if (sti->checkFeatures(std::string("+") + kv.Key))
      result.features.push_back(kv.Key);
  result.kernels = kernelNames(module);
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects;
  if (!compileObjects(module, result.kernels, *jtmb, objects, error))
    return false;
  return linkSharedObject(objects, result.sharedObject, error);
}

} // namespace dsv4c::cpu
