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

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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

/// Whether `op` writes memory and its one result goes only to the
/// memref.store right after it (tile.atomic_add's add: thread zero keeps the
/// old value in a buffer that every thread reads after the barrier).
bool feedsNextStore(Operation *op) {
  if (!op || op->getNumResults() != 1 || op->getNumRegions() ||
      !op->getResult(0).hasOneUse() || !anyEffect<MemoryEffects::Write>(op))
    return false;
  // A private store stays on every thread, so its feeder would too.
  auto store = dyn_cast_or_null<memref::StoreOp>(op->getNextNode());
  return store && store.getValueToStore() == op->getResult(0) &&
         !isPrivateWrite(store);
}

bool contains(Operation *op, function_ref<bool(Operation *)> pred) {
  return op
      ->walk([&](Operation *inner) {
        return pred(inner) ? WalkResult::interrupt() : WalkResult::advance();
      })
      .wasInterrupted();
}

bool isAsyncCopy(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee().starts_with("dsv4c.copy_async.");
}

bool isAsyncCopyWait(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee() == kAsyncCopyWait;
}

/// The tile buffer a memref value views, looking through casts and
/// subviews but not through memref.view (planned buffers are views of one
/// arena: each view is a buffer of its own).
Value tileBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (isa<memref::ViewOp>(def))
      break;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      value = view.getViewSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      value = cast.getSource();
    else if (auto cast = dyn_cast<memref::MemorySpaceCastOp>(def))
      value = cast.getSource();
    else
      break;
  }
  return value;
}

/// Adds to `aliases` the buffers the copies of `nest` write, and every
/// value computed from them by pure ops (views, casts, their addresses).
void addCopyDestinations(Operation *nest, DenseSet<Value> &aliases) {
  SmallVector<Value> work;
  nest->walk([&](Operation *copy) {
    if (!isAsyncCopy(copy))
      return;
    // The destination address comes from the buffer's aligned pointer.
    SmallVector<Value> slice{copy->getOperand(0)};
    DenseSet<Value> seen;
    while (!slice.empty()) {
      Value v = slice.pop_back_val();
      if (!seen.insert(v).second)
        continue;
      Operation *def = v.getDefiningOp();
      if (!def)
        continue;
      if (auto ptr = dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(def)) {
        work.push_back(tileBuffer(ptr.getSource()));
        continue;
      }
      if (isPure(def))
        llvm::append_range(slice, def->getOperands());
    }
  });
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!aliases.insert(v).second)
      continue;
    for (Operation *user : v.getUsers())
      if (isPure(user) && user->getNumRegions() == 0)
        llvm::append_range(work, user->getResults());
  }
}

/// Whether a copy's wait may move past `op`: it neither touches the copied
/// buffers nor writes global memory (the copies may still be reading it)
/// nor calls anything but the target's helpers.
bool independentOfCopies(Operation *op, const DenseSet<Value> &aliases) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return false;
  return !op->walk([&](Operation *inner) {
              if (isa<LLVM::StoreOp, memref::DeallocOp>(inner) ||
                  isAsyncCopyWait(inner))
                return WalkResult::interrupt();
              if (auto call = dyn_cast<func::CallOp>(inner);
                  call && !call.getCallee().starts_with("dsv4c."))
                return WalkResult::interrupt();
              // Views and address arithmetic read no memory.
              if (isPure(inner) && inner->getNumRegions() == 0)
                return WalkResult::advance();
              for (Value operand : inner->getOperands())
                if (aliases.contains(operand))
                  return WalkResult::interrupt();
              return WalkResult::advance();
            }).wasInterrupted();
}

/// Each dsv4c.copy_async_wait (after its nest of copies, as async-copies
/// leaves it) moves down its block to the first op that needs the copied
/// data (or might), and a barrier follows it there. A wait that reaches the
/// next one is dropped, so nests of copies side by side are in flight
/// together, and a loop that loads the next trip's tiles before working on
/// this trip's overlaps the two (a software pipeline).
void sinkAsyncCopyWaits(func::FuncOp func) {
  SmallVector<Operation *> waits;
  func.walk([&](Operation *op) {
    if (isAsyncCopyWait(op))
      waits.push_back(op);
  });
  DenseMap<Operation *, DenseSet<Value>> pending;
  for (Operation *wait : waits) {
    DenseSet<Value> aliases = pending.lookup(wait);
    for (Operation *op = wait->getPrevNode(); op; op = op->getPrevNode()) {
      if (contains(op, isAsyncCopy)) {
        addCopyDestinations(op, aliases);
        break;
      }
      if (!isPure(op) || op->getNumRegions())
        break;
    }
    // Copies whose buffers cannot be told: wait where the wait is.
    Operation *next = wait->getNextNode();
    while (!aliases.empty() && next && independentOfCopies(next, aliases))
      next = next->getNextNode();
    if (next && isAsyncCopyWait(next)) {
      // That wait covers these copies too.
      pending[next].insert(aliases.begin(), aliases.end());
      wait->erase();
      continue;
    }
    if (next)
      wait->moveBefore(next);
    OpBuilder b(wait->getContext());
    b.setInsertionPointAfter(wait);
    func::CallOp::create(b, wait->getLoc(), kBarrier, TypeRange(),
                         ValueRange());
  }
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
    if (apply)
      sinkAsyncCopyWaits(func);
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
      if (feedsNextStore(&op))
        continue; // moves with the store
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
    Operation *feeder = op->getPrevNode();
    if (!feedsNextStore(feeder))
      feeder = nullptr;
    OpBuilder b(feeder ? feeder : op);
    Location loc = op->getLoc();
    barrier(b, loc);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value first =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, zero);
    auto guard = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    if (feeder)
      feeder->moveBefore(guard.thenBlock()->getTerminator());
    op->moveBefore(guard.thenBlock()->getTerminator());
    b.setInsertionPointAfter(guard);
    barrier(b, loc);
  }

  /// for (i = tid; i < trips; i += numThreads) body(delinearize(i)).
  void distribute(scf::ParallelOp par) {
    OpBuilder b(par);
    Location loc = par.getLoc();
    // Copies issued right after others need no barrier between: the one
    // before those already ordered every earlier use of the buffers.
    bool copies = contains(par, isAsyncCopy);
    if (!copies || !followsCopyLoop(par))
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
    if (copies)
      copyLoops.insert(loop);
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
    unrollOffChipLoads(loop, staticTripCount(par));
    // A nest of asynchronous copies shows nothing to the other threads
    // until its wait (sinkAsyncCopyWaits), which the barrier follows.
    if (!copies)
      barrier(b, loc);
    par.erase();
  }

  /// A thread's loop whose iterations each load from global memory and
  /// store what they read waits out one round trip per iteration: unrolled,
  /// the loads of several iterations are in flight at once. Only loops of
  /// plain loads and arithmetic (no calls, no inner loops), with enough
  /// iterations per thread (at 128 threads) to fill the unrolled body.
  static void unrollOffChipLoads(scf::ForOp loop,
                                 std::optional<int64_t> trips) {
    if (!trips || *trips < 2 * 128)
      return;
    bool offChip = false, plain = true;
    loop.getBody()->walk([&](Operation *op) {
      if (isa<func::CallOp, LoopLikeOpInterface>(op))
        plain = false;
      // Tile buffers are memrefs; kernel arguments are read through
      // tile pointers, as LLVM loads.
      offChip |= isa<LLVM::LoadOp>(op);
    });
    if (offChip && plain)
      (void)loopUnrollByFactor(loop, *trips >= 8 * 128   ? 8
                                     : *trips >= 4 * 128 ? 4
                                                         : 2);
  }

  /// The iterations of `par`'s whole nest, where its bounds are constants.
  static std::optional<int64_t> staticTripCount(scf::ParallelOp par) {
    int64_t total = 1;
    for (auto [lb, ub, step] :
         llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
      std::optional<int64_t> l = getConstantIntValue(lb),
                             u = getConstantIntValue(ub),
                             s = getConstantIntValue(step);
      if (!l || !u || !s || *s <= 0)
        return std::nullopt;
      total *= std::max<int64_t>(llvm::divideCeil(*u - *l, *s), 0);
    }
    return total;
  }

  /// Whether the op before `op` (past pure ops) is a thread loop of copies.
  bool followsCopyLoop(Operation *op) const {
    for (Operation *prev = op->getPrevNode(); prev;
         prev = prev->getPrevNode()) {
      if (copyLoops.contains(prev))
        return true;
      if (!isPure(prev) || prev->getNumRegions())
        return false;
    }
    return false;
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
  /// The thread loops of nests of asynchronous copies.
  DenseSet<Operation *> copyLoops;
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
      // Warp-collective helpers need all 32 lanes of a warp: on thread 0
      // alone they would be undefined, not slow.
      func::CallOp collective;
      func.walk([&](func::CallOp call) {
        StringRef callee = call.getCallee();
        if (!collective && (callee.starts_with("dsv4c.mma.") ||
                            callee.starts_with("dsv4c.ldmatrix.") ||
                            callee.starts_with("dsv4c.shuffle_xor.")))
          collective = call;
      });
      if (collective) {
        collective.emitOpError()
            << "is a warp-collective helper in a program that "
               "distribute-to-threads leaves to one thread";
        return signalPassFailure();
      }
      OpBuilder fb(func.getContext());
      fb.setInsertionPointToStart(&func.getBody().front());
      func::CallOp::create(fb, func.getLoc(), kSingleThread, TypeRange(),
                           ValueRange());
    }
  }
};

} // namespace
