//===- DistributeToThreads.cpp - a program on a block of threads ----------===//
//
// After bufferization every tile op is an `scf.parallel` nest over a tile
// buffer. On a GPU a program runs on a thread block: the threads split each
// outermost nest's iterations and meet at a barrier after it. Everything
// else runs on every thread with the same values, except memory writes,
// which thread 0 does alone between barriers (two threads replaying a
// read-modify-write loop out of step would see each other's halfway data).
//
//===----------------------------------------------------------------------===//
#include "lowering/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace dsv4c {
#define GEN_PASS_DEF_DISTRIBUTETOTHREADS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;

namespace {

constexpr StringLiteral kThreadId = "dsv4c.thread_id";
constexpr StringLiteral kNumThreads = "dsv4c.num_threads";
constexpr StringLiteral kBarrier = "dsv4c.barrier";
constexpr StringLiteral kSingleThread = "dsv4c.single_thread";
constexpr StringLiteral kAsyncCopyWait = "dsv4c.copy_async_wait";

bool isBarrier(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee() == kBarrier;
}

bool isAllocation(Operation *op) {
  return isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op);
}

/// The memref `value` is a view of, looking through casts and views.
Value rootMemref(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      value = view.getViewSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      value = cast.getSource();
    else
      break;
  }
  return value;
}

/// Stores to a thread's own stack (memref.alloca: private on a GPU), which
/// every thread does for itself. The deallocation helper that
/// lower-deallocations makes writes only such buffers (and frees, which the
/// target makes block-wide).
bool isPrivateWrite(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return call.getCallee().starts_with("dsv4c.") ||
           call.getCallee().starts_with("dealloc_helper");
  Value target;
  if (auto store = dyn_cast<memref::StoreOp>(op))
    target = store.getMemRef();
  else if (auto copy = dyn_cast<memref::CopyOp>(op))
    target = copy.getTarget();
  return target && rootMemref(target).getDefiningOp<memref::AllocaOp>();
}

/// Whether `op` or an op inside it has memory effect `Effect` (allocation
/// and private writes aside); ops that do not say count as having it.
template <typename Effect> bool anyEffect(Operation *op) {
  bool found = false;
  op->walk([&](Operation *inner) {
    if (found || isAllocation(inner) || isPrivateWrite(inner))
      return;
    if (isa<func::CallOp>(inner)) {
      found = true;
      return;
    }
    if (auto effects = dyn_cast<MemoryEffectOpInterface>(inner)) {
      found = effects.hasEffect<Effect>();
      return;
    }
    if (!inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
        !isPure(inner))
      found = true;
  });
  return found;
}

bool contains(Operation *op, function_ref<bool(Operation *)> pred) {
  return op
      ->walk([&](Operation *inner) {
        return pred(inner) ? WalkResult::interrupt() : WalkResult::advance();
      })
      .wasInterrupted();
}

class Distributor {
public:
  /// With `apply` false, only decides whether the function can be
  /// distributed (`failed`).
  Distributor(func::FuncOp func, bool apply) : func(func), apply(apply) {}

  bool run() {
    if (apply) {
      OpBuilder b(func.getContext());
      b.setInsertionPointToStart(&func.getBody().front());
      Location loc = func.getLoc();
      tid = func::CallOp::create(b, loc, kThreadId, b.getIndexType(),
                                 ValueRange())
                .getResult(0);
      numThreads = func::CallOp::create(b, loc, kNumThreads, b.getIndexType(),
                                        ValueRange())
                       .getResult(0);
    }
    processBlock(func.getBody().front());
    if (apply)
      removeRepeatedBarriers();
    return !failed;
  }

private:
  void processBlock(Block &block) {
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (failed)
        return;
      if (auto par = dyn_cast<scf::ParallelOp>(op);
          par && par.getNumResults() == 0 && !contains(par, isAllocation)) {
        if (apply)
          distribute(par);
        continue;
      }
      if (op.getNumRegions() && !isa<scf::ParallelOp>(op) &&
          contains(&op, [](Operation *o) { return isa<scf::ParallelOp>(o); })) {
        // Uniform control flow around tile ops: look inside.
        for (Region &region : op.getRegions())
          for (Block &inner : region)
            processBlock(inner);
        continue;
      }
      if (!anyEffect<MemoryEffects::Write>(&op))
        continue; // every thread computes the same values
      if (op.getNumResults() || contains(&op, isAllocation)) {
        failed = true; // a write whose results every thread needs
        return;
      }
      if (apply)
        onThreadZero(&op);
    }
  }

  void barrier(OpBuilder &b, Location loc) {
    func::CallOp::create(b, loc, kBarrier, TypeRange(), ValueRange());
  }

  void onThreadZero(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    barrier(b, loc);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value first =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, zero);
    auto guard = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    op->moveBefore(guard.thenBlock()->getTerminator());
    b.setInsertionPointAfter(guard);
    barrier(b, loc);
  }

  /// for (i = tid; i < trips; i += numThreads) body(delinearize(i)).
  void distribute(scf::ParallelOp par) {
    OpBuilder b(par);
    Location loc = par.getLoc();
    barrier(b, loc);
    SmallVector<Value> trips;
    Value total = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [lb, ub, step] :
         llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
      Value span = arith::SubIOp::create(b, loc, ub, lb);
      Value trip = arith::CeilDivUIOp::create(b, loc, span, step);
      trips.push_back(trip);
      total = arith::MulIOp::create(b, loc, total, trip);
    }
    auto loop = scf::ForOp::create(b, loc, tid, total, numThreads);
    b.setInsertionPointToStart(loop.getBody());
    IRMapping map;
    Value rest = loop.getInductionVar();
    for (int64_t d = int64_t(trips.size()) - 1; d >= 0; --d) {
      Value index = rest;
      if (d > 0) {
        index = arith::RemUIOp::create(b, loc, rest, trips[d]);
        rest = arith::DivUIOp::create(b, loc, rest, trips[d]);
      }
      Value scaled = arith::MulIOp::create(b, loc, index, par.getStep()[d]);
      map.map(par.getInductionVars()[d],
              arith::AddIOp::create(b, loc, par.getLowerBound()[d], scaled));
    }
    for (Operation &inner : par.getBody()->without_terminator())
      b.clone(inner, map);
    b.setInsertionPointAfter(loop);
    // A nest of asynchronous copies: each thread waits for its own before
    // the barrier that shows their data to the others.
    if (Operation *wait = asyncCopyWaitAfter(par)) {
      wait->moveAfter(loop);
      b.setInsertionPointAfter(wait);
    }
    barrier(b, loc);
    par.erase();
  }

  /// The dsv4c.copy_async_wait that follows `par` (past pure ops), if any.
  static Operation *asyncCopyWaitAfter(scf::ParallelOp par) {
    for (Operation *op = par->getNextNode(); op; op = op->getNextNode()) {
      auto call = dyn_cast<func::CallOp>(op);
      if (call && call.getCallee() == kAsyncCopyWait)
        return op;
      if (!isPure(op) || op->getNumRegions())
        return nullptr;
    }
    return nullptr;
  }

  void removeRepeatedBarriers() {
    func.walk([](Block *block) {
      Operation *previous = nullptr;
      for (Operation &op : llvm::make_early_inc_range(*block)) {
        bool pure = isPure(&op) && op.getNumRegions() == 0;
        if (isBarrier(&op) && previous) {
          op.erase();
          continue;
        }
        if (isBarrier(&op))
          previous = &op;
        else if (!pure)
          previous = nullptr;
      }
    });
  }

  func::FuncOp func;
  bool apply;
  bool failed = false;
  Value tid, numThreads;
};

struct DistributeToThreadsPass
    : dsv4c::impl::DistributeToThreadsBase<DistributeToThreadsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToStart(module.getBody());
    auto declare = [&](StringRef name, TypeRange results) {
      if (module.lookupSymbol(name))
        return;
      auto f = func::FuncOp::create(b, module.getLoc(), name,
                                    b.getFunctionType({}, results));
      f.setPrivate();
    };
    declare(kThreadId, b.getIndexType());
    declare(kNumThreads, b.getIndexType());
    declare(kBarrier, {});
    declare(kSingleThread, {});
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      // Kernels only: private helpers run inside them as they are.
      if (func.isDeclaration() || func.isPrivate())
        continue;
      if (Distributor(func, /*apply=*/false).run()) {
        Distributor(func, /*apply=*/true).run();
        continue;
      }
      OpBuilder fb(func.getContext());
      fb.setInsertionPointToStart(&func.getBody().front());
      func::CallOp::create(fb, func.getLoc(), kSingleThread, TypeRange(),
                           ValueRange());
    }
  }
};

} // namespace
