//===- OpenclCompile.cpp - tile kernels to OpenCL C -----------------------===//
#include "targets/opencl/OpenclCompile.h"

#include "dialects/tile/TileDialect.h"
#include "targets/gpu/GpuModule.h"
#include "targets/opencl/CEmitter.h"

#include <mutex>

extern "C" {
void LLVMInitializeSPIRVTargetInfo();
void LLVMInitializeSPIRVTarget();
void LLVMInitializeSPIRVTargetMC();
}

using namespace mlir;

namespace dsv4c::opencl {

bool compileToOpenclC(ModuleOp module, std::string &source,
                      std::vector<KernelSignature> &signatures,
                      std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeSPIRVTargetInfo();
    LLVMInitializeSPIRVTarget();
    LLVMInitializeSPIRVTargetMC();
  });
  gpu::GpuIsa target = gpu::openclBuiltinIsa("opencl");
  llvm::LLVMContext context;
  std::vector<gpu::KernelSignature> kernels;
  std::unique_ptr<llvm::Module> m =
      gpu::lowerToLLVM(module, target, context, kernels, error);
  if (!m)
    return false;
  // The SPIR-V target's data layout and cost model; its backend is unused.
  const char *triple = "spirv64-unknown-unknown";
  std::unique_ptr<llvm::TargetMachine> tm =
      gpu::createTargetMachine(triple, "", "", error);
  if (!tm) {
    error = "opencl: " + error;
    return false;
  }
  m->setTargetTriple(llvm::Triple(triple));
  m->setDataLayout(tm->createDataLayout());
  if (!gpu::finishModule(*m, target, kernels, error))
    return false;
  // Local memory can only be declared in a kernel: everything the kernels
  // call is inlined into them.
  for (llvm::Function &f : *m)
    if (!f.isDeclaration() &&
        f.getCallingConv() != llvm::CallingConv::SPIR_KERNEL) {
      f.removeFnAttr(llvm::Attribute::NoInline);
      f.addFnAttr(llvm::Attribute::AlwaysInline);
    }
  gpu::optimize(*m, *tm, /*vectorize=*/false);
  if (!emitOpenclC(*m, source, error))
    return false;
  for (const gpu::KernelSignature &k : kernels) {
    KernelSignature s{k.name, {}};
    for (Type t : k.argumentTypes) {
      uint32_t bytes = isa<tile::PtrType>(t) || t.isIndex()
                           ? 8
                           : (t.getIntOrFloatBitWidth() + 7) / 8;
      s.argumentBytes.push_back(bytes);
    }
    signatures.push_back(std::move(s));
  }
  return true;
}

} // namespace dsv4c::opencl
