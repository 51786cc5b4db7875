//===- HelperBuilder.h - the GPU module's helpers, per ISA ------*- C++ -*-===//
//
// Internal to targets/gpu: the builder of the functions a lowered module
// calls (thread ids, barriers, the tile heap, asynchronous copies, kernel
// entries). GpuModule.cpp defines the thread helpers and entries,
// TileHeap.cpp the tile heap and the copies.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_GPU_HELPERBUILDER_H
#define DSV4C_TARGETS_GPU_HELPERBUILDER_H

#include "targets/gpu/GpuModule.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

#include <map>
#include <vector>

namespace dsv4c::gpu::detail {

/// Slots of the per-group cache of freed tile buffers.
constexpr int kCacheSlots = 16;

/// An internal, always-inlined function `name` whose body `fill` writes
/// (declared first when the module has no such declaration).
llvm::Function *defineHelper(
    llvm::Module &m, llvm::StringRef name, llvm::FunctionType *type,
    llvm::function_ref<void(llvm::IRBuilder<> &, llvm::Function *)> fill);

/// Whether the program was left for one thread (dsv4c.single_thread).
bool isSingleThread(llvm::Function &program);

/// Builds the helpers of one module for one ISA.
class HelperBuilder {
public:
  HelperBuilder(llvm::Module &m, const GpuIsa &isa)
      : m(m), isa(isa), ctx(m.getContext()), i64(llvm::Type::getInt64Ty(ctx)),
        ptr(llvm::PointerType::get(ctx, isa.flatAddressSpace)),
        voidTy(llvm::Type::getVoidTy(ctx)) {}

  void defineThreadHelpers();
  /// `sharedBytes`: the size of the group-shared tile arena (0: none).
  void defineTileHeap(uint64_t sharedBytes);
  /// The copies of lowering/AsyncCopy.cpp (after defineTileHeap).
  void defineAsyncCopies();
  void makeBlockWide(llvm::Function &program);
  bool addEntry(llvm::Function &program, const KernelSignature &kernel,
                std::string &error);

private:
  /// dsv4c.copy_e2m1.32 and .128, where the module calls them
  /// (defineAsyncCopies).
  void defineE2m1Copy();
  void defineE2m1Copy(llvm::Function *f, unsigned codes);
  /// The copies' slow path, from b's block: dst[i] = i < valid ? read(i) :
  /// 0 for i in [0, n), then return.
  void
  byteLoop(llvm::IRBuilder<> &b, llvm::Function *fn, llvm::Value *dst,
           llvm::Value *valid, unsigned n,
           llvm::function_ref<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *)>
               read);
  llvm::Type *b8() { return llvm::Type::getInt8Ty(ctx); }
  llvm::GlobalVariable *shared(llvm::Type *type, const char *name) {
    return new llvm::GlobalVariable(
        m, type, false, llvm::GlobalValue::InternalLinkage,
        llvm::PoisonValue::get(type), name, nullptr,
        llvm::GlobalValue::NotThreadLocal, isa.sharedAddressSpace);
  }
  llvm::Value *sharedAddress(llvm::IRBuilder<> &b, llvm::Value *global) {
    return isa.sharedAddressSpace == isa.flatAddressSpace
               ? global
               : b.CreateAddrSpaceCast(global, ptr);
  }
  llvm::Value *cachePtrAt(llvm::IRBuilder<> &b, int k) {
    return b.CreateConstInBoundsGEP2_32(cachePtrs->getValueType(), cachePtrs, 0,
                                        k);
  }
  llvm::Value *cacheSizeAt(llvm::IRBuilder<> &b, int k) {
    return b.CreateConstInBoundsGEP2_32(cacheSizes->getValueType(), cacheSizes,
                                        0, k);
  }
  /// `if (thread id == 0) then(b)` at b's insertion point; continues after.
  void onThreadZero(llvm::IRBuilder<> &b, llvm::Function *f,
                    llvm::function_ref<void(llvm::IRBuilder<> &)> then);
  /// A fresh buffer of `total` bytes (header included) from the heap.
  llvm::Value *allocateFresh(llvm::IRBuilder<> &b, llvm::Function *f,
                             llvm::Value *total);
  /// Gives back a buffer the cache has no room for.
  void releaseBase(llvm::IRBuilder<> &b, llvm::Value *base);
  /// A fresh buffer from the group-shared arena, or null when it is full.
  llvm::Value *allocateShared(llvm::IRBuilder<> &b, llvm::Value *total);
  /// Whether `base` lies in the group-shared arena.
  llvm::Value *isShared(llvm::IRBuilder<> &b, llvm::Value *base);

  llvm::Module &m;
  const GpuIsa &isa;
  llvm::LLVMContext &ctx;
  llvm::Type *i64, *ptr, *voidTy;
  llvm::GlobalVariable *cachePtrs = nullptr, *cacheSizes = nullptr;
  llvm::GlobalVariable *arenaNext = nullptr, *arenaEnd = nullptr,
                       *arenaBegin = nullptr, *arenaStatus = nullptr;
  /// The group-shared tile arena and its bump offset (null: none).
  llvm::GlobalVariable *sharedTiles = nullptr, *sharedNext = nullptr;
  uint64_t sharedTileBytes = 0;
  llvm::Function *blockMalloc = nullptr, *blockFree = nullptr;
  std::map<llvm::Function *, llvm::Function *> blockHelpers;
};

/// The group-shared tile arena a module needs: the most bytes of tile
/// buffers of constant size any distributed program allocates (every one
/// live at once), up to the ISA's limit. Buffers beyond it, of a size known
/// only at run time, or a second one from an allocation in a loop while
/// the first is still held, come from the heap.
uint64_t sharedTileBytes(llvm::Module &m, const GpuIsa &isa,
                         const std::vector<KernelSignature> &kernels);

} // namespace dsv4c::gpu::detail

#endif
