//===- CudaCompile.cpp - tile kernels to PTX ------------------------------===//
#include "targets/cuda/CudaCompile.h"

#include "dialects/tile/TileDialect.h"
#include "lowering/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <functional>
#include <map>
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

/// The LLVM type of a kernel argument's value as the calling convention
/// stores it: pointers, integers, f32/f64, and f16/bf16 as their 16 bits.
llvm::Type *argumentType(Type type, llvm::LLVMContext &ctx) {
  if (isa<tile::PtrType>(type))
    return llvm::PointerType::get(ctx, 0);
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

llvm::Value *threadId(llvm::IRBuilder<> &b) {
  return b.CreateZExt(
      b.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x, {}),
      b.getInt64Ty());
}

void barrier(llvm::IRBuilder<> &b) {
  b.CreateIntrinsic(llvm::Intrinsic::nvvm_barrier_cta_sync_all, {},
                    {b.getInt32(0)});
}

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

/// `if (tid == 0) then(b)` at b's insertion point; continues after it.
void onThreadZero(llvm::IRBuilder<> &b, llvm::Function *f,
                  llvm::function_ref<void(llvm::IRBuilder<> &)> then) {
  llvm::LLVMContext &ctx = f->getContext();
  auto *first = llvm::BasicBlock::Create(ctx, "thread0", f);
  auto *rest = llvm::BasicBlock::Create(ctx, "rest", f);
  b.CreateCondBr(b.CreateICmpEQ(threadId(b), b.getInt64(0)), first, rest);
  b.SetInsertPoint(first);
  then(b);
  b.CreateBr(rest);
  b.SetInsertPoint(rest);
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

/// The target side of distribute-to-threads (lowering/Passes.td): thread
/// id, thread count, barrier; and tile buffers shared by the block: thread
/// 0 mallocs, the others read the pointer from shared memory.
void defineThreadHelpers(llvm::Module &m,
                         const std::vector<std::string> &kernels) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type *voidTy = llvm::Type::getVoidTy(ctx);
  auto *indexFn = llvm::FunctionType::get(i64, false);
  auto *voidFn = llvm::FunctionType::get(voidTy, false);
  defineHelper(
      m, "dsv4c.thread_id", indexFn,
      [](llvm::IRBuilder<> &b, llvm::Function *) { b.CreateRet(threadId(b)); });
  defineHelper(
      m, "dsv4c.num_threads", indexFn,
      [](llvm::IRBuilder<> &b, llvm::Function *) {
        b.CreateRet(b.CreateZExt(
            b.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x, {}),
            b.getInt64Ty()));
      });
  defineHelper(m, "dsv4c.barrier", voidFn,
               [](llvm::IRBuilder<> &b, llvm::Function *) {
                 barrier(b);
                 b.CreateRetVoid();
               });
  defineHelper(
      m, "dsv4c.single_thread", voidFn,
      [](llvm::IRBuilder<> &b, llvm::Function *) { b.CreateRetVoid(); });

  // Block-wide tile buffers: thread 0 mallocs, the others read the pointer
  // from shared memory. A freed buffer goes to a small per-block cache
  // keyed by size (loops allocate the same tiles every iteration; device
  // malloc is slow); dsv4c.block_end frees what is cached. Each buffer has
  // a 16-byte header holding its size.
  constexpr unsigned kShared = 3;
  constexpr int kCacheSlots = 16;
  auto shared = [&](llvm::Type *type, const char *name) {
    return new llvm::GlobalVariable(m, type, false,
                                    llvm::GlobalValue::InternalLinkage,
                                    llvm::PoisonValue::get(type), name, nullptr,
                                    llvm::GlobalValue::NotThreadLocal, kShared);
  };
  llvm::GlobalVariable *slot = shared(ptr, "dsv4c_block_buffer");
  auto *ptrArray = llvm::ArrayType::get(ptr, kCacheSlots);
  auto *sizeArray = llvm::ArrayType::get(i64, kCacheSlots);
  llvm::GlobalVariable *cachePtr = shared(ptrArray, "dsv4c_cache_ptr");
  llvm::GlobalVariable *cacheSize = shared(sizeArray, "dsv4c_cache_size");
  auto ptrAt = [&](llvm::IRBuilder<> &b, int k) {
    return b.CreateConstInBoundsGEP2_32(ptrArray, cachePtr, 0, k);
  };
  auto sizeAt = [&](llvm::IRBuilder<> &b, int k) {
    return b.CreateConstInBoundsGEP2_32(sizeArray, cacheSize, 0, k);
  };
  llvm::FunctionCallee malloc = m.getOrInsertFunction(
      "malloc", llvm::FunctionType::get(ptr, {i64}, false));
  llvm::FunctionCallee free = m.getOrInsertFunction(
      "free", llvm::FunctionType::get(voidTy, {ptr}, false));
  llvm::Function *trap =
      llvm::Intrinsic::getOrInsertDeclaration(&m, llvm::Intrinsic::trap);
  llvm::Function *blockMalloc = defineHelper(
      m, "dsv4c.block_malloc", llvm::FunctionType::get(ptr, {i64}, false),
      [&](llvm::IRBuilder<> &b, llvm::Function *f) {
        barrier(b);
        onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
          llvm::Value *total = b.CreateAdd(f->getArg(0), b.getInt64(16));
          llvm::Value *found = b.getFalse();
          llvm::Value *p =
              llvm::ConstantPointerNull::get(llvm::PointerType::get(ctx, 0));
          for (int k = 0; k < kCacheSlots; ++k) {
            llvm::Value *size = b.CreateLoad(i64, sizeAt(b, k));
            llvm::Value *hit =
                b.CreateAnd(b.CreateNot(found), b.CreateICmpEQ(size, total));
            p = b.CreateSelect(hit, b.CreateLoad(ptr, ptrAt(b, k)), p);
            b.CreateStore(b.CreateSelect(hit, b.getInt64(0), size),
                          sizeAt(b, k));
            found = b.CreateOr(found, hit);
          }
          auto *fresh = llvm::BasicBlock::Create(ctx, "fresh", f);
          auto *failed = llvm::BasicBlock::Create(ctx, "failed", f);
          auto *got = llvm::BasicBlock::Create(ctx, "got", f);
          auto *done = llvm::BasicBlock::Create(ctx, "done", f);
          llvm::BasicBlock *cached = b.GetInsertBlock();
          b.CreateCondBr(found, done, fresh);
          b.SetInsertPoint(fresh);
          llvm::Value *base = b.CreateCall(malloc, {total});
          b.CreateCondBr(b.CreateIsNull(base), failed, got);
          b.SetInsertPoint(failed); // device heap exhausted
          b.CreateCall(trap, {});
          b.CreateUnreachable();
          b.SetInsertPoint(got);
          b.CreateStore(total, base);
          llvm::Value *user =
              b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), base, 16);
          b.CreateBr(done);
          b.SetInsertPoint(done);
          llvm::PHINode *result = b.CreatePHI(ptr, 2);
          result->addIncoming(p, cached);
          result->addIncoming(user, got);
          b.CreateStore(result, slot);
        });
        barrier(b);
        llvm::Value *p = b.CreateLoad(ptr, slot);
        barrier(b); // before a later call overwrites the slot
        b.CreateRet(p);
      });
  llvm::Function *blockFree = defineHelper(
      m, "dsv4c.block_free", llvm::FunctionType::get(voidTy, {ptr}, false),
      [&](llvm::IRBuilder<> &b, llvm::Function *f) {
        barrier(b); // every thread is done with the buffer
        onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
          llvm::Value *p = f->getArg(0);
          auto *keep = llvm::BasicBlock::Create(ctx, "keep", f);
          auto *release = llvm::BasicBlock::Create(ctx, "release", f);
          auto *done = llvm::BasicBlock::Create(ctx, "done", f);
          b.CreateCondBr(b.CreateIsNull(p), done, keep);
          b.SetInsertPoint(keep);
          llvm::Value *base =
              b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), p, -16);
          llvm::Value *total = b.CreateLoad(i64, base);
          llvm::Value *placed = b.getFalse();
          for (int k = 0; k < kCacheSlots; ++k) {
            llvm::Value *size = b.CreateLoad(i64, sizeAt(b, k));
            llvm::Value *empty = b.CreateAnd(
                b.CreateNot(placed), b.CreateICmpEQ(size, b.getInt64(0)));
            b.CreateStore(b.CreateSelect(empty, total, size), sizeAt(b, k));
            b.CreateStore(
                b.CreateSelect(empty, p, b.CreateLoad(ptr, ptrAt(b, k))),
                ptrAt(b, k));
            placed = b.CreateOr(placed, empty);
          }
          b.CreateCondBr(placed, done, release);
          b.SetInsertPoint(release);
          b.CreateCall(free, {base});
          b.CreateBr(done);
          b.SetInsertPoint(done);
        });
        b.CreateRetVoid();
      });
  // Around a distributed program: an empty cache, then freeing what it holds.
  defineHelper(m, "dsv4c.block_begin", voidFn,
               [&](llvm::IRBuilder<> &b, llvm::Function *f) {
                 onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
                   for (int k = 0; k < kCacheSlots; ++k)
                     b.CreateStore(b.getInt64(0), sizeAt(b, k));
                 });
                 barrier(b);
                 b.CreateRetVoid();
               });
  defineHelper(
      m, "dsv4c.block_end", voidFn,
      [&](llvm::IRBuilder<> &b, llvm::Function *f) {
        barrier(b);
        onThreadZero(b, f, [&](llvm::IRBuilder<> &b) {
          for (int k = 0; k < kCacheSlots; ++k) {
            auto *release = llvm::BasicBlock::Create(ctx, "release", f);
            auto *next = llvm::BasicBlock::Create(ctx, "next", f);
            b.CreateCondBr(
                b.CreateICmpNE(b.CreateLoad(i64, sizeAt(b, k)), b.getInt64(0)),
                release, next);
            b.SetInsertPoint(release);
            b.CreateCall(
                free, {b.CreateConstInBoundsGEP1_64(
                          b.getInt8Ty(), b.CreateLoad(ptr, ptrAt(b, k)), -16)});
            b.CreateBr(next);
            b.SetInsertPoint(next);
          }
        });
        b.CreateRetVoid();
      });

  // Distributed programs, and the helpers they call, allocate block-wide.
  std::map<llvm::Function *, llvm::Function *> blockHelpers;
  std::function<void(llvm::Function &)> makeBlockWide = [&](llvm::Function &f) {
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
  };
  for (const std::string &name : kernels)
    if (llvm::Function *f = m.getFunction(name);
        f && !f->isDeclaration() && !isSingleThread(*f))
      makeBlockWide(*f);
}

/// Renames program function `name` to `name_program` (internal) and adds
/// `.entry name(arg0, ..., argN-1, gx, gy, gz)`: block blockIdx.x runs
/// program (id % gx, id / gx % gy, id / (gx * gy)) on all its threads (on
/// thread 0 alone for a single-thread program). Each thread stores its
/// arguments and builds the calling convention's `void **args` over them;
/// O3 turns that back into direct parameter reads.
bool addEntry(llvm::Module &m, llvm::Function &program, TypeRange argumentTypes,
              std::string &error) {
  std::string name = program.getName().str();
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  std::vector<llvm::Type *> params;
  for (Type t : argumentTypes) {
    llvm::Type *lt = argumentType(t, ctx);
    if (!lt) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << t;
      error = "cuda: kernel '" + name + "' has an argument of type " + text +
              ", which the calling convention does not pass";
      return false;
    }
    params.push_back(lt);
  }
  size_t n = params.size();
  params.insert(params.end(), {i64, i64, i64});
  bool single = isSingleThread(program);
  program.setName(name + "_program");
  program.setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false);
  auto *entry =
      llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, name, m);
  entry->setCallingConv(llvm::CallingConv::PTX_Kernel);
  entry->addFnAttr("nvvm.maxntid", std::to_string(kThreadsPerProgram));
  auto *body = llvm::BasicBlock::Create(ctx, "entry", entry);
  auto *run = llvm::BasicBlock::Create(ctx, "run", entry);
  auto *done = llvm::BasicBlock::Create(ctx, "done", entry);
  llvm::IRBuilder<> b(body);
  llvm::Value *id = b.CreateZExt(
      b.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x, {}), i64);
  llvm::Value *gx = entry->getArg(n), *gy = entry->getArg(n + 1),
              *gz = entry->getArg(n + 2);
  llvm::Value *gxy = b.CreateMul(gx, gy);
  llvm::Value *inGrid = b.CreateICmpULT(id, b.CreateMul(gxy, gz));
  if (single)
    inGrid = b.CreateAnd(inGrid, b.CreateICmpEQ(threadId(b), b.getInt64(0)));
  b.CreateCondBr(inGrid, run, done);
  b.SetInsertPoint(run);
  llvm::Value *args = b.CreateAlloca(ptr, b.getInt64(std::max<size_t>(n, 1)));
  for (size_t i = 0; i < n; ++i) {
    llvm::Value *slot = b.CreateAlloca(params[i]);
    b.CreateStore(entry->getArg(unsigned(i)), slot);
    b.CreateStore(slot, b.CreateConstGEP1_64(ptr, args, i));
  }
  llvm::Value *x = b.CreateURem(id, gx);
  llvm::Value *y = b.CreateURem(b.CreateUDiv(id, gx), gy);
  llvm::Value *z = b.CreateUDiv(id, gxy);
  llvm::Function *begin = m.getFunction("dsv4c.block_begin");
  llvm::Function *end = m.getFunction("dsv4c.block_end");
  if (!single)
    b.CreateCall(begin, {});
  b.CreateCall(&program, {args, x, y, z, gx, gy, gz});
  if (!single)
    b.CreateCall(end, {});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return true;
}

} // namespace

bool compileToPtx(ModuleOp module, const PtxOptions &options, std::string &ptx,
                  std::string &error) {
  MLIRContext *context = module.getContext();
  std::vector<std::pair<std::string, std::vector<Type>>> kernels;
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
  buildGpuPipeline(pm);
  if (failed(pm.run(*clone))) {
    error = "cuda: lowering failed:\n" + error;
    return false;
  }
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(*clone, llvmContext);
  if (!m) {
    error = "cuda: translation to LLVM IR failed:\n" + error;
    return false;
  }

  initializeNvptx();
  std::string lookupError;
  llvm::Triple triple(kTriple);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "cuda: no NVPTX backend in this LLVM: " + lookupError;
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, options.sm, "+ptx80", llvm::TargetOptions(), std::nullopt));
  if (!tm) {
    error = "cuda: cannot target " + options.sm;
    return false;
  }
  m->setTargetTriple(triple);
  m->setDataLayout(tm->createDataLayout());
  std::vector<std::string> kernelNames;
  for (const auto &k : kernels)
    kernelNames.push_back(k.first);
  defineThreadHelpers(*m, kernelNames);
  for (const auto &[name, types] : kernels) {
    llvm::Function *f = m->getFunction(name);
    if (!f || f->isDeclaration()) {
      error = "cuda: kernel '" + name + "' is missing after lowering";
      return false;
    }
    if (!addEntry(*m, *f, types, error))
      return false;
  }
  for (llvm::Function &f : *m)
    if (!f.isDeclaration())
      f.removeFnAttr("target-cpu");

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(*m, mam);

  llvm::raw_string_ostream os(ptx);
  llvm::buffer_ostream out(os);
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, out, nullptr,
                              llvm::CodeGenFileType::AssemblyFile)) {
    error = "cuda: the NVPTX backend cannot emit PTX";
    return false;
  }
  codegen.run(*m);
  return true;
}

} // namespace dsv4c::cuda
