//===- FuseElementwiseTiles.cpp - elementwise tile chains as one loop -----===//
//
// On GPU targets every tile value that reaches bufferization becomes a
// buffer and a loop between barriers. Chains of cheap elementwise ops (tile
// loads, casts, broadcasts, arith and math) are fused here, at the tensor
// level, into their consumers, so each element is computed in registers
// where it is used. Element-wise generates become generics first, so that
// linalg's elementwise fusion sees them.
//
//===----------------------------------------------------------------------===//
#include "lowering/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dsv4c {
#define GEN_PASS_DEF_FUSEELEMENTWISETILES
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;

namespace {

/// Whether computing an element of `region` is cheap enough to repeat in
/// each consumer: no loops (a reduction's fold, a dot's k loop), only
/// straight-line code and the ifs of masked loads.
bool isCheapElement(Region &region) {
  WalkResult r = region.walk([](Operation *op) {
    if (op->getNumRegions() && !isa<scf::IfOp>(op))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !r.wasInterrupted();
}

/// Whether `op` (or anything nested in it) may write memory.
bool mayWrite(Operation *op) {
  WalkResult r = op->walk([](Operation *inner) {
    if (isa<linalg::YieldOp, tensor::YieldOp, scf::YieldOp>(inner))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
    if (!effects) {
      // Ops without the interface: pure only if they say so by trait.
      if (inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return WalkResult::advance();
      return WalkResult::interrupt();
    }
    if (effects.hasEffect<MemoryEffects::Write>() ||
        effects.hasEffect<MemoryEffects::Allocate>() ||
        effects.hasEffect<MemoryEffects::Free>())
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Whether `region` reads memory (a tile load's element).
bool readsMemory(Region &region) {
  WalkResult r = region.walk([](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (effects && effects.hasEffect<MemoryEffects::Read>())
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Whether a producer that reads memory may move to `consumer`: both in one
/// block, and nothing between them may write memory (a tile.store between a
/// load and its use must not be overtaken).
bool noWritesBetween(Operation *producer, Operation *consumer) {
  if (producer->getBlock() != consumer->getBlock() ||
      !producer->isBeforeInBlock(consumer))
    return false;
  for (Operation *op = producer->getNextNode(); op != consumer;
       op = op->getNextNode())
    if (mayWrite(op))
      return false;
  return true;
}

bool isMarked(Operation *op) {
  return llvm::any_of(op->getAttrs(), [](NamedAttribute a) {
    return a.getName().strref().starts_with("dsv4c.");
  });
}

/// tensor.generate with a cheap body -> linalg.generic (all parallel, no
/// inputs, linalg.index for the indices), which elementwise fusion can move
/// into its consumers.
struct GenerateToGeneric : OpRewritePattern<tensor::GenerateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::GenerateOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.hasStaticShape() || !isCheapElement(op.getBody()))
      return failure();
    Location loc = op.getLoc();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    int64_t rank = type.getRank();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location loc, ValueRange) {
          IRMapping map;
          Block &body = op.getBody().front();
          for (int64_t d = 0; d < rank; ++d)
            map.map(body.getArgument(d), linalg::IndexOp::create(b, loc, d));
          for (Operation &inner : body.without_terminator())
            b.clone(inner, map);
          linalg::YieldOp::create(
              b, loc, map.lookupOrDefault(body.getTerminator()->getOperand(0)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// An elementwise generic that writes a fresh tensor but reads one of the
/// same shape nothing else reads (a loop's running sum: acc + part) writes
/// into that one instead, which bufferization then updates in place: no new
/// buffer per loop trip, and a loop-carried tile keeps one buffer.
void reuseInputAsDestination(linalg::GenericOp g) {
  if (isMarked(g) || g.getNumDpsInits() != 1 ||
      g.getNumParallelLoops() != g.getNumLoops())
    return;
  OpOperand &init = g.getDpsInitsMutable()[0];
  BlockArgument out = g.getMatchingBlockArgument(&init);
  if (!init.get().getDefiningOp<tensor::EmptyOp>() || !out.use_empty())
    return;
  AffineMap map = g.getMatchingIndexingMap(&init);
  for (OpOperand *in : g.getDpsInputOperands()) {
    if (in->get().getType() != init.get().getType() ||
        g.getMatchingIndexingMap(in) != map || !in->get().hasOneUse())
      continue;
    unsigned i = in->getOperandNumber();
    g.getMatchingBlockArgument(in).replaceAllUsesWith(out);
    init.set(in->get());
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    maps.erase(maps.begin() + i);
    g.getInputsMutable().erase(i);
    g.getRegion().front().eraseArgument(i);
    g.setIndexingMapsAttr(Builder(g.getContext()).getAffineMapArrayAttr(maps));
    return;
  }
}

struct FuseElementwiseTilesPass
    : dsv4c::impl::FuseElementwiseTilesBase<FuseElementwiseTilesPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      patterns.add<GenerateToGeneric>(ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
      Operation *consumer = fused->getOwner();
      if (!producer || isMarked(producer) || isMarked(consumer))
        return false;
      Region &body = producer.getRegion();
      if (!isCheapElement(body))
        return false;
      return !readsMemory(body) || noWritesBetween(producer, consumer);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation()->walk(reuseInputAsDestination);
  }
};

} // namespace
