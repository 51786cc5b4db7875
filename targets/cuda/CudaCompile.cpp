//===- CudaCompile.cpp - tile kernels to PTX ------------------------------===//
#include "targets/cuda/CudaCompile.h"

#include "targets/gpu/GpuModule.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/Module.h"

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

llvm::Value *threadId(llvm::IRBuilder<> &b) {
  return b.CreateZExt(
      b.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x, {}),
      b.getInt64Ty());
}

/// The compute capability of an NVPTX CPU name ("sm_90a" -> 90; 0 if none).
int computeCapability(const std::string &sm) {
  int cc = 0;
  for (char c : sm)
    if (c >= '0' && c <= '9')
      cc = cc * 10 + (c - '0');
  return cc;
}

/// The shared-memory matrix descriptor of a K-major operand staged with the
/// 128-byte swizzle at flat address `address` (PTX ISA, "Matrix Descriptor
/// Format"): start address >> 4 in bits 0-13, the leading byte offset in
/// 16-29 (unused by swizzled K-major layouts; 1 by convention), the stride
/// byte offset between 8-row atoms (1024 bytes) >> 4 in 32-45, base offset
/// 0 (atoms 1024-byte aligned), swizzle mode 1 (128 bytes) in 62-63.
llvm::Value *sharedMatrixDescriptor(llvm::IRBuilder<> &b,
                                    llvm::Value *address) {
  llvm::Value *flat = b.CreateIntToPtr(address, b.getPtrTy());
  llvm::Value *shared = b.CreatePtrToInt(
      b.CreateAddrSpaceCast(flat, b.getPtrTy(3)), b.getInt64Ty());
  llvm::Value *start = b.CreateLShr(b.CreateAnd(shared, 0x3FFFF), 4);
  uint64_t fixed =
      (uint64_t(1) << 16) | (uint64_t(1024 >> 4) << 32) | (uint64_t(1) << 62);
  return b.CreateOr(start, b.getInt64(fixed));
}

/// Four wgmma.mma_async over a 128-byte block of k from fresh sums (e4m3:
/// m64nNk32, bf16: m64nNk16 with A and B K-major, no transposes), each step
/// 32 bytes further along the swizzled rows (2 in the descriptors' start
/// address), then committed and waited for. The proxy fence orders the
/// operands' staging (cp.async, generic proxy) before the instruction's
/// reads (async proxy).
llvm::Value *warpgroupMma(llvm::IRBuilder<> &b, llvm::StringRef kind,
                          unsigned n, llvm::Value *a, llvm::Value *bAddr) {
  const bool bf16 = kind == "bf16";
  unsigned regs = n / 2;
  auto operand = [](unsigned i) { return "$" + std::to_string(i); };
  std::string list = "{";
  for (unsigned i = 0; i < regs; ++i)
    list += (i ? ", " : "") + operand(i);
  list += "}";
  // Inputs after the n / 2 outputs: the two descriptors and a zero, read
  // before the first instruction writes any output register.
  const std::string descA = operand(regs), descB = operand(regs + 1),
                    zero = operand(regs + 2);
  std::string asmText = "{\n.reg .pred first, rest;\n.reg .b64 da, db;\n";
  asmText += "setp.ne.b32 first, " + zero + ", " + zero + ";\n"; // false
  asmText += "setp.eq.b32 rest, " + zero + ", " + zero + ";\n";  // true
  asmText += "mov.b64 da, " + descA + ";\nmov.b64 db, " + descB + ";\n";
  asmText += "fence.proxy.async.shared::cta;\nwgmma.fence.sync.aligned;\n";
  std::string shape = "wgmma.mma_async.sync.aligned.m64n" + std::to_string(n) +
                      (bf16 ? "k16.f32.bf16.bf16 " : "k32.f32.e4m3.e4m3 ") +
                      list + ", da, db, ";
  for (int step = 0; step < 4; ++step) {
    if (step)
      asmText += "add.s64 da, da, 2;\nadd.s64 db, db, 2;\n";
    asmText += shape + (step ? "rest" : "first") +
               (bf16 ? ", 1, 1, 0, 0;\n" : ", 1, 1;\n");
  }
  asmText += "wgmma.commit_group.sync.aligned;\n"
             "wgmma.wait_group.sync.aligned 0;\n}";
  std::string constraints;
  for (unsigned i = 0; i < regs; ++i)
    constraints += "=f,";
  constraints += "l,l,r,~{memory}";
  llvm::SmallVector<llvm::Type *> fields(regs, b.getFloatTy());
  auto *result = llvm::StructType::get(b.getContext(), fields);
  auto *type = llvm::FunctionType::get(
      result, {b.getInt64Ty(), b.getInt64Ty(), b.getInt32Ty()}, false);
  auto *inline_ = llvm::InlineAsm::get(type, asmText, constraints,
                                       /*hasSideEffects=*/true);
  return b.CreateCall(inline_,
                      {sharedMatrixDescriptor(b, a),
                       sharedMatrixDescriptor(b, bAddr), b.getInt32(0)});
}

/// NVVM spellings of what the shared GPU lowering leaves abstract; tile
/// buffers come from shared memory, then the device heap (malloc/free).
gpu::GpuIsa nvvmIsa(const std::string &sm) {
  gpu::GpuIsa isa;
  isa.name = "cuda";
  isa.deviceSyncScope = "device"; // fence.acq_rel.gpu, not .sys
  isa.kernelCallingConv = llvm::CallingConv::PTX_Kernel;
  isa.heap = gpu::TileHeap::DeviceMalloc;
  // Static shared memory stops at 48 KiB; leave room for the heap's own
  // shared variables (and keep 5 blocks per Hopper multiprocessor).
  isa.sharedTileBytes = 40 * 1024;
  isa.parallelStores = true;
  isa.fuseElementwise = true;
  isa.planTileBuffers = true;
  // Dynamic shared memory a block may have (opt-in): sm_90 227 KiB, sm_80
  // 163 KiB, sm_86/89/120 99 KiB; a little is left for the static part.
  int cc = computeCapability(sm);
  isa.dynamicSharedTileBytes = (cc >= 90 && cc < 100) ? 216 * 1024
                               : cc == 80             ? 144 * 1024
                               : cc >= 86             ? 80 * 1024
                                                      : 0;
  isa.isSharedPointer = [](llvm::IRBuilder<> &b, llvm::Value *p) {
    return b.CreateIntrinsic(llvm::Intrinsic::nvvm_isspacep_shared, {}, {p});
  };
  isa.threadId = threadId;
  isa.numThreads = [](llvm::IRBuilder<> &b) {
    return b.CreateZExt(
        b.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x, {}),
        b.getInt64Ty());
  };
  isa.groupId = [](llvm::IRBuilder<> &b) {
    return b.CreateZExt(
        b.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x, {}),
        b.getInt64Ty());
  };
  isa.barrier = [](llvm::IRBuilder<> &b) {
    b.CreateIntrinsic(llvm::Intrinsic::nvvm_barrier_cta_sync_all, {},
                      {b.getInt32(0)});
  };
  isa.decorateEntry = [](llvm::Function &entry) {
    entry.addFnAttr("nvvm.maxntid", std::to_string(kThreadsPerProgram));
  };
  // mma.sync: bf16 (sm_80) and e4m3 (sm_89, PTX 8.4) with f32 accumulators.
  // From sm_80 to sm_88 FP8/FP4 dots are widened to bf16 in registers
  // (dot-to-warp-mma's widen-f8) and only the bf16 form is called.
  isa.warpMmaF8 = computeCapability(sm) >= 89;
  if (computeCapability(sm) >= 80)
    isa.warpMma = [](llvm::IRBuilder<> &b, llvm::StringRef kind,
                     llvm::ArrayRef<llvm::Value *> args) -> llvm::Value * {
      llvm::Intrinsic::ID id =
          kind == "f8"
              ? llvm::Intrinsic::nvvm_mma_m16n8k32_row_col_f32_e4m3_e4m3_f32
              : llvm::Intrinsic::nvvm_mma_m16n8k16_row_col_bf16;
      return b.CreateIntrinsic(id, {}, args);
    };
  // ldmatrix.sync.aligned.m8n8.x4/x2.shared.b16 (sm_75); the flat address
  // of a planned tile buffer converted to the shared window.
  if (computeCapability(sm) >= 75)
    isa.warpLoadMatrix = [](llvm::IRBuilder<> &b, unsigned count,
                            llvm::Value *address) -> llvm::Value * {
      llvm::Value *flat = b.CreateIntToPtr(address, b.getPtrTy());
      llvm::Value *shared =
          b.CreateAddrSpaceCast(flat, b.getPtrTy(3) /* shared */);
      llvm::Intrinsic::ID id =
          count == 4 ? llvm::Intrinsic::nvvm_ldmatrix_sync_aligned_m8n8_x4_b16
                     : llvm::Intrinsic::nvvm_ldmatrix_sync_aligned_m8n8_x2_b16;
      return b.CreateIntrinsic(id, {shared->getType()}, {shared});
    };
  // wgmma.mma_async (sm_90a only: the "a" features).
  if (sm == "sm_90a") {
    isa.warpgroupMma = warpgroupMma;
    isa.asyncProxyFence = [](llvm::IRBuilder<> &b) {
      b.CreateIntrinsic(llvm::Intrinsic::nvvm_fence_proxy_async_shared_cta,
                        llvm::ArrayRef<llvm::Type *>{},
                        llvm::ArrayRef<llvm::Value *>{});
    };
  }
  // cvt.rn.satfinite.e4m3x2.f32 (sm_89): the value in both halves, so
  // either byte is its code.
  if (computeCapability(sm) >= 89)
    isa.f32ToE4m3 = [](llvm::IRBuilder<> &b, llvm::Value *value) {
      llvm::Value *pair = b.CreateIntrinsic(
          llvm::Intrinsic::nvvm_ff_to_e4m3x2_rn, {}, {value, value});
      return b.CreateTrunc(pair, b.getInt8Ty());
    };
  // cvt.rn.f16x2.e4m3x2 (sm_89): every e4m3 value is exact in f16, and f16
  // in f32; the code goes in the low byte, the low half comes out.
  if (computeCapability(sm) >= 89)
    isa.e4m3ToF32 = [](llvm::IRBuilder<> &b, llvm::Value *code) {
      llvm::Value *pair =
          b.CreateIntrinsic(llvm::Intrinsic::nvvm_e4m3x2_to_f16x2_rn, {},
                            {b.CreateZExt(code, b.getInt16Ty())});
      return b.CreateFPExt(b.CreateExtractElement(pair, uint64_t(0)),
                           b.getFloatTy());
    };
  isa.warpShuffleXor = [](llvm::IRBuilder<> &b, llvm::Value *value,
                          llvm::Value *mask) -> llvm::Value * {
    // All 32 lanes take part; clamp 0x1f: the whole warp is one segment.
    return b.CreateIntrinsic(
        llvm::Intrinsic::nvvm_shfl_sync_bfly_i32, {},
        {b.getInt32(0xffffffff), value, mask, b.getInt32(0x1f)});
  };
  isa.warpSync = [](llvm::IRBuilder<> &b) {
    b.CreateIntrinsic(llvm::Intrinsic::nvvm_bar_warp_sync, {},
                      {b.getInt32(0xffffffff)});
  };
  // cp.async (sm_80): 16-byte chunks bypass L1 (.cg), smaller ones cannot.
  if (computeCapability(sm) >= 80) {
    isa.asyncCopy = [](llvm::IRBuilder<> &b, llvm::Value *dst, llvm::Value *src,
                       unsigned bytes, llvm::Value *valid) {
      llvm::Intrinsic::ID id =
          bytes == 16  ? llvm::Intrinsic::nvvm_cp_async_cg_shared_global_16_s
          : bytes == 8 ? llvm::Intrinsic::nvvm_cp_async_ca_shared_global_8_s
                       : llvm::Intrinsic::nvvm_cp_async_ca_shared_global_4_s;
      llvm::Value *global =
          b.CreateAddrSpaceCast(src, llvm::PointerType::get(b.getContext(), 1));
      b.CreateIntrinsic(id, {}, {dst, global, valid});
    };
    isa.asyncCopyWait = [](llvm::IRBuilder<> &b) {
      b.CreateIntrinsic(llvm::Intrinsic::nvvm_cp_async_wait_all,
                        llvm::ArrayRef<llvm::Type *>{},
                        llvm::ArrayRef<llvm::Value *>{});
    };
  }
  return isa;
}

} // namespace

bool compileToPtx(ModuleOp module, const PtxOptions &options, std::string &ptx,
                  std::string &error) {
  // Warp-synchronous shuffles (sm_70) are the least the lowering assumes;
  // below sm_80 there is no cp.async and dots stay scalar loops; from sm_80
  // to sm_88 FP8/FP4 dots are widened to bf16 ones.
  if (computeCapability(options.sm) < 70) {
    error = "cuda: GPU architecture '" + options.sm +
            "': the CUDA target needs sm_70 or newer (e.g. sm_80, sm_86, "
            "sm_89, sm_90a, sm_120)";
    return false;
  }
  gpu::GpuIsa isa = nvvmIsa(options.sm);
  isa.warpgroupMmaF8 = bool(isa.warpgroupMma) && options.warpgroupF8;
  llvm::LLVMContext llvmContext;
  std::vector<gpu::KernelSignature> kernels;
  std::unique_ptr<llvm::Module> m =
      gpu::lowerToLLVM(module, isa, llvmContext, kernels, error);
  if (!m)
    return false;
  initializeNvptx();
  // PTX 8.4 has every instruction the lowering uses (e4m3 mma.sync and
  // conversions); Blackwell's targets need newer ISAs (sm_100: 8.6, sm_120:
  // 8.7), which LLVM otherwise stops at with a fatal error.
  const char *ptxVersion =
      computeCapability(options.sm) >= 100 ? "+ptx87" : "+ptx84";
  std::unique_ptr<llvm::TargetMachine> tm =
      gpu::createTargetMachine(kTriple, options.sm, ptxVersion, error);
  if (!tm) {
    error = "cuda: " + error;
    return false;
  }
  m->setTargetTriple(llvm::Triple(kTriple));
  m->setDataLayout(tm->createDataLayout());
  if (!gpu::finishModule(*m, isa, kernels, error))
    return false;
  gpu::optimize(*m, *tm);
  if (!gpu::emit(*m, *tm, llvm::CodeGenFileType::AssemblyFile, ptx, error)) {
    error = "cuda: " + error;
    return false;
  }
  return true;
}

} // namespace dsv4c::cuda
