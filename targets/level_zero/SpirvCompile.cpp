//===- SpirvCompile.cpp - tile kernels to SPIR-V compute kernels ----------===//
#include "targets/level_zero/SpirvCompile.h"

#include "targets/gpu/GpuAbi.h"
#include "targets/gpu/GpuModule.h"

#include <mutex>

extern "C" {
void LLVMInitializeSPIRVTargetInfo();
void LLVMInitializeSPIRVTarget();
void LLVMInitializeSPIRVTargetMC();
void LLVMInitializeSPIRVAsmPrinter();
}

using namespace mlir;

namespace dsv4c::level_zero {
namespace {

constexpr const char *kTriple = "spirv64-unknown-unknown";
// SPIR-V storage classes as LLVM address spaces: Function, CrossWorkgroup,
// Workgroup, Generic.
constexpr unsigned kPrivate = 0, kGlobal = 1, kLocal = 3, kGeneric = 4;
// OpenCL's CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE: tile buffers are
// global memory shared by the group.
constexpr unsigned kLocalAndGlobalFence = 3;

/// A call to the OpenCL built-in `mangled` taking dimension 0 (the SPIR-V
/// backend turns these into built-in variables).
llvm::Value *builtinOfDimension0(llvm::IRBuilder<> &b, const char *mangled) {
  llvm::Module &m = *b.GetInsertBlock()->getModule();
  llvm::FunctionCallee f = m.getOrInsertFunction(
      mangled, llvm::FunctionType::get(b.getInt64Ty(), {b.getInt32Ty()},
                                       false));
  auto *call = b.CreateCall(f, {b.getInt32(0)});
  call->setCallingConv(llvm::CallingConv::SPIR_FUNC);
  if (auto *callee = llvm::dyn_cast<llvm::Function>(f.getCallee()))
    callee->setCallingConv(llvm::CallingConv::SPIR_FUNC);
  return call;
}

/// OpenCL spellings of what the shared GPU lowering leaves abstract.
gpu::GpuIsa openclIsa() {
  gpu::GpuIsa isa;
  isa.name = "level_zero";
  isa.flatAddressSpace = kGeneric;
  isa.privateAddressSpace = kPrivate;
  isa.sharedAddressSpace = kLocal;
  isa.kernelPointerAddressSpace = kGlobal;
  isa.kernelCallingConv = llvm::CallingConv::SPIR_KERNEL;
  isa.heap = gpu::TileHeap::Arena;
  // A bf16 type needs SPV_KHR_bfloat16, which few drivers and validators
  // know yet.
  isa.hasBFloat16 = false;
  isa.threadId = [](llvm::IRBuilder<> &b) {
    return builtinOfDimension0(b, "_Z12get_local_idj");
  };
  isa.numThreads = [](llvm::IRBuilder<> &b) {
    return b.getInt64(gpu::kThreadsPerGroup);
  };
  isa.groupId = [](llvm::IRBuilder<> &b) {
    return builtinOfDimension0(b, "_Z12get_group_idj");
  };
  isa.barrier = [](llvm::IRBuilder<> &b) {
    llvm::Module &m = *b.GetInsertBlock()->getModule();
    llvm::FunctionCallee f = m.getOrInsertFunction(
        "_Z7barrierj",
        llvm::FunctionType::get(b.getVoidTy(), {b.getInt32Ty()}, false));
    auto *callee = llvm::cast<llvm::Function>(f.getCallee());
    callee->setCallingConv(llvm::CallingConv::SPIR_FUNC);
    callee->addFnAttr(llvm::Attribute::Convergent);
    auto *call = b.CreateCall(f, {b.getInt32(kLocalAndGlobalFence)});
    call->setCallingConv(llvm::CallingConv::SPIR_FUNC);
    call->addFnAttr(llvm::Attribute::Convergent);
  };
  isa.trap = [](llvm::IRBuilder<> &b) {
    b.CreateIntrinsic(llvm::Intrinsic::trap, {});
  };
  isa.decorateEntry = [](llvm::Function &entry) {
    // reqd_work_group_size(128, 1, 1), as OpenCL C would say it.
    llvm::LLVMContext &ctx = entry.getContext();
    auto dim = [&](unsigned v) {
      return llvm::ConstantAsMetadata::get(
          llvm::ConstantInt::get(llvm::Type::getInt32Ty(ctx), v));
    };
    entry.setMetadata("reqd_work_group_size",
                      llvm::MDNode::get(ctx, {dim(gpu::kThreadsPerGroup),
                                              dim(1), dim(1)}));
  };
  return isa;
}

} // namespace

bool compileToSpirv(ModuleOp module, std::string &spirv, std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeSPIRVTargetInfo();
    LLVMInitializeSPIRVTarget();
    LLVMInitializeSPIRVTargetMC();
    LLVMInitializeSPIRVAsmPrinter();
  });
  gpu::GpuIsa isa = openclIsa();
  llvm::LLVMContext context;
  std::vector<gpu::KernelSignature> kernels;
  std::unique_ptr<llvm::Module> m =
      gpu::lowerToLLVM(module, isa, context, kernels, error);
  if (!m)
    return false;
  std::unique_ptr<llvm::TargetMachine> tm =
      gpu::createTargetMachine(kTriple, "", "", error);
  if (!tm) {
    error = "level_zero: " + error;
    return false;
  }
  m->setTargetTriple(llvm::Triple(kTriple));
  m->setDataLayout(tm->createDataLayout());
  if (!gpu::finishModule(*m, isa, kernels, error))
    return false;
  gpu::optimize(*m, *tm);
  if (!gpu::emit(*m, *tm, llvm::CodeGenFileType::ObjectFile, spirv, error)) {
    error = "level_zero: " + error;
    return false;
  }
  return true;
}

} // namespace dsv4c::level_zero
