//===- HipCompile.cpp - tile kernels to AMDGPU code objects ---------------===//
#include "targets/hip/HipCompile.h"

#include "targets/gpu/GpuAbi.h"
#include "targets/gpu/GpuModule.h"

#include "llvm/IR/IntrinsicsAMDGPU.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

extern "C" {
void LLVMInitializeAMDGPUTargetInfo();
void LLVMInitializeAMDGPUTarget();
void LLVMInitializeAMDGPUTargetMC();
void LLVMInitializeAMDGPUAsmPrinter();
}

using namespace mlir;

namespace dsv4c::hip {
namespace {

constexpr const char *kTriple = "amdgcn-amd-amdhsa";
constexpr unsigned kFlat = 0, kGlobal = 1, kLocal = 3, kPrivate = 5;

/// AMDGPU spellings of what the shared GPU lowering leaves abstract.
gpu::GpuIsa amdgpuIsa() {
  gpu::GpuIsa isa;
  isa.name = "hip";
  isa.deviceSyncScope = "agent";
  isa.flatAddressSpace = kFlat;
  isa.privateAddressSpace = kPrivate;
  isa.sharedAddressSpace = kLocal;
  isa.kernelPointerAddressSpace = kGlobal;
  isa.kernelCallingConv = llvm::CallingConv::AMDGPU_KERNEL;
  isa.heap = gpu::TileHeap::Arena;
  isa.threadId = [](llvm::IRBuilder<> &b) {
    return b.CreateZExt(
        b.CreateIntrinsic(llvm::Intrinsic::amdgcn_workitem_id_x, {}),
        b.getInt64Ty());
  };
  // Every launch has kThreadsPerGroup work-items per group (the entries
  // say so), so the group size is a constant the optimizer can use.
  isa.numThreads = [](llvm::IRBuilder<> &b) {
    return b.getInt64(gpu::kThreadsPerGroup);
  };
  isa.groupId = [](llvm::IRBuilder<> &b) {
    return b.CreateZExt(
        b.CreateIntrinsic(llvm::Intrinsic::amdgcn_workgroup_id_x, {}),
        b.getInt64Ty());
  };
  isa.barrier = [](llvm::IRBuilder<> &b) {
    llvm::SyncScope::ID group = b.getContext().getOrInsertSyncScopeID(
        "workgroup");
    b.CreateFence(llvm::AtomicOrdering::Release, group);
    b.CreateIntrinsic(llvm::Intrinsic::amdgcn_s_barrier, {});
    b.CreateFence(llvm::AtomicOrdering::Acquire, group);
  };
  isa.decorateEntry = [](llvm::Function &entry) {
    std::string size = std::to_string(gpu::kThreadsPerGroup);
    entry.addFnAttr("amdgpu-flat-work-group-size", size + "," + size);
  };
  return isa;
}

/// The optimized AMDGPU module for `module`, and its target machine.
bool buildModule(ModuleOp module, const HipOptions &options,
                 llvm::LLVMContext &context,
                 std::unique_ptr<llvm::Module> &m,
                 std::unique_ptr<llvm::TargetMachine> &tm, std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeAMDGPUTargetInfo();
    LLVMInitializeAMDGPUTarget();
    LLVMInitializeAMDGPUTargetMC();
    LLVMInitializeAMDGPUAsmPrinter();
  });
  gpu::GpuIsa isa = amdgpuIsa();
  std::vector<gpu::KernelSignature> kernels;
  m = gpu::lowerToLLVM(module, isa, context, kernels, error);
  if (!m)
    return false;
  tm = gpu::createTargetMachine(kTriple, options.arch, "", error);
  if (!tm) {
    error = "hip: " + error;
    return false;
  }
  m->setTargetTriple(llvm::Triple(kTriple));
  m->setDataLayout(tm->createDataLayout());
  // Code object v5: what ROCm's loader expects by default.
  m->addModuleFlag(llvm::Module::Error, "amdhsa_code_object_version", 500);
  if (!gpu::finishModule(*m, isa, kernels, error))
    return false;
  gpu::optimize(*m, *tm);
  return true;
}

} // namespace

bool compileToAssembly(ModuleOp module, const HipOptions &options,
                       std::string &assembly, std::string &error) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> m;
  std::unique_ptr<llvm::TargetMachine> tm;
  if (!buildModule(module, options, context, m, tm, error))
    return false;
  if (!gpu::emit(*m, *tm, llvm::CodeGenFileType::AssemblyFile, assembly,
                 error)) {
    error = "hip: " + error;
    return false;
  }
  return true;
}

bool compileToHsaco(ModuleOp module, const HipOptions &options,
                    std::string &hsaco, std::string &error) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> m;
  std::unique_ptr<llvm::TargetMachine> tm;
  if (!buildModule(module, options, context, m, tm, error))
    return false;
  std::string object;
  if (!gpu::emit(*m, *tm, llvm::CodeGenFileType::ObjectFile, object, error)) {
    error = "hip: " + error;
    return false;
  }
  // The relocatable object becomes a loadable code object through lld.
  llvm::SmallString<128> input, output;
  if (llvm::sys::fs::createTemporaryFile("dsv4c-hip", "o", input) ||
      llvm::sys::fs::createTemporaryFile("dsv4c-hip", "hsaco", output)) {
    error = "hip: cannot create temporary files for the linker";
    return false;
  }
  auto cleanup = [&] {
    llvm::sys::fs::remove(input);
    llvm::sys::fs::remove(output);
  };
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input, ec);
    os << object;
    if (ec) {
      cleanup();
      error = "hip: cannot write " + std::string(input) + ": " + ec.message();
      return false;
    }
  }
  std::string lld = DSV4C_LLD_PATH;
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(
      lld, {lld, "-flavor", "gnu", "-shared", "-o", output, input},
      std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    cleanup();
    error = "hip: linking the code object with " + lld + " failed" +
            (message.empty() ? "" : ": " + message) + " (exit code " +
            std::to_string(rc) + ")";
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(output);
  if (!buffer) {
    cleanup();
    error = "hip: cannot read the linked code object";
    return false;
  }
  hsaco = (*buffer)->getBuffer().str();
  cleanup();
  return true;
}

} // namespace dsv4c::hip
