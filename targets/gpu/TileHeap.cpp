//===- TileHeap.cpp - tile buffers on a GPU: heap, shared arena, copies ---===//
//
// Tile buffers come from a group-shared arena first (bump allocation), then
// from the heap (the ISA's device malloc or an arena in global memory),
// through a per-group cache of freed buffers; the asynchronous copies of
// lowering/AsyncCopy.cpp fill them.
//
//===----------------------------------------------------------------------===//
#include "targets/gpu/HelperBuilder.h"

#include "targets/gpu/GpuAbi.h"

#include "llvm/IR/InstIterator.h"

namespace dsv4c::gpu::detail {

llvm::Value *HelperBuilder::allocateFresh(llvm::IRBuilder<> &b,
                                          llvm::Function *f,
                                          llvm::Value *total) {
  auto *failed = llvm::BasicBlock::Create(ctx, "failed", f);
  auto *got = llvm::BasicBlock::Create(ctx, "got", f);
  llvm::Value *base;
  llvm::Value *ok;
  llvm::BasicBlock *fromShared = nullptr;
  llvm::Value *sharedBase = nullptr;
  if (sharedTiles) {
    auto *heap = llvm::BasicBlock::Create(ctx, "heap", f);
    sharedBase = allocateShared(b, total);
    fromShared = b.GetInsertBlock();
    b.CreateCondBr(b.CreateIsNotNull(sharedBase), got, heap);
    b.SetInsertPoint(heap);
  }
  if (isa.heap == TileHeap::DeviceMalloc) {
    llvm::FunctionCallee malloc = m.getOrInsertFunction(
        "malloc", llvm::FunctionType::get(ptr, {i64}, false));
    base = b.CreateCall(malloc, {total});
    ok = b.CreateIsNotNull(base);
  } else {
    // Bump allocation in the group's slice, 16-byte aligned.
    llvm::Value *next = sharedAddress(b, arenaNext);
    llvm::Value *end = sharedAddress(b, arenaEnd);
    base = b.CreateLoad(ptr, next);
    llvm::Value *rounded =
        b.CreateAnd(b.CreateAdd(total, b.getInt64(15)), b.getInt64(-16));
    llvm::Value *after = b.CreateGEP(b.getInt8Ty(), base, rounded);
    b.CreateStore(after, next);
    ok = b.CreateICmpULE(b.CreatePtrToInt(after, i64),
                         b.CreatePtrToInt(b.CreateLoad(ptr, end), i64));
  }
  llvm::BasicBlock *allocated = b.GetInsertBlock();
  b.CreateCondBr(ok, got, failed);
  b.SetInsertPoint(failed); // the tile heap is exhausted
  llvm::Value *fallback = nullptr;
  if (isa.heap == TileHeap::DeviceMalloc) {
    b.CreateIntrinsic(llvm::Intrinsic::trap, {}); // the device heap ran out
    b.CreateUnreachable();
  } else {
    // Raise the launch's status flag (the runtime reports it) and reuse
    // the slice: no exit here, which would leave the group's later
    // barriers to some of its threads.
    llvm::Value *status = b.CreateLoad(ptr, sharedAddress(b, arenaStatus));
    b.CreateStore(b.getInt32(1), status);
    fallback = b.CreateLoad(ptr, sharedAddress(b, arenaBegin));
    b.CreateBr(got);
  }
  b.SetInsertPoint(got);
  if (fallback || fromShared) {
    llvm::PHINode *chosen = b.CreatePHI(ptr, 3);
    chosen->addIncoming(base, allocated);
    if (fallback)
      chosen->addIncoming(fallback, failed);
    if (fromShared)
      chosen->addIncoming(sharedBase, fromShared);
    base = chosen;
  }
  b.CreateStore(total, base);
  return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), base, kTileBufferHeader);
}

llvm::Value *HelperBuilder::allocateShared(llvm::IRBuilder<> &b,
                                           llvm::Value *total) {
  llvm::Value *nextAddress = sharedAddress(b, sharedNext);
  llvm::Value *offset = b.CreateLoad(i64, nextAddress);
  llvm::Value *after = b.CreateAdd(
      offset, b.CreateAnd(b.CreateAdd(total, b.getInt64(15)), b.getInt64(-16)));
  llvm::Value *fits = b.CreateICmpULE(after, b.getInt64(sharedTileBytes));
  b.CreateStore(b.CreateSelect(fits, after, offset), nextAddress);
  llvm::Value *base =
      b.CreateGEP(b.getInt8Ty(), sharedAddress(b, sharedTiles), offset);
  return b.CreateSelect(
      fits, base,
      llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr)));
}

llvm::Value *HelperBuilder::isShared(llvm::IRBuilder<> &b, llvm::Value *base) {
  if (isa.isSharedPointer)
    return isa.isSharedPointer(b, base);
  llvm::Value *begin = b.CreatePtrToInt(sharedAddress(b, sharedTiles), i64);
  llvm::Value *at = b.CreatePtrToInt(base, i64);
  return b.CreateAnd(
      b.CreateICmpUGE(at, begin),
      b.CreateICmpULT(at, b.CreateAdd(begin, b.getInt64(sharedTileBytes))));
}

void HelperBuilder::releaseBase(llvm::IRBuilder<> &b, llvm::Value *base) {
  if (isa.heap != TileHeap::DeviceMalloc)
    return; // an arena slice is given back whole when the program ends
  llvm::FunctionCallee free = m.getOrInsertFunction(
      "free", llvm::FunctionType::get(voidTy, {ptr}, false));
  if (!sharedTiles) {
    b.CreateCall(free, {base});
    return;
  }
  // Group-shared buffers are given back when the program ends.
  llvm::Function *f = b.GetInsertBlock()->getParent();
  auto *heap = llvm::BasicBlock::Create(ctx, "heap_free", f);
  auto *done = llvm::BasicBlock::Create(ctx, "freed", f);
  b.CreateCondBr(isShared(b, base), done, heap);
  b.SetInsertPoint(heap);
  b.CreateCall(free, {base});
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

/// Block-wide tile buffers: thread 0 allocates, the others read the pointer
/// from shared memory. A freed buffer goes to a small per-group cache keyed
/// by size (loops allocate the same tiles every iteration; device malloc is
/// slow, an arena would run out); dsv4c.block_end releases what is cached.
void HelperBuilder::defineTileHeap(uint64_t sharedBytes) {
  auto *voidFn = llvm::FunctionType::get(voidTy, false);
  if (sharedBytes) {
    sharedTileBytes = sharedBytes;
    sharedTiles =
        shared(llvm::ArrayType::get(b8(), sharedBytes), "dsv4c_shared_tiles");
    sharedTiles->setAlignment(llvm::Align(16));
    sharedNext = shared(i64, "dsv4c_shared_next");
  }
  llvm::GlobalVariable *slot = shared(ptr, "dsv4c_block_buffer");
  cachePtrs = shared(llvm::ArrayType::get(ptr, kCacheSlots), "dsv4c_cache_ptr");
  cacheSizes =
      shared(llvm::ArrayType::get(i64, kCacheSlots), "dsv4c_cache_size");
  if (isa.heap == TileHeap::Arena) {
    arenaNext = shared(ptr, "dsv4c_arena_next");
    arenaEnd = shared(ptr, "dsv4c_arena_end");
    arenaBegin = shared(ptr, "dsv4c_arena_begin");
    arenaStatus = shared(ptr, "dsv4c_arena_status");
  }
  blockMalloc = defineHelper(
      m, "dsv4c.block_malloc", llvm::FunctionType::get(ptr, {i64}, false),
      [&](llvm::IRBuilder<> &b, llvm::Function *f) {
        isa.barrier(b);
        onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
          llvm::Value *total =
              b.CreateAdd(f->getArg(0), b.getInt64(kTileBufferHeader));
          llvm::Value *found = b.getFalse();
          llvm::Value *p = llvm::ConstantPointerNull::get(
              llvm::cast<llvm::PointerType>(ptr));
          for (int k = 0; k < kCacheSlots; ++k) {
            llvm::Value *size = b.CreateLoad(i64, cacheSizeAt(b, k));
            llvm::Value *hit =
                b.CreateAnd(b.CreateNot(found), b.CreateICmpEQ(size, total));
            p = b.CreateSelect(hit, b.CreateLoad(ptr, cachePtrAt(b, k)), p);
            b.CreateStore(b.CreateSelect(hit, b.getInt64(0), size),
                          cacheSizeAt(b, k));
            found = b.CreateOr(found, hit);
          }
          auto *fresh = llvm::BasicBlock::Create(ctx, "fresh", f);
          auto *done = llvm::BasicBlock::Create(ctx, "done", f);
          llvm::BasicBlock *cached = b.GetInsertBlock();
          b.CreateCondBr(found, done, fresh);
          b.SetInsertPoint(fresh);
          llvm::Value *user = allocateFresh(b, f, total);
          llvm::BasicBlock *allocated = b.GetInsertBlock();
          b.CreateBr(done);
          b.SetInsertPoint(done);
          llvm::PHINode *result = b.CreatePHI(ptr, 2);
          result->addIncoming(p, cached);
          result->addIncoming(user, allocated);
          b.CreateStore(result, slot);
        });
        isa.barrier(b);
        llvm::Value *p = b.CreateLoad(ptr, slot);
        isa.barrier(b); // before a later call overwrites the slot
        b.CreateRet(p);
      });
  blockFree = defineHelper(
      m, "dsv4c.block_free", llvm::FunctionType::get(voidTy, {ptr}, false),
      [&](llvm::IRBuilder<> &b, llvm::Function *f) {
        isa.barrier(b); // every thread is done with the buffer
        onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
          llvm::Value *p = f->getArg(0);
          auto *keep = llvm::BasicBlock::Create(ctx, "keep", f);
          auto *release = llvm::BasicBlock::Create(ctx, "release", f);
          auto *done = llvm::BasicBlock::Create(ctx, "done", f);
          b.CreateCondBr(b.CreateIsNull(p), done, keep);
          b.SetInsertPoint(keep);
          llvm::Value *base = b.CreateConstInBoundsGEP1_64(
              b.getInt8Ty(), p, -int64_t(kTileBufferHeader));
          llvm::Value *total = b.CreateLoad(i64, base);
          llvm::Value *placed = b.getFalse();
          for (int k = 0; k < kCacheSlots; ++k) {
            llvm::Value *size = b.CreateLoad(i64, cacheSizeAt(b, k));
            llvm::Value *empty = b.CreateAnd(
                b.CreateNot(placed), b.CreateICmpEQ(size, b.getInt64(0)));
            b.CreateStore(b.CreateSelect(empty, total, size),
                          cacheSizeAt(b, k));
            b.CreateStore(
                b.CreateSelect(empty, p, b.CreateLoad(ptr, cachePtrAt(b, k))),
                cachePtrAt(b, k));
            placed = b.CreateOr(placed, empty);
          }
          b.CreateCondBr(placed, done, release);
          b.SetInsertPoint(release);
          releaseBase(b, base);
          b.CreateBr(done);
          b.SetInsertPoint(done);
        });
        b.CreateRetVoid();
      });
  // Around a distributed program: an empty cache (and, for an arena, the
  // group's slice), then releasing what the cache holds.
  llvm::FunctionType *beginType =
      isa.heap == TileHeap::Arena
          ? llvm::FunctionType::get(voidTy, {ptr, ptr, ptr}, false)
          : voidFn;
  defineHelper(m, "dsv4c.block_begin", beginType,
               [&](llvm::IRBuilder<> &b, llvm::Function *f) {
                 isa.barrier(b);
                 onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
                   for (int k = 0; k < kCacheSlots; ++k)
                     b.CreateStore(b.getInt64(0), cacheSizeAt(b, k));
                   if (sharedNext)
                     b.CreateStore(b.getInt64(0), sharedAddress(b, sharedNext));
                   if (isa.heap == TileHeap::Arena) {
                     b.CreateStore(f->getArg(0), sharedAddress(b, arenaStatus));
                     b.CreateStore(f->getArg(1), sharedAddress(b, arenaNext));
                     b.CreateStore(f->getArg(1), sharedAddress(b, arenaBegin));
                     b.CreateStore(f->getArg(2), sharedAddress(b, arenaEnd));
                   }
                 });
                 isa.barrier(b);
                 b.CreateRetVoid();
               });
  defineHelper(m, "dsv4c.block_end", voidFn,
               [&](llvm::IRBuilder<> &b, llvm::Function *f) {
                 isa.barrier(b);
                 if (isa.heap == TileHeap::DeviceMalloc) {
                   onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
                     for (int k = 0; k < kCacheSlots; ++k) {
                       auto *release =
                           llvm::BasicBlock::Create(ctx, "release", f);
                       auto *next = llvm::BasicBlock::Create(ctx, "next", f);
                       b.CreateCondBr(
                           b.CreateICmpNE(b.CreateLoad(i64, cacheSizeAt(b, k)),
                                          b.getInt64(0)),
                           release, next);
                       b.SetInsertPoint(release);
                       releaseBase(b, b.CreateConstInBoundsGEP1_64(
                                          b.getInt8Ty(),
                                          b.CreateLoad(ptr, cachePtrAt(b, k)),
                                          -int64_t(kTileBufferHeader)));
                       b.CreateBr(next);
                       b.SetInsertPoint(next);
                     }
                   });
                 }
                 b.CreateRetVoid();
               });
}

/// Whether the module calls the warpgroup instruction (dsv4c.wgmma.*).
static bool usesWarpgroupMma(llvm::Module &m) {
  return llvm::any_of(m.functions(), [](llvm::Function &f) {
    return f.getName().starts_with("dsv4c.wgmma.");
  });
}

/// dsv4c.copy_async.N(dst, src, valid): the ISA's asynchronous copy where
/// the destination is in the group-shared arena and both addresses are
/// N-aligned; otherwise a byte loop (zeros past `valid`).
void HelperBuilder::defineAsyncCopies() {
  for (unsigned n : {4u, 8u, 16u}) {
    std::string name = "dsv4c.copy_async." + std::to_string(n);
    llvm::Function *f = m.getFunction(name);
    if (!f || !f->isDeclaration())
      continue;
    defineHelper(
        m, name, f->getFunctionType(),
        [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
          llvm::Value *dstBits = fn->getArg(0), *srcBits = fn->getArg(1);
          llvm::Value *valid = fn->getArg(2);
          llvm::Value *dst = b.CreateIntToPtr(dstBits, ptr);
          llvm::Value *src = b.CreateIntToPtr(srcBits, ptr);
          auto *slow = llvm::BasicBlock::Create(ctx, "bytes", fn);
          if ((sharedTiles || isa.isSharedPointer) && isa.asyncCopy) {
            auto *fast = llvm::BasicBlock::Create(ctx, "async", fn);
            llvm::Value *aligned = b.CreateICmpEQ(
                b.CreateAnd(b.CreateOr(dstBits, srcBits), b.getInt64(n - 1)),
                b.getInt64(0));
            b.CreateCondBr(b.CreateAnd(aligned, isShared(b, dst)), fast, slow);
            b.SetInsertPoint(fast);
            llvm::Value *sharedDst = b.CreateAddrSpaceCast(
                dst, llvm::PointerType::get(ctx, isa.sharedAddressSpace));
            isa.asyncCopy(b, sharedDst, src, n, valid);
            b.CreateRetVoid();
          } else {
            b.CreateBr(slow);
          }
          b.SetInsertPoint(slow);
          byteLoop(b, fn, dst, valid, n,
                   [&](llvm::IRBuilder<> &b, llvm::Value *i) -> llvm::Value * {
                     return b.CreateLoad(b8(), b.CreateGEP(b8(), src, i));
                   });
        });
  }
  defineE2m1Copy();
  if (llvm::Function *f = m.getFunction("dsv4c.copy_async_wait");
      f && f->isDeclaration())
    defineHelper(m, f->getName(), f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *) {
                   if (isa.asyncCopyWait)
                     isa.asyncCopyWait(b);
                   // Copies a warpgroup instruction reads: each thread
                   // fences its own before the barrier that follows.
                   if (isa.asyncProxyFence && usesWarpgroupMma(m))
                     isa.asyncProxyFence(b);
                   b.CreateRetVoid();
                 });
}

/// dsv4c.copy_e2m1.N(dst, src_base, src_element, valid), N = 32 or 128:
/// codes src_element.. of the packed e2m1 array at src_base (two a byte,
/// the lower-index code in the low nibble) to the N bytes at dst, a code in
/// the low bits of each byte, zeros past `valid`. A whole chunk that starts
/// a byte on a 16-byte boundary is N / 32 16-byte loads, all issued before
/// any use (one round trip to memory), their nibbles spread to bytes in
/// registers (a 16-bit half h = b0 | b1 << 8 becomes lo(b0) | hi(b0) << 8 |
/// lo(b1) << 16 | hi(b1) << 24), and N / 16 16-byte stores; otherwise a
/// loop over codes.
void HelperBuilder::defineE2m1Copy() {
  for (unsigned codes : {32u, 128u}) {
    llvm::Function *f =
        m.getFunction(("dsv4c.copy_e2m1." + llvm::Twine(codes)).str());
    if (f && f->isDeclaration())
      defineE2m1Copy(f, codes);
  }
}

void HelperBuilder::defineE2m1Copy(llvm::Function *f, unsigned codes) {
  defineHelper(
      m, f->getName(), f->getFunctionType(),
      [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
        llvm::Type *i32 = b.getInt32Ty();
        llvm::Value *dstBits = fn->getArg(0), *srcBase = fn->getArg(1);
        llvm::Value *element = fn->getArg(2), *valid = fn->getArg(3);
        llvm::Value *dst = b.CreateIntToPtr(dstBits, ptr);
        llvm::Value *srcByte =
            b.CreateAdd(srcBase, b.CreateLShr(element, b.getInt64(1)));
        llvm::Value *evenStart =
            b.CreateICmpEQ(b.CreateAnd(element, b.getInt64(1)), b.getInt64(0));
        llvm::Value *aligned = b.CreateICmpEQ(
            b.CreateAnd(b.CreateOr(srcByte, dstBits), b.getInt64(15)),
            b.getInt64(0));
        llvm::Value *whole = b.CreateICmpEQ(valid, b.getInt32(codes));
        auto *fast = llvm::BasicBlock::Create(ctx, "packed", fn);
        auto *slow = llvm::BasicBlock::Create(ctx, "codes", fn);
        b.CreateCondBr(b.CreateAnd(whole, b.CreateAnd(evenStart, aligned)),
                       fast, slow);

        b.SetInsertPoint(fast);
        auto *v4 = llvm::FixedVectorType::get(i32, 4);
        const unsigned loads = codes / 32;
        llvm::SmallVector<llvm::Value *, 4> packed;
        for (unsigned l = 0; l < loads; ++l)
          packed.push_back(b.CreateAlignedLoad(
              v4,
              b.CreateIntToPtr(b.CreateAdd(srcByte, b.getInt64(16 * l)), ptr),
              llvm::Align(16)));
        auto spread = [&](llvm::Value *half) {
          llvm::Value *t =
              b.CreateAnd(b.CreateOr(half, b.CreateShl(half, 8)), 0x00FF00FF);
          return b.CreateOr(b.CreateAnd(t, 0x000F000F),
                            b.CreateShl(b.CreateAnd(t, 0x00F000F0), 4));
        };
        for (unsigned l = 0; l < loads; ++l) {
          llvm::Value *out[2] = {llvm::PoisonValue::get(v4),
                                 llvm::PoisonValue::get(v4)};
          for (unsigned word = 0; word < 4; ++word) {
            llvm::Value *w = b.CreateExtractElement(packed[l], word);
            unsigned lane = 2 * word;
            out[lane / 4] = b.CreateInsertElement(
                out[lane / 4], spread(b.CreateAnd(w, 0xFFFF)), lane % 4);
            out[lane / 4] = b.CreateInsertElement(
                out[lane / 4], spread(b.CreateLShr(w, 16)), (lane + 1) % 4);
          }
          for (unsigned half = 0; half < 2; ++half)
            b.CreateAlignedStore(
                out[half], b.CreateConstGEP1_64(b8(), dst, 32 * l + 16 * half),
                llvm::Align(16));
        }
        b.CreateRetVoid();

        b.SetInsertPoint(slow);
        byteLoop(
            b, fn, dst, valid, codes,
            [&](llvm::IRBuilder<> &b, llvm::Value *i) -> llvm::Value * {
              llvm::Value *at = b.CreateAdd(element, b.CreateZExt(i, i64));
              llvm::Value *byte = b.CreateLoad(
                  b8(),
                  b.CreateIntToPtr(
                      b.CreateAdd(srcBase, b.CreateLShr(at, b.getInt64(1))),
                      ptr));
              llvm::Value *shift = b.CreateTrunc(
                  b.CreateShl(b.CreateAnd(at, b.getInt64(1)), b.getInt64(2)),
                  b8());
              return b.CreateAnd(b.CreateLShr(byte, shift), 0x0F);
            });
      });
}

void HelperBuilder::byteLoop(
    llvm::IRBuilder<> &b, llvm::Function *fn, llvm::Value *dst,
    llvm::Value *valid, unsigned n,
    llvm::function_ref<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *)>
        read) {
  llvm::BasicBlock *entry = b.GetInsertBlock();
  auto *loop = llvm::BasicBlock::Create(ctx, "byte", fn);
  auto *readBlock = llvm::BasicBlock::Create(ctx, "read", fn);
  auto *write = llvm::BasicBlock::Create(ctx, "write", fn);
  auto *done = llvm::BasicBlock::Create(ctx, "done", fn);
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  llvm::PHINode *i = b.CreatePHI(b.getInt32Ty(), 2);
  i->addIncoming(b.getInt32(0), entry);
  b.CreateCondBr(b.CreateICmpSLT(i, valid), readBlock, write);
  b.SetInsertPoint(readBlock);
  llvm::Value *byte = read(b, i);
  llvm::BasicBlock *readEnd = b.GetInsertBlock();
  b.CreateBr(write);
  b.SetInsertPoint(write);
  llvm::PHINode *value = b.CreatePHI(b8(), 2);
  value->addIncoming(b.getInt8(0), loop);
  value->addIncoming(byte, readEnd);
  b.CreateStore(value, b.CreateGEP(b8(), dst, i));
  llvm::Value *next = b.CreateAdd(i, b.getInt32(1));
  i->addIncoming(next, write);
  b.CreateCondBr(b.CreateICmpULT(next, b.getInt32(n)), loop, done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
}

uint64_t sharedTileBytes(llvm::Module &m, const GpuIsa &isa,
                         const std::vector<KernelSignature> &kernels) {
  if (!isa.sharedTileBytes)
    return 0;
  uint64_t most = 0;
  for (const KernelSignature &k : kernels) {
    llvm::Function *f = m.getFunction(k.name);
    if (!f || f->isDeclaration() || isSingleThread(*f))
      continue;
    uint64_t sum = 0;
    for (llvm::Instruction &inst : llvm::instructions(*f))
      if (auto *call = llvm::dyn_cast<llvm::CallInst>(&inst))
        if (call->getCalledFunction() &&
            call->getCalledFunction()->getName() == "malloc")
          if (auto *size =
                  llvm::dyn_cast<llvm::ConstantInt>(call->getArgOperand(0)))
            sum += (size->getZExtValue() + kTileBufferHeader + 15) / 16 * 16;
    most = std::max(most, sum);
  }
  return std::min(most, isa.sharedTileBytes);
}

} // namespace dsv4c::gpu::detail
