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

} // namespace

bool compileToSpirv(ModuleOp module, std::string &spirv, std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeSPIRVTargetInfo();
    LLVMInitializeSPIRVTarget();
    LLVMInitializeSPIRVTargetMC();
    LLVMInitializeSPIRVAsmPrinter();
  });
  gpu::GpuIsa isa = gpu::openclBuiltinIsa("level_zero");
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
