//===- CudaCompile.cpp - tile kernels to PTX ------------------------------===//
#include "targets/cuda/CudaCompile.h"

#include "dialects/tile/TileDialect.h"
#include "lowering/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

#include <mutex>

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

using namespace mlir;

namespace dsv4c::cuda {
namespace {

constexpr const char *kTriple = "nvptx64-nvidia-cuda";

void initializeNvptx() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

/// The LLVM type of a kernel argument's value as the calling convention
/// stores it: pointers, integers, f32/f64, and f16/bf16 as their 16 bits.
llvm::Type *argumentType(Type type, llvm::LLVMContext &ctx) {
  if (isa<tile::PtrType>(type))
    return llvm::PointerType::get(ctx, 0);
  if (type.isIndex())
    return llvm::Type::getInt64Ty(ctx);
  if (auto i = dyn_cast<IntegerType>(type))
    return llvm::Type::getIntNTy(ctx, i.getWidth());
  if (type.isF32())
    return llvm::Type::getFloatTy(ctx);
  if (type.isF64())
    return llvm::Type::getDoubleTy(ctx);
  if (type.isF16() || type.isBF16())
    return llvm::Type::getInt16Ty(ctx);
  return nullptr;
}

/// Renames program function `name` to `name.program` (internal) and adds
/// `.entry name(arg0, ..., argN-1, gx, gy, gz)`: each thread stores its
/// arguments, builds the calling convention's `void **args` over them and
/// runs the program its global thread id names. O3 turns the argument
/// array back into direct parameter reads.
bool addEntry(llvm::Module &m, llvm::Function &program,
              TypeRange argumentTypes, std::string &error) {
  std::string name = program.getName().str();
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  std::vector<llvm::Type *> params;
  for (Type t : argumentTypes) {
    llvm::Type *lt = argumentType(t, ctx);
    if (!lt) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << t;
      error = "cuda: kernel '" + name + "' has an argument of type " + text +
              ", which the calling convention does not pass";
      return false;
    }
    params.push_back(lt);
  }
  size_t n = params.size();
  params.insert(params.end(), {i64, i64, i64});
  program.setName(name + ".program");
  program.setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false);
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                       name, m);
  entry->setCallingConv(llvm::CallingConv::PTX_Kernel);
  auto *body = llvm::BasicBlock::Create(ctx, "entry", entry);
  auto *run = llvm::BasicBlock::Create(ctx, "run", entry);
  auto *done = llvm::BasicBlock::Create(ctx, "done", entry);
  llvm::IRBuilder<> b(body);
  auto sreg = [&](llvm::Intrinsic::ID id) {
    return b.CreateZExt(b.CreateIntrinsic(id, {}), i64);
  };
  llvm::Value *id = b.CreateAdd(
      b.CreateMul(sreg(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x),
                  sreg(llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x)),
      sreg(llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x));
  llvm::Value *gx = entry->getArg(n), *gy = entry->getArg(n + 1),
              *gz = entry->getArg(n + 2);
  llvm::Value *gxy = b.CreateMul(gx, gy);
  b.CreateCondBr(b.CreateICmpULT(id, b.CreateMul(gxy, gz)), run, done);
  b.SetInsertPoint(run);
  llvm::Value *args = b.CreateAlloca(ptr, b.getInt64(std::max<size_t>(n, 1)));
  for (size_t i = 0; i < n; ++i) {
    llvm::Value *slot = b.CreateAlloca(params[i]);
    b.CreateStore(entry->getArg(unsigned(i)), slot);
    b.CreateStore(slot, b.CreateConstGEP1_64(ptr, args, i));
  }
  llvm::Value *x = b.CreateURem(id, gx);
  llvm::Value *y = b.CreateURem(b.CreateUDiv(id, gx), gy);
  llvm::Value *z = b.CreateUDiv(id, gxy);
  b.CreateCall(&program, {args, x, y, z, gx, gy, gz});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return true;
}

} // namespace

bool compileToPtx(ModuleOp module, const PtxOptions &options, std::string &ptx,
                  std::string &error) {
  MLIRContext *context = module.getContext();
  std::vector<std::pair<std::string, std::vector<Type>>> kernels;
  for (tile::KernelOp k : module.getOps<tile::KernelOp>()) {
    ArrayRef<Type> inputs = k.getFunctionType().getInputs();
    kernels.push_back({k.getSymName().str(), {inputs.begin(), inputs.end()}});
  }
  OwningOpRef<ModuleOp> clone = module.clone();
  llvm::raw_string_ostream errors(error);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    errors << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  PassManager pm(context);
  buildGpuScalarPipeline(pm);
  if (failed(pm.run(*clone))) {
    error = "cuda: lowering failed:\n" + error;
    return false;
  }
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(*clone, llvmContext);
  if (!m) {
    error = "cuda: translation to LLVM IR failed:\n" + error;
    return false;
  }

  initializeNvptx();
  std::string lookupError;
  llvm::Triple triple(kTriple);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "cuda: no NVPTX backend in this LLVM: " + lookupError;
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, options.sm, "+ptx80", llvm::TargetOptions(), std::nullopt));
  if (!tm) {
    error = "cuda: cannot target " + options.sm;
    return false;
  }
  m->setTargetTriple(triple);
  m->setDataLayout(tm->createDataLayout());
  for (const auto &[name, types] : kernels) {
    llvm::Function *f = m->getFunction(name);
    if (!f || f->isDeclaration()) {
      error = "cuda: kernel '" + name + "' is missing after lowering";
      return false;
    }
    if (!addEntry(*m, *f, types, error))
      return false;
  }
  for (llvm::Function &f : *m)
    if (!f.isDeclaration())
      f.removeFnAttr("target-cpu");

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(*m, mam);

  llvm::raw_string_ostream os(ptx);
  llvm::buffer_ostream out(os);
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, out, nullptr,
                              llvm::CodeGenFileType::AssemblyFile)) {
    error = "cuda: the NVPTX backend cannot emit PTX";
    return false;
  }
  codegen.run(*m);
  return true;
}

} // namespace dsv4c::cuda
