//===- GpuModule.h - the shared GPU lowering, finished per ISA -*- C++ -*-===//
//
// Every GPU target (cuda, hip, level_zero) lowers tile kernels the same way:
// the shared GPU pipeline (lowering/Passes.h: buildGpuPipeline) leaves one
// program function per kernel that every thread of a group runs, calling
// dsv4c.thread_id, dsv4c.num_threads, dsv4c.barrier and malloc/free for
// tile buffers. A target describes its ISA in a GpuIsa; finishModule
// defines those helpers with the ISA's intrinsics and adds a kernel entry
// per program in the ISA's calling convention (GpuAbi.h says what the
// entries take).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_GPU_GPUMODULE_H
#define DSV4C_TARGETS_GPU_GPUMODULE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/CallingConv.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c::gpu {

/// Where tile buffers come from.
enum class TileHeap {
  /// The device's malloc/free (CUDA), one buffer per group.
  DeviceMalloc,
  /// A heap buffer the runtime passes to every launch, cut into one slice
  /// per group (ISAs without device malloc); GpuAbi.h.
  Arena,
};

/// What an ISA supplies to finish the shared GPU lowering.
struct GpuIsa {
  /// The target's name, the prefix of its error messages.
  std::string name;
  /// Address space of the pointers the lowering uses (flat/generic).
  unsigned flatAddressSpace = 0;
  /// The LLVM sync scope that covers every program of a launch and no more
  /// (tile.atomic_add); empty: the system scope, correct but slow on GPUs.
  std::string deviceSyncScope;
  /// Address space of allocas (thread-private memory).
  unsigned privateAddressSpace = 0;
  /// Address space of group-shared memory.
  unsigned sharedAddressSpace = 3;
  /// Address space of pointer parameters of a kernel entry.
  unsigned kernelPointerAddressSpace = 0;
  llvm::CallingConv::ID kernelCallingConv = llvm::CallingConv::C;
  TileHeap heap = TileHeap::DeviceMalloc;
  /// Group-shared bytes that tile buffers are taken from first (bump
  /// allocation, reused through the free cache), before the heap; 0: none.
  /// A module gets the most any of its programs could use at once, up to
  /// this (static shared memory: it limits the groups per multiprocessor).
  uint64_t sharedTileBytes = 0;
  /// `tile.store`s shared out over the group's threads (the pipeline's
  /// parallel-stores); else each is a loop on thread 0. Off for PoCL: its
  /// work-group loops over the extra barrier regions took compressor_decode
  /// from 8 to over 30 minutes to compile.
  bool parallelStores = false;
  /// Cheap elementwise chains fused into their consumers (the pipeline's
  /// fuse-elementwise): values in registers instead of a buffer and a
  /// barrier per op. Off for PoCL (OpenCL): its work-group compiler recursed
  /// without end (past 15 GB) on the fused V4 kernels.
  bool fuseElementwise = false;
  /// Whether the backend has a bf16 type; if not, bf16 data is handled as
  /// its 16 bits (loads, stores, conversions in integer code).
  bool hasBFloat16 = true;
  /// i64 values: the thread's index in its group, the group's size, the
  /// group's index in the launch (all along x).
  std::function<llvm::Value *(llvm::IRBuilder<> &)> threadId, numThreads,
      groupId;
  /// A group barrier that also orders the group's memory accesses.
  std::function<void(llvm::IRBuilder<> &)> barrier;
  /// Target attributes of a kernel entry (group size bounds and the like).
  std::function<void(llvm::Function &)> decorateEntry;
  /// Warp matrix instructions, if the ISA has them (the pipeline's
  /// warp-mma; lowering/Passes.td: dot-to-warp-mma): `kind` "bf16"
  /// (m16n8k16) or "f8" (m16n8k32, e4m3), `args` the 4 A and 2 B registers
  /// (i32) and the 4 f32 accumulators of a lane; returns the 4 results as
  /// a literal struct of 4 floats. Called in a warp's converged code.
  std::function<llvm::Value *(llvm::IRBuilder<> &, llvm::StringRef kind,
                              llvm::ArrayRef<llvm::Value *> args)>
      warpMma;
  /// Whether warpMma has the "f8" kind; without it, f8 dots are widened to
  /// bf16 in registers and done as two "bf16" instructions per k step.
  bool warpMmaF8 = false;
  /// A warp's load of `count` (2 or 4) 8x8 matrices of 16-bit elements
  /// from group-shared memory, if the ISA has it (dot-to-warp-mma's
  /// matrix-loads, on with warp-mma where tile buffers are planned): lane l
  /// gives the flat address (i64) of row l % 8 of matrix l / 8 (16 bytes,
  /// 16-byte aligned); each lane receives `count` i32 registers, register j
  /// the 2 elements of row lane / 4 at column 2 * (lane % 4) of matrix j.
  /// Returns them as a literal struct. Called in a warp's converged code.
  std::function<llvm::Value *(llvm::IRBuilder<> &, unsigned count,
                              llvm::Value *address)>
      warpLoadMatrix;
  /// A warpgroup's (the program's 4 warps) matrix instruction on operands
  /// in group-shared memory, if the ISA has it (the pipeline's
  /// warpgroup-mma; lowering/MarkWarpgroupDots.cpp): the f32 sums over one
  /// 128-byte block of k (`kind` "e4m3": 128 k, "bf16": 64 k) of a 64 x `n`
  /// block, A [64, block] at flat address `a` (i64) and B [n, block] at `b`,
  /// both staged swizzled (16-byte chunk j of row r at j ^ r % 8, 1024-byte
  /// aligned). Returns a literal struct of n / 2 floats, lane l of warp w
  /// holding rows 16w + l / 4 (+ 8) and columns 8j + 2 (l % 4) (+ 1), as the
  /// m16n8 accumulators of each 8 columns. Called by all 128 threads,
  /// converged.
  std::function<llvm::Value *(llvm::IRBuilder<> &, llvm::StringRef kind,
                              unsigned n, llvm::Value *a, llvm::Value *b)>
      warpgroupMma;
  /// Whether e4m3 dots take warpgroupMma too (its "e4m3" kind; the
  /// pipeline's warpgroup-mma-f8).
  bool warpgroupMmaF8 = false;
  /// A warp's butterfly exchange, if the ISA has it (the pipeline's
  /// warp-shuffles; reduce-to-warp-shuffles): the i32 `value` of lane
  /// (this lane ^ `mask`). Called in a warp's converged code.
  std::function<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *value,
                              llvm::Value *mask)>
      warpShuffleXor;
  /// Orders the memory accesses of a warp's lanes (all 32 take part), where
  /// the ISA does not run a warp's lanes in lockstep; else unset.
  std::function<void(llvm::IRBuilder<> &)> warpSync;
  /// An asynchronous copy into group-shared memory, if the ISA has one
  /// (the pipeline's async-copies; lowering/AsyncCopy.cpp): `bytes` (4, 8
  /// or 16) bytes to `dst` (shared address space) from `src` (flat), of
  /// which the first `valid` (i32) are read and the rest are zeros. Both
  /// are `bytes`-aligned. `asyncCopyWait` waits for the thread's copies.
  std::function<void(llvm::IRBuilder<> &, llvm::Value *dst, llvm::Value *src,
                     unsigned bytes, llvm::Value *valid)>
      asyncCopy;
  std::function<void(llvm::IRBuilder<> &)> asyncCopyWait;
  /// Orders this thread's writes to group-shared memory before later reads
  /// by the warpgroup instruction (another proxy), where the ISA needs it.
  std::function<void(llvm::IRBuilder<> &)> asyncProxyFence;
  /// The e4m3 code (i8) of an f32 already clamped to +-448, rounded to
  /// nearest even, if the ISA converts in one instruction (the pipeline's
  /// hardware-e4m3).
  std::function<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *value)>
      f32ToE4m3;
  /// The f32 value of an e4m3 code (i8), exact (NaN for the NaN codes), if
  /// the ISA converts in one or two instructions. hardware-e4m3 needs both
  /// conversions.
  std::function<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *code)>
      e4m3ToF32;
  /// Tile buffers at offsets planned at compile time in one group-shared
  /// global per program (the pipeline's plan-tile-bytes, at most
  /// `sharedTileBytes`; lowering/Passes.td: plan-tile-buffers), where a
  /// program's buffers all fit; else run-time allocation as above. The ISA
  /// must then say which flat pointers are group-shared (`isSharedPointer`:
  /// an i1), so that asynchronous copies reach the planned buffers too.
  bool planTileBuffers = false;
  /// Planned programs whose buffers need more than `sharedTileBytes` take
  /// up to this many bytes of the launch's dynamic shared memory (the
  /// runtime reads `dsv4c_dynamic_smem_<kernel>` and asks for that much);
  /// 0: such programs allocate at run time.
  uint64_t dynamicSharedTileBytes = 0;
  std::function<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *pointer)>
      isSharedPointer;
};

/// OpenCL built-ins (get_local_id, barrier, ...) as the SPIR-V backend and
/// OpenCL C know them: SPIR-V address spaces (0 private, 1 global, 3 local,
/// 4 generic), SPIR_KERNEL entries of 128 work-items, an arena tile heap,
/// bf16 as 16 bits. The level_zero and opencl targets use it.
GpuIsa openclBuiltinIsa(const std::string &name);

/// A tile.kernel: its name and argument types.
struct KernelSignature {
  std::string name;
  std::vector<mlir::Type> argumentTypes;
};

/// Lowers a clone of `module` with the shared GPU pipeline and translates it
/// to LLVM IR in `context`, pointers in `isa`'s address spaces. Fills
/// `kernels`. Null with `error` set (the compiler's diagnostics) on failure.
std::unique_ptr<llvm::Module> lowerToLLVM(mlir::ModuleOp module,
                                          const GpuIsa &isa,
                                          llvm::LLVMContext &context,
                                          std::vector<KernelSignature> &kernels,
                                          std::string &error);

/// Defines the thread helpers and tile heap with `isa`'s intrinsics and adds
/// a kernel entry per program (GpuAbi.h); `m` must already carry the
/// target's triple and data layout.
bool finishModule(llvm::Module &m, const GpuIsa &isa,
                  const std::vector<KernelSignature> &kernels,
                  std::string &error);

/// LLVM's O3 pipeline for `tm` (without the vectorizers for emitters that
/// write scalar code).
void optimize(llvm::Module &m, llvm::TargetMachine &tm, bool vectorize = true);

/// Runs `tm`'s backend on `m` into `out` (assembly or an object file).
bool emit(llvm::Module &m, llvm::TargetMachine &tm, llvm::CodeGenFileType type,
          std::string &out, std::string &error);

/// The registered LLVM target for `triple` and a machine for `cpu` with
/// `features`. Null with `error` set when this LLVM lacks the backend.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const std::string &triple, const std::string &cpu,
                    const std::string &features, std::string &error);

} // namespace dsv4c::gpu

#endif
