//===- PipelineTileLoads.cpp - load the next trip's tiles ahead -----------===//
//
// A loop whose trips each load tiles and then work on them waits out every
// load's round trip to memory. This pass moves such a load one trip ahead:
// trip i loads trip i+1's tile at its top and carries it to the next trip
// in an iter_arg; the loop's first tile is loaded before it. With the
// loads as asynchronous copies (async-copies) and each copy's wait moved to
// the first op that reads the copy (distribute-to-threads: here the yield),
// trip i+1's copies are in flight while trip i works: a two-stage software
// pipeline. The tile buffers double (plan-tile-buffers gives a carried
// buffer two places used by turns).
//
//===----------------------------------------------------------------------===//
#include "lowering/Passes.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace dsv4c {
#define GEN_PASS_DEF_PIPELINETILELOADS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;
using dsv4c::tile::LoadOp;

namespace {

/// Adds to `slice` the ops of `loop`'s body that compute `value` from the
/// induction variable and values from outside the loop; false if `value`
/// needs anything else (another iter_arg, an op with effects or regions).
bool computableAhead(Value value, scf::ForOp loop,
                     llvm::SetVector<Operation *> &slice) {
  if (value == loop.getInductionVar())
    return true;
  if (!loop.getRegion().isAncestor(value.getParentRegion()))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != loop.getBody() || !isPure(def) ||
      def->getNumRegions())
    return false;
  if (slice.contains(def))
    return true;
  for (Value operand : def->getOperands())
    if (!computableAhead(operand, loop, slice))
      return false;
  slice.insert(def);
  return true;
}

/// Loads of `loop`'s body that can move a trip ahead: ones that async-copies
/// copies (contiguous rows, no mask), with bounds fixed for the whole loop
/// (so that the load past the last trip reads inside them, or zeros: bounds
/// that move with the trip, like split-k's slices one a trip, would let it
/// read past the buffer), from addresses computable ahead.
SmallVector<LoadOp> loadsToPipeline(scf::ForOp loop,
                                          llvm::SetVector<Operation *> &slice) {
  SmallVector<LoadOp> loads;
  for (auto load : loop.getBody()->getOps<LoadOp>()) {
    if (!dsv4c::lowering::asyncCopyChunkBytes(load) ||
        load.getBounds().empty() ||
        !llvm::all_of(load.getBounds(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      continue;
    llvm::SetVector<Operation *> needs;
    if (!llvm::all_of(load->getOperands(), [&](Value v) {
          return computableAhead(v, loop, needs);
        }))
      continue;
    slice.insert(needs.begin(), needs.end());
    loads.push_back(load);
  }
  return loads;
}

void pipeline(scf::ForOp loop) {
  llvm::SetVector<Operation *> unordered;
  SmallVector<LoadOp> loads = loadsToPipeline(loop, unordered);
  if (loads.empty())
    return;
  SmallVector<Operation *> slice(unordered.begin(), unordered.end());
  llvm::sort(slice, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  Location loc = loop.getLoc();
  Value iv = loop.getInductionVar();
  Block *body = loop.getBody();
  unsigned carried = loop.getNumRegionIterArgs();

  // The first trip's tiles, before the loop.
  OpBuilder b(loop);
  IRMapping first;
  first.map(iv, loop.getLowerBound());
  for (Operation *op : slice)
    b.clone(*op, first);
  SmallVector<Value> inits(loop.getInitArgs());
  for (LoadOp load : loads)
    inits.push_back(b.clone(*load, first)->getResult(0));

  auto ahead = scf::ForOp::create(b, loc, loop.getLowerBound(),
                                  loop.getUpperBound(), loop.getStep(), inits);
  Block *aheadBody = ahead.getBody();
  if (!aheadBody->empty())
    aheadBody->getTerminator()->erase();
  aheadBody->getOperations().splice(aheadBody->end(), body->getOperations());
  iv.replaceAllUsesWith(ahead.getInductionVar());
  for (unsigned i = 0; i < carried; ++i)
    loop.getRegionIterArgs()[i].replaceAllUsesWith(
        ahead.getRegionIterArgs()[i]);
  for (auto [i, load] : llvm::enumerate(loads))
    load.getResult().replaceAllUsesWith(
        ahead.getRegionIterArgs()[carried + i]);

  // The next trip's tiles, at the top of this trip.
  b.setInsertionPointToStart(aheadBody);
  IRMapping next;
  next.map(ahead.getInductionVar(),
           arith::AddIOp::create(b, loc, ahead.getInductionVar(),
                                 ahead.getStep()));
  for (Operation *op : slice)
    b.clone(*op, next);
  SmallVector<Value> nextTiles;
  for (LoadOp load : loads)
    nextTiles.push_back(b.clone(*load, next)->getResult(0));
  Operation *yield = aheadBody->getTerminator();
  yield->insertOperands(yield->getNumOperands(), nextTiles);

  for (unsigned i = 0; i < carried; ++i)
    loop.getResult(i).replaceAllUsesWith(ahead.getResult(i));
  for (LoadOp load : loads)
    load.erase();
  loop.erase();
}

struct PipelineTileLoadsPass
    : dsv4c::impl::PipelineTileLoadsBase<PipelineTileLoadsPass> {
  void runOnOperation() override {
    // Innermost loops only: one stage ahead, not one per level.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      bool inner = !loop.getBody()
                        ->walk([](LoopLikeOpInterface) {
                          return WalkResult::interrupt();
                        })
                        .wasInterrupted();
      if (inner)
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops)
      pipeline(loop);
  }
};

} // namespace
