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
#include "lowering/GenericBody.h"
#include "lowering/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "llvm/ADT/SmallBitVector.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Matchers.h"
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

/// Whether `p` is an element that may be computed where its consumer reads
/// it instead of into a tile buffer: an unmarked all-parallel generic of one
/// result whose element is cheap and does not read its own destination.
bool isInlinableElement(linalg::GenericOp p) {
  if (!p || isMarked(p) || p->getNumResults() != 1 || p.getNumDpsInits() != 1 ||
      p.getNumParallelLoops() != p.getNumLoops() ||
      !isCheapElement(p.getRegion()))
    return false;
  OpOperand *init = p.getDpsInitOperand(0);
  return p.getMatchingIndexingMap(init).isIdentity() &&
         p.getMatchingBlockArgument(init).use_empty() &&
         llvm::all_of(p.getDpsInputOperands(), [](OpOperand *in) {
           return isa<RankedTensorType>(in->get().getType());
         });
}

/// `p`'s element at `idx`, computed at `b`'s insertion point: each input's
/// element through its indexing map, then `p`'s body.
Value elementAt(OpBuilder &b, Location loc, linalg::GenericOp p,
                ValueRange idx) {
  IRMapping map;
  for (OpOperand *in : p.getDpsInputOperands()) {
    AffineMap m = p.getMatchingIndexingMap(in);
    SmallVector<Value> at;
    for (AffineExpr e : m.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e))
        at.push_back(idx[d.getPosition()]);
      else
        at.push_back(affine::AffineApplyOp::create(
            b, loc, AffineMap::get(m.getNumDims(), 0, e), idx));
    }
    map.map(p.getMatchingBlockArgument(in),
            tensor::ExtractOp::create(b, loc, in->get(), at));
  }
  return dsv4c::lowering::cloneBodyAt(b, p.getRegion().front(), map, idx);
}

/// A tile.store's nest: marked so by the lowering, or (the canonicalizer
/// rebuilds a nest without its unit dims, and drops the mark) a parallel
/// loop that stores to global memory.
bool isStoreNest(scf::ParallelOp nest) {
  if (nest->hasAttr("dsv4c.store_nest"))
    return true;
  return nest->walk([](LLVM::StoreOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// A tile.store's nest (scf.parallel marked `dsv4c.store_nest`) reads each
/// element of its value once: a cheap element that does not read memory (a
/// global load could alias the store) is computed there, in registers,
/// instead of into a tile buffer and a loop and a barrier of its own.
bool inlineIntoStoreNest(tensor::ExtractOp extract) {
  auto p = extract.getTensor().getDefiningOp<linalg::GenericOp>();
  if (!isInlinableElement(p) || readsMemory(p.getRegion()))
    return false;
  auto nest = extract->getParentOfType<scf::ParallelOp>();
  if (!nest || !isStoreNest(nest) || nest->getBlock() != p->getBlock())
    return false;
  // Every read of p is one of the nest's (a chunk reads several elements).
  SmallVector<tensor::ExtractOp> reads;
  for (Operation *user : p->getResult(0).getUsers()) {
    auto e = dyn_cast<tensor::ExtractOp>(user);
    if (!e || e->getParentOfType<scf::ParallelOp>() != nest)
      return false;
    reads.push_back(e);
  }
  for (tensor::ExtractOp e : reads) {
    OpBuilder b(e);
    e.replaceAllUsesWith(elementAt(b, e.getLoc(), p, e.getIndices()));
    e.erase();
  }
  p.erase();
  return true;
}

/// A generate's element reads its tiles with tensor.extract at its own
/// indices; such reads become inputs of `p` (at the matching indexing map),
/// which is what linalg's fusion needs to keep the loops' extents.
void extractsAsInputs(linalg::GenericOp p) {
  Block &body = p.getRegion().front();
  Builder b(p.getContext());
  unsigned loops = p.getNumLoops();
  for (Operation &op : llvm::make_early_inc_range(body)) {
    auto e = dyn_cast<tensor::ExtractOp>(op);
    if (!e || e.getTensor().getParentBlock() == &body)
      continue;
    SmallVector<AffineExpr> dims;
    llvm::SmallBitVector seen(loops);
    auto tileType = cast<RankedTensorType>(e.getTensor().getType());
    for (auto [d, i] : llvm::enumerate(e.getIndices())) {
      // A unit dim's index folds to the constant 0.
      if (tileType.getDimSize(d) == 1 && matchPattern(i, m_Zero())) {
        dims.push_back(b.getAffineConstantExpr(0));
        continue;
      }
      auto index = i.getDefiningOp<linalg::IndexOp>();
      if (!index || seen.test(index.getDim()))
        break;
      seen.set(index.getDim());
      dims.push_back(b.getAffineDimExpr(index.getDim()));
    }
    if (dims.size() != e.getIndices().size())
      continue;
    AffineMap map = AffineMap::get(loops, 0, dims, p.getContext());
    unsigned at = p.getNumDpsInputs();
    SmallVector<AffineMap> maps = p.getIndexingMapsArray();
    maps.insert(maps.begin() + at, map);
    p.getInputsMutable().append(e.getTensor());
    BlockArgument arg = body.insertArgument(at, e.getType(), e.getLoc());
    p.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
    e.replaceAllUsesWith(arg);
    e.erase();
  }
}

/// A warp reduction (`dsv4c.warp_reduce`) reads each element of an input
/// once where that input's map is a permutation of its loops: a cheap
/// producer is fused into it (linalg's elementwise fusion, which keeps an
/// input for every loop's extent), so each lane computes the elements it
/// folds (rmsnorm's squares straight from the loaded row) instead of
/// reading them from a tile buffer.
bool fuseIntoWarpReduce(linalg::GenericOp c) {
  if (!c->hasAttr("dsv4c.warp_reduce"))
    return false;
  for (OpOperand *in : c.getDpsInputOperands()) {
    auto p = in->get().getDefiningOp<linalg::GenericOp>();
    if (!isInlinableElement(p) || !p->getResult(0).hasOneUse() ||
        !c.getMatchingIndexingMap(in).isPermutation() ||
        (readsMemory(p.getRegion()) && !noWritesBetween(p, c)))
      continue;
    extractsAsInputs(p);
    if (!linalg::areElementwiseOpsFusable(in))
      continue;
    IRRewriter rewriter(c);
    FailureOr<linalg::ElementwiseOpFusionResult> fused =
        linalg::fuseElementwiseOps(rewriter, in);
    if (failed(fused))
      continue;
    fused->fusedOp->setDiscardableAttrs(c->getDiscardableAttrDictionary());
    for (auto [old, now] : fused->replacements)
      rewriter.replaceAllUsesExcept(old, now, fused->fusedOp);
    rewriter.eraseOp(c);
    if (p->use_empty())
      rewriter.eraseOp(p);
    return true;
  }
  return false;
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
    // One at a time: an inlined producer is erased with the ops it holds.
    auto inlineOne = [&] {
      return getOperation()
          ->walk([&](Operation *op) {
            auto e = dyn_cast<tensor::ExtractOp>(op);
            auto g = dyn_cast<linalg::GenericOp>(op);
            if ((e && inlineIntoStoreNest(e)) || (g && fuseIntoWarpReduce(g)))
              return WalkResult::interrupt();
            return WalkResult::advance();
          })
          .wasInterrupted();
    };
    while (inlineOne()) {
    }
  }
};

} // namespace
