//===- OpenclIsa.cpp - the GPU lowering with OpenCL built-ins -------------===//
#include "targets/gpu/GpuAbi.h"
#include "targets/gpu/GpuModule.h"

namespace dsv4c::gpu {
namespace {

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

} // namespace

GpuIsa openclBuiltinIsa(const std::string &name) {
  GpuIsa isa;
  isa.name = name;
  isa.flatAddressSpace = kGeneric;
  isa.privateAddressSpace = kPrivate;
  isa.sharedAddressSpace = kLocal;
  isa.kernelPointerAddressSpace = kGlobal;
  isa.kernelCallingConv = llvm::CallingConv::SPIR_KERNEL;
  isa.heap = TileHeap::Arena;
  // A bf16 type needs SPV_KHR_bfloat16, which few drivers and validators
  // know yet.
  isa.hasBFloat16 = false;
  isa.threadId = [](llvm::IRBuilder<> &b) {
    return builtinOfDimension0(b, "_Z12get_local_idj");
  };
  isa.numThreads = [](llvm::IRBuilder<> &b) {
    return b.getInt64(kThreadsPerGroup);
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
  isa.decorateEntry = [](llvm::Function &entry) {
    // reqd_work_group_size(128, 1, 1), as OpenCL C would say it.
    llvm::LLVMContext &ctx = entry.getContext();
    auto dim = [&](unsigned v) {
      return llvm::ConstantAsMetadata::get(
          llvm::ConstantInt::get(llvm::Type::getInt32Ty(ctx), v));
    };
    entry.setMetadata("reqd_work_group_size",
                      llvm::MDNode::get(ctx, {dim(kThreadsPerGroup),
                                              dim(1), dim(1)}));
  };
  return isa;
}


} // namespace dsv4c::gpu
