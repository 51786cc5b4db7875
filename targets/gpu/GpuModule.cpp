//===- GpuModule.cpp - the shared GPU lowering, finished per ISA ----------===//
#include "targets/gpu/GpuModule.h"

#include "dialects/tile/TileDialect.h"
#include "lowering/Passes.h"
#include "targets/gpu/GpuAbi.h"
#include "targets/gpu/HelperBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <map>

using namespace mlir;

namespace dsv4c::gpu {
namespace {

/// The LLVM type of a kernel argument's value as the calling convention
/// stores it: pointers, integers, f32/f64, and f16/bf16 as their 16 bits.
llvm::Type *argumentType(Type type, llvm::LLVMContext &ctx,
                         unsigned pointerSpace) {
  if (isa<tile::PtrType>(type))
    return llvm::PointerType::get(ctx, pointerSpace);
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

/// Moves allocas into the ISA's private address space, cast back to flat.
void placeAllocas(llvm::Module &m, const GpuIsa &isa) {
  std::vector<llvm::AllocaInst *> allocas;
  for (llvm::Function &f : m)
    for (llvm::Instruction &inst : llvm::instructions(f))
      if (auto *a = llvm::dyn_cast<llvm::AllocaInst>(&inst))
        if (a->getAddressSpace() != isa.privateAddressSpace)
          allocas.push_back(a);
  for (llvm::AllocaInst *a : allocas) {
    llvm::IRBuilder<> b(a);
    llvm::AllocaInst *placed = b.CreateAlloca(
        a->getAllocatedType(), isa.privateAddressSpace, a->getArraySize());
    placed->setAlignment(a->getAlign());
    placed->takeName(a);
    a->replaceAllUsesWith(b.CreateAddrSpaceCast(placed, a->getType()));
    a->eraseFromParent();
  }
}

/// bf16 values as their 16 bits (i16), for ISAs without a bf16 type:
/// constants and conversions become integer code first, then every bf16
/// type becomes i16 and the bitcasts between them disappear.
void storeBFloat16AsI16(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Type bf16 = BFloat16Type::get(ctx), f32 = Float32Type::get(ctx);
  Type i16 = IntegerType::get(ctx, 16), i32 = IntegerType::get(ctx, 32);
  // Integers to bf16 through f32, then truncated as below: one rounding
  // for |v| <= 2^24 (exact in f32: every integer the kernels convert);
  // larger values round twice, which can differ from one rounding in the
  // last bf16 bit.
  SmallVector<Operation *> intToBf16;
  module.walk([&](Operation *op) {
    if (isa<LLVM::SIToFPOp, LLVM::UIToFPOp>(op) &&
        op->getResult(0).getType().isBF16())
      intToBf16.push_back(op);
  });
  for (Operation *op : intToBf16) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value wide =
        isa<LLVM::SIToFPOp>(op)
            ? LLVM::SIToFPOp::create(b, loc, f32, op->getOperand(0)).getResult()
            : LLVM::UIToFPOp::create(b, loc, f32, op->getOperand(0))
                  .getResult();
    op->getResult(0).replaceAllUsesWith(
        LLVM::FPTruncOp::create(b, loc, bf16, wide).getResult());
    op->erase();
  }
  SmallVector<Operation *> work;
  module.walk([&](Operation *op) {
    if (isa<LLVM::ConstantOp, LLVM::FPExtOp, LLVM::FPTruncOp>(op))
      work.push_back(op);
  });
  for (Operation *op : work) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto constant32 = [&](uint32_t v) -> Value {
      return LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(v));
    };
    Value replacement;
    if (auto c = dyn_cast<LLVM::ConstantOp>(op)) {
      auto value = dyn_cast<FloatAttr>(c.getValue());
      if (!value || !value.getType().isBF16())
        continue;
      Value bits = LLVM::ConstantOp::create(
          b, loc, i16,
          b.getIntegerAttr(i16, value.getValue().bitcastToAPInt()));
      replacement = LLVM::BitcastOp::create(b, loc, bf16, bits);
    } else if (auto ext = dyn_cast<LLVM::FPExtOp>(op)) {
      if (!ext.getArg().getType().isBF16())
        continue;
      // A bf16 is the high half of the f32 with the same value.
      Value bits = LLVM::BitcastOp::create(b, loc, i16, ext.getArg());
      Value wide = LLVM::ZExtOp::create(b, loc, i32, bits);
      Value high = LLVM::ShlOp::create(b, loc, wide, constant32(16));
      replacement = LLVM::BitcastOp::create(b, loc, f32, high);
      if (ext.getType() != f32)
        replacement = LLVM::FPExtOp::create(b, loc, ext.getType(), replacement);
    } else if (auto trunc = dyn_cast<LLVM::FPTruncOp>(op)) {
      if (!trunc.getType().isBF16())
        continue;
      // Round to nearest even; NaN stays a (quiet) NaN.
      Value x = trunc.getArg();
      if (x.getType() != f32)
        x = LLVM::FPTruncOp::create(b, loc, f32, x);
      Value bits = LLVM::BitcastOp::create(b, loc, i32, x);
      Value high = LLVM::LShrOp::create(b, loc, bits, constant32(16));
      Value odd = LLVM::AndOp::create(b, loc, high, constant32(1));
      Value bias = LLVM::AddOp::create(b, loc, odd, constant32(0x7fff));
      Value rounded = LLVM::LShrOp::create(
          b, loc, LLVM::AddOp::create(b, loc, bits, bias), constant32(16));
      Value isNan =
          LLVM::FCmpOp::create(b, loc, LLVM::FCmpPredicate::uno, x, x);
      Value chosen =
          LLVM::SelectOp::create(b, loc, isNan, constant32(0x7fc0), rounded);
      Value narrow = LLVM::TruncOp::create(b, loc, i16, chosen);
      replacement = LLVM::BitcastOp::create(b, loc, bf16, narrow);
    }
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  }
  AttrTypeReplacer replacer;
  replacer.addReplacement([&](BFloat16Type) -> Type { return i16; });
  replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
  module.walk([](LLVM::BitcastOp cast) {
    if (cast.getArg().getType() == cast.getType()) {
      cast.replaceAllUsesWith(cast.getArg());
      cast.erase();
    }
  });
}

} // namespace

namespace detail {

/// An internal, always-inlined function `name` whose body `fill` writes
/// (declared first when the module has no such declaration).
llvm::Function *defineHelper(
    llvm::Module &m, llvm::StringRef name, llvm::FunctionType *type,
    llvm::function_ref<void(llvm::IRBuilder<> &, llvm::Function *)> fill) {
  llvm::Function *f = m.getFunction(name);
  if (!f)
    f = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage, name,
                               m);
  if (!f->isDeclaration())
    return f;
  f->setLinkage(llvm::GlobalValue::InternalLinkage);
  f->addFnAttr(llvm::Attribute::AlwaysInline);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(m.getContext(), "entry", f));
  fill(b, f);
  return f;
}

/// Whether the program was left for one thread (dsv4c.single_thread).
bool isSingleThread(llvm::Function &program) {
  for (llvm::Instruction &inst : llvm::instructions(program))
    if (auto *call = llvm::dyn_cast<llvm::CallInst>(&inst))
      if (call->getCalledFunction() &&
          call->getCalledFunction()->getName() == "dsv4c.single_thread")
        return true;
  return false;
}

void HelperBuilder::onThreadZero(
    llvm::IRBuilder<> &b, llvm::Function *f,
    llvm::function_ref<void(llvm::IRBuilder<> &)> then) {
  auto *first = llvm::BasicBlock::Create(ctx, "thread0", f);
  auto *rest = llvm::BasicBlock::Create(ctx, "rest", f);
  b.CreateCondBr(b.CreateICmpEQ(isa.threadId(b), b.getInt64(0)), first, rest);
  b.SetInsertPoint(first);
  then(b);
  b.CreateBr(rest);
  b.SetInsertPoint(rest);
}

/// The target side of distribute-to-threads (lowering/Passes.td).
void HelperBuilder::defineThreadHelpers() {
  auto *indexFn = llvm::FunctionType::get(i64, false);
  auto *voidFn = llvm::FunctionType::get(voidTy, false);
  defineHelper(m, "dsv4c.thread_id", indexFn,
               [&](llvm::IRBuilder<> &b, llvm::Function *) {
                 b.CreateRet(isa.threadId(b));
               });
  defineHelper(m, "dsv4c.num_threads", indexFn,
               [&](llvm::IRBuilder<> &b, llvm::Function *) {
                 b.CreateRet(isa.numThreads(b));
               });
  defineHelper(m, "dsv4c.barrier", voidFn,
               [&](llvm::IRBuilder<> &b, llvm::Function *) {
                 isa.barrier(b);
                 b.CreateRetVoid();
               });
  defineHelper(
      m, "dsv4c.single_thread", voidFn,
      [](llvm::IRBuilder<> &b, llvm::Function *) { b.CreateRetVoid(); });
  // The warp matrix instructions of dot-to-warp-mma, where dots use them.
  for (auto [name, kind] : {std::pair{"dsv4c.mma.bf16.m16n8k16", "bf16"},
                            std::pair{"dsv4c.mma.f8.m16n8k32", "f8"}}) {
    llvm::Function *f = m.getFunction(name);
    if (!f || !f->isDeclaration() || !isa.warpMma)
      continue;
    defineHelper(m, name, f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   llvm::SmallVector<llvm::Value *> args;
                   for (llvm::Argument &a : fn->args())
                     args.push_back(&a);
                   b.CreateRet(isa.warpMma(b, kind, args));
                 });
  }
  // dot-to-warp-mma's warpgroup instruction, one helper per result width.
  for (llvm::Function &f : m.functions()) {
    // dsv4c.wgmma.<kind>.n<N>
    llvm::StringRef rest = f.getName(), kind;
    unsigned n = 0;
    if (!f.isDeclaration() || !isa.warpgroupMma ||
        !rest.consume_front("dsv4c.wgmma."))
      continue;
    std::tie(kind, rest) = rest.split('.');
    if (!rest.consume_front("n") || rest.getAsInteger(10, n))
      continue;
    defineHelper(m, f.getName(), f.getFunctionType(),
                 [&, kind, n](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   b.CreateRet(isa.warpgroupMma(b, kind, n, fn->getArg(0),
                                                fn->getArg(1)));
                 });
  }
  // dot-to-warp-mma's matrix-loads.
  for (auto [name, count] : {std::pair{"dsv4c.ldmatrix.x4", 4u},
                             std::pair{"dsv4c.ldmatrix.x2", 2u}}) {
    llvm::Function *f = m.getFunction(name);
    if (!f || !f->isDeclaration() || !isa.warpLoadMatrix)
      continue;
    defineHelper(m, name, f->getFunctionType(),
                 [&, count = count](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   b.CreateRet(isa.warpLoadMatrix(b, count, fn->getArg(0)));
                 });
  }
  // hardware-e4m3's conversions.
  if (llvm::Function *f = m.getFunction("dsv4c.cvt_e4m3");
      f && f->isDeclaration() && isa.f32ToE4m3)
    defineHelper(m, f->getName(), f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   b.CreateRet(isa.f32ToE4m3(b, fn->getArg(0)));
                 });
  if (llvm::Function *f = m.getFunction("dsv4c.e4m3_to_f32");
      f && f->isDeclaration() && isa.e4m3ToF32)
    defineHelper(m, f->getName(), f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   b.CreateRet(isa.e4m3ToF32(b, fn->getArg(0)));
                 });
  // dot-to-warp-mma's fragment registers read whole (4-byte aligned).
  if (llvm::Function *f = m.getFunction("dsv4c.load_b32");
      f && f->isDeclaration())
    defineHelper(m, f->getName(), f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   llvm::Value *at = b.CreateIntToPtr(fn->getArg(0), ptr);
                   b.CreateRet(
                       b.CreateAlignedLoad(b.getInt32Ty(), at, llvm::Align(4)));
                 });
  // reduce-to-warp-shuffles orders its lanes' read of a result before lane
  // 0's write; ISAs whose warps run in lockstep need nothing.
  if (llvm::Function *f = m.getFunction("dsv4c.warp_sync");
      f && f->isDeclaration())
    defineHelper(m, f->getName(), f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *) {
                   if (isa.warpSync)
                     isa.warpSync(b);
                   b.CreateRetVoid();
                 });
  // The exchanges of reduce-to-warp-shuffles (f32 moved as its bits).
  for (const char *name : {"dsv4c.shuffle_xor.f32", "dsv4c.shuffle_xor.i32"}) {
    llvm::Function *f = m.getFunction(name);
    if (!f || !f->isDeclaration() || !isa.warpShuffleXor)
      continue;
    defineHelper(m, name, f->getFunctionType(),
                 [&](llvm::IRBuilder<> &b, llvm::Function *fn) {
                   llvm::Value *v = fn->getArg(0);
                   llvm::Type *type = v->getType();
                   llvm::Value *bits = b.CreateBitCast(v, b.getInt32Ty());
                   llvm::Value *other =
                       isa.warpShuffleXor(b, bits, fn->getArg(1));
                   b.CreateRet(b.CreateBitCast(other, type));
                 });
  }
}

/// Distributed programs, and the helpers they call, allocate block-wide.
void HelperBuilder::makeBlockWide(llvm::Function &f) {
  std::vector<llvm::CallInst *> calls;
  for (llvm::Instruction &inst : llvm::instructions(f))
    if (auto *call = llvm::dyn_cast<llvm::CallInst>(&inst))
      if (call->getCalledFunction())
        calls.push_back(call);
  for (llvm::CallInst *call : calls) {
    llvm::Function *callee = call->getCalledFunction();
    llvm::StringRef name = callee->getName();
    if (name == "malloc") {
      call->setCalledFunction(blockMalloc);
    } else if (name == "free") {
      call->setCalledFunction(blockFree);
    } else if (!callee->isDeclaration() && !name.starts_with("dsv4c.")) {
      llvm::Function *&clone = blockHelpers[callee];
      if (!clone) {
        llvm::ValueToValueMapTy map;
        clone = llvm::CloneFunction(callee, map);
        clone->setName(name + "_block");
        makeBlockWide(*clone);
      }
      call->setCalledFunction(clone);
    }
  }
}

/// Renames program function `name` to `name_program` (internal) and adds
/// the entry `name` (GpuAbi.h). Each thread stores its arguments and builds
/// the program's `void **args` over them; O3 turns that back into direct
/// parameter reads.
bool HelperBuilder::addEntry(llvm::Function &program,
                             const KernelSignature &kernel,
                             std::string &error) {
  const std::string &name = kernel.name;
  bool arena = isa.heap == TileHeap::Arena;
  std::vector<llvm::Type *> params;
  for (Type t : kernel.argumentTypes) {
    llvm::Type *lt = argumentType(t, ctx, isa.kernelPointerAddressSpace);
    if (!lt) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << t;
      error = isa.name + ": kernel '" + name + "' has an argument of type " +
              text + ", which the calling convention does not pass";
      return false;
    }
    params.push_back(lt);
  }
  size_t n = params.size();
  params.insert(params.end(), {i64, i64, i64});
  if (arena)
    params.insert(
        params.end(),
        {llvm::PointerType::get(ctx, isa.kernelPointerAddressSpace), i64, i64});
  bool single = isSingleThread(program);
  program.setName(name + "_program");
  program.setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *type = llvm::FunctionType::get(voidTy, params, false);
  auto *entry =
      llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, name, m);
  entry->setCallingConv(isa.kernelCallingConv);
  if (isa.decorateEntry)
    isa.decorateEntry(*entry);
  auto toFlat = [&](llvm::IRBuilder<> &b, llvm::Value *v) {
    return v->getType()->isPointerTy() && v->getType() != ptr
               ? b.CreateAddrSpaceCast(v, ptr)
               : v;
  };

  // entry: id = group; loop: while id < gx*gy*gz run program id; id +=
  // groups (an arena launch) or once (one group per program).
  auto *body = llvm::BasicBlock::Create(ctx, "entry", entry);
  auto *check = llvm::BasicBlock::Create(ctx, "check", entry);
  auto *run = llvm::BasicBlock::Create(ctx, "run", entry);
  auto *done = llvm::BasicBlock::Create(ctx, "done", entry);
  llvm::IRBuilder<> b(body);
  llvm::Value *group = isa.groupId(b);
  llvm::Value *gx = entry->getArg(n), *gy = entry->getArg(n + 1),
              *gz = entry->getArg(n + 2);
  llvm::Value *gxy = b.CreateMul(gx, gy);
  llvm::Value *programs = b.CreateMul(gxy, gz);
  // Allocas in the flat space for now; placeAllocas moves them.
  llvm::Value *args = b.CreateAlloca(ptr, isa.flatAddressSpace,
                                     b.getInt64(std::max<size_t>(n, 1)));
  for (size_t i = 0; i < n; ++i) {
    llvm::Value *value = toFlat(b, entry->getArg(unsigned(i)));
    llvm::Value *slot =
        b.CreateAlloca(value->getType(), isa.flatAddressSpace, nullptr);
    b.CreateStore(value, slot);
    b.CreateStore(slot, b.CreateConstGEP1_64(ptr, args, i));
  }
  llvm::Value *heap = nullptr, *sliceBegin = nullptr, *sliceEnd = nullptr;
  if (arena) {
    heap = toFlat(b, entry->getArg(n + 3));
    llvm::Value *perGroup = entry->getArg(n + 4);
    sliceBegin = b.CreateGEP(b.getInt8Ty(), heap,
                             b.CreateAdd(b.getInt64(kArenaStatusBytes),
                                         b.CreateMul(group, perGroup)));
    sliceEnd = b.CreateGEP(b.getInt8Ty(), sliceBegin, perGroup);
  }
  llvm::Value *onThread = b.getTrue();
  if (single)
    onThread = b.CreateICmpEQ(isa.threadId(b), b.getInt64(0));
  b.CreateBr(check);

  b.SetInsertPoint(check);
  llvm::PHINode *id = b.CreatePHI(i64, 2);
  id->addIncoming(group, body);
  b.CreateCondBr(b.CreateAnd(b.CreateICmpULT(id, programs), onThread), run,
                 done);

  b.SetInsertPoint(run);
  llvm::Value *x = b.CreateURem(id, gx);
  llvm::Value *y = b.CreateURem(b.CreateUDiv(id, gx), gy);
  llvm::Value *z = b.CreateUDiv(id, gxy);
  if (!single) {
    llvm::Function *begin = m.getFunction("dsv4c.block_begin");
    if (arena)
      b.CreateCall(begin, {heap, sliceBegin, sliceEnd});
    else
      b.CreateCall(begin, {});
  }
  b.CreateCall(&program, {args, x, y, z, gx, gy, gz});
  if (!single)
    b.CreateCall(m.getFunction("dsv4c.block_end"), {});
  if (arena) {
    id->addIncoming(b.CreateAdd(id, entry->getArg(n + 5)), b.GetInsertBlock());
    b.CreateBr(check);
  } else {
    b.CreateBr(done);
  }
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return true;
}

} // namespace detail

using namespace detail;

std::unique_ptr<llvm::Module> lowerToLLVM(ModuleOp module, const GpuIsa &isa,
                                          llvm::LLVMContext &llvmContext,
                                          std::vector<KernelSignature> &kernels,
                                          std::string &error) {
  MLIRContext *context = module.getContext();
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
  GpuPipelineOptions pipeline;
  pipeline.warpMma = bool(isa.warpMma);
  pipeline.warpMmaF8 = isa.warpMmaF8;
  pipeline.warpMatrixLoads = bool(isa.warpLoadMatrix);
  pipeline.warpgroupMma = bool(isa.warpgroupMma);
  pipeline.warpgroupMmaF8 = isa.warpgroupMmaF8;
  pipeline.warpShuffles = bool(isa.warpShuffleXor);
  pipeline.asyncCopies = bool(isa.asyncCopy) && isa.sharedTileBytes > 0;
  pipeline.parallelStores = isa.parallelStores;
  pipeline.hardwareE4m3 = isa.f32ToE4m3 && isa.e4m3ToF32;
  pipeline.fuseElementwise = isa.fuseElementwise;
  pipeline.atomicScope = isa.deviceSyncScope;
  if (isa.planTileBuffers) {
    pipeline.planTileBytes = int64_t(isa.sharedTileBytes);
    pipeline.planDynamicTileBytes = int64_t(isa.dynamicSharedTileBytes);
  }
  buildGpuPipeline(pm, pipeline);
  if (failed(pm.run(*clone))) {
    error = isa.name + ": lowering failed:\n" + error;
    return nullptr;
  }
  if (isa.flatAddressSpace != 0) {
    // The lowering's pointers are address space 0; this ISA's flat
    // pointers live elsewhere (SPIR-V: 0 is thread-private).
    AttrTypeReplacer replacer;
    replacer.addReplacement(
        [&](LLVM::LLVMPointerType t) -> std::optional<Type> {
          if (t.getAddressSpace() != 0)
            return std::nullopt;
          return LLVM::LLVMPointerType::get(context, isa.flatAddressSpace);
        });
    replacer.recursivelyReplaceElementsIn(*clone, /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }
  if (!isa.hasBFloat16)
    storeBFloat16AsI16(*clone);
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(*clone, llvmContext);
  if (!m)
    error = isa.name + ": translation to LLVM IR failed:\n" + error;
  return m;
}

bool finishModule(llvm::Module &m, const GpuIsa &isa,
                  const std::vector<KernelSignature> &kernels,
                  std::string &error) {
  HelperBuilder helpers(m, isa);
  helpers.defineThreadHelpers();
  helpers.defineTileHeap(sharedTileBytes(m, isa, kernels));
  helpers.defineAsyncCopies();
  for (const KernelSignature &k : kernels) {
    llvm::Function *f = m.getFunction(k.name);
    if (!f || f->isDeclaration()) {
      error = isa.name + ": kernel '" + k.name + "' is missing after lowering";
      return false;
    }
    if (!isSingleThread(*f))
      helpers.makeBlockWide(*f);
  }
  for (const KernelSignature &k : kernels)
    if (!helpers.addEntry(*m.getFunction(k.name), k, error))
      return false;
  placeAllocas(m, isa);
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.removeFnAttr("target-cpu");
    // As clang does for GPU languages: every function may hold a barrier,
    // so no pass may make a call depend on more conditions (jump threading
    // once put a barrier on both sides of a thread-0 branch).
    f.addFnAttr(llvm::Attribute::Convergent);
  }
  return true;
}

void optimize(llvm::Module &m, llvm::TargetMachine &tm, bool vectorize) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = vectorize;
  tuning.SLPVectorization = vectorize;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(m, mam);
}

bool emit(llvm::Module &m, llvm::TargetMachine &tm, llvm::CodeGenFileType type,
          std::string &out, std::string &error) {
  llvm::raw_string_ostream os(out);
  llvm::buffer_ostream buffer(os);
  llvm::legacy::PassManager codegen;
  if (tm.addPassesToEmitFile(codegen, buffer, nullptr, type)) {
    error = "the " + std::string(tm.getTarget().getName()) +
            " backend cannot emit this file type";
    return false;
  }
  codegen.run(m);
  return true;
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const std::string &tripleName, const std::string &cpu,
                    const std::string &features, std::string &error) {
  llvm::Triple triple(tripleName);
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "no backend for " + tripleName + " in this LLVM: " + lookupError;
    return nullptr;
  }
  // An unknown name would be ignored with a warning, then fail deep in the
  // backend (LLVM aborts the process there).
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!cpu.empty() && generic && !generic->isCPUStringValid(cpu)) {
    error = "unknown architecture '" + cpu +
            "' (not a processor LLVM knows for " + tripleName + ")";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), std::nullopt));
  if (!tm)
    error = "cannot target " + cpu + " (" + tripleName + ")";
  return tm;
}

} // namespace dsv4c::gpu
