//===- ReduceToWarpShuffles.cpp - reductions split over a warp's lanes ----===//
//
// A reduction marked `dsv4c.warp_reduce` (TileToTensor, warp-shuffles)
// becomes a parallel loop over (result element, lane of 32): lane l combines
// inputs l, l + 32, ... of its result's row, then five butterfly exchanges
// (lane ^ 16, 8, 4, 2, 1) give every lane the whole; lane 0 combines it into
// the result (after a warp sync that orders the other lanes' reads of the
// old value first). Each result is 32 threads' work instead of one's.
//
//===----------------------------------------------------------------------===//
#include "lowering/GenericBody.h"
#include "lowering/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace dsv4c {
#define GEN_PASS_DEF_REDUCETOWARPSHUFFLES
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;

namespace {

constexpr StringLiteral kShuffleF32 = "dsv4c.shuffle_xor.f32";
constexpr StringLiteral kShuffleI32 = "dsv4c.shuffle_xor.i32";
constexpr StringLiteral kWarpSync = "dsv4c.warp_sync";

/// The marked generic's combiner, applied to two accumulators.
Value combine(OpBuilder &b, Location loc, StringRef kind, Value x, Value y) {
  bool isFloat = isa<FloatType>(x.getType());
  if (kind == "sum")
    return isFloat ? arith::AddFOp::create(b, loc, x, y).getResult()
                   : arith::AddIOp::create(b, loc, x, y).getResult();
  if (kind == "max")
    return isFloat ? arith::MaximumFOp::create(b, loc, x, y).getResult()
                   : arith::MaxSIOp::create(b, loc, x, y).getResult();
  return isFloat ? arith::MinimumFOp::create(b, loc, x, y).getResult()
                 : arith::MinSIOp::create(b, loc, x, y).getResult();
}

/// The generic's body applied at loop point `at` to (input elements...,
/// accumulator): converts and combines the elements as the body does, by
/// cloning it (an element fuse-elementwise-tiles computes in the body reads
/// its indices).
Value applyBody(OpBuilder &b, linalg::GenericOp op, ValueRange at,
                ValueRange elements, Value acc) {
  IRMapping map;
  Block &body = op.getRegion().front();
  for (auto [arg, element] : llvm::zip(body.getArguments(), elements))
    map.map(arg, element);
  map.map(body.getArguments().back(), acc);
  return dsv4c::lowering::cloneBodyAt(b, body, map, at);
}

LogicalResult rewrite(linalg::GenericOp op, Value identity) {
  StringRef kind = op->getAttrOfType<StringAttr>("dsv4c.warp_reduce");
  if (kind != "sum" && kind != "max" && kind != "min")
    return op.emitOpError()
           << "unknown dsv4c.warp_reduce kind '" << kind << "'";
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return op.emitOpError()
           << "a marked reduction is inputs and one result buffer";
  Value out = op.getDpsInits()[0];
  auto outType = cast<MemRefType>(out.getType());
  std::optional<SmallVector<int64_t, 4>> ranges = op.getStaticLoopRanges();
  if (!outType.hasStaticShape() || !ranges ||
      ShapedType::isDynamicShape(*ranges))
    return op.emitOpError() << "a marked reduction needs static shapes";
  Type acc = outType.getElementType();
  if (!acc.isF32() && !acc.isInteger(32))
    return op.emitOpError() << "shuffles move f32 or i32 accumulators";
  auto iterators = op.getIteratorTypesArray();
  int64_t dim = -1;
  for (auto [d, it] : llvm::enumerate(iterators))
    if (it == utils::IteratorType::reduction)
      dim = d;
  if (dim < 0 || llvm::count(iterators, utils::IteratorType::reduction) != 1)
    return op.emitOpError() << "a marked reduction reduces one dim";
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation() || outMap.isFunctionOfDim(dim))
    return op.emitOpError()
           << "a marked reduction's result is indexed by its parallel dims";

  OpBuilder b(op);
  Location loc = op.getLoc();
  auto index = [&](OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  // Results enumerate the parallel dims row-major; the reduction dim is
  // split over the lanes.
  int64_t results = 1;
  for (auto [d, size] : llvm::enumerate(*ranges))
    if (int64_t(d) != dim)
      results *= size;
  int64_t extent = (*ranges)[dim];
  scf::ParallelOp::create(
      b, loc, ValueRange{index(b, 0), index(b, 0)},
      ValueRange{index(b, results), index(b, 32)},
      ValueRange{index(b, 1), index(b, 1)},
      [&](OpBuilder &b, Location, ValueRange ivs) {
        SmallVector<Value> loopIvs(ranges->size());
        Value rest = ivs[0];
        for (int64_t d = int64_t(ranges->size()) - 1; d >= 0; --d) {
          if (d == dim)
            continue;
          Value size = index(b, (*ranges)[d]);
          loopIvs[d] = arith::RemUIOp::create(b, loc, rest, size);
          rest = arith::DivUIOp::create(b, loc, rest, size);
        }
        // An operand's element at the loop point: its map applied to ivs.
        auto indicesOf = [&](OpBuilder &b, AffineMap map, ValueRange at) {
          SmallVector<Value> idx;
          for (AffineExpr e : map.getResults()) {
            if (auto d = dyn_cast<AffineDimExpr>(e)) {
              idx.push_back(at[d.getPosition()]);
              continue;
            }
            idx.push_back(affine::AffineApplyOp::create(
                b, loc, AffineMap::get(map.getNumDims(), 0, e), at));
          }
          return idx;
        };
        Value lane = ivs[1];
        auto fold = scf::ForOp::create(
            b, loc, lane, index(b, extent), index(b, 32), ValueRange{identity},
            [&](OpBuilder &b, Location, Value j, ValueRange a) {
              SmallVector<Value> at(loopIvs);
              at[dim] = j;
              SmallVector<Value> elements;
              for (OpOperand *in : op.getDpsInputOperands())
                elements.push_back(memref::LoadOp::create(
                    b, loc, in->get(),
                    indicesOf(b, op.getMatchingIndexingMap(in), at)));
              scf::YieldOp::create(b, loc,
                                   applyBody(b, op, at, elements, a[0]));
            });
        SmallVector<Value> outIdx(loopIvs);
        outIdx[dim] = index(b, 0); // not read by outMap
        outIdx = indicesOf(b, outMap, outIdx);
        Value total = fold.getResult(0);
        StringRef shuffle = acc.isF32() ? kShuffleF32 : kShuffleI32;
        for (int offset : {16, 8, 4, 2, 1}) {
          Value o =
              arith::ConstantIntOp::create(b, loc, b.getI32Type(), offset);
          Value other =
              func::CallOp::create(b, loc, shuffle, acc, ValueRange{total, o})
                  .getResult(0);
          total = combine(b, loc, kind, total, other);
        }
        // Every lane reads the old value, then the warp syncs, then lane 0
        // writes: a read hoisted out of a lane-0 branch would otherwise race
        // with that lane's write.
        Value old = memref::LoadOp::create(b, loc, out, outIdx);
        func::CallOp::create(b, loc, kWarpSync, TypeRange(), ValueRange());
        Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            lane, index(b, 0));
        auto guard = scf::IfOp::create(b, loc, first, false);
        OpBuilder::InsertionGuard restore(b);
        b.setInsertionPoint(guard.thenBlock()->getTerminator());
        memref::StoreOp::create(b, loc, combine(b, loc, kind, old, total), out,
                                outIdx);
        b.setInsertionPointAfter(guard);
        scf::ReduceOp::create(b, loc);
      });
  op.erase();
  return success();
}

/// The combiner's identity for `kind` on `type` (what the fill wrote).
Value identityOf(OpBuilder &b, Location loc, StringRef kind, Type type) {
  if (type.isF32()) {
    float v = kind == "sum"   ? 0.0f
              : kind == "max" ? -std::numeric_limits<float>::infinity()
                              : std::numeric_limits<float>::infinity();
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
  }
  APInt v = kind == "sum"   ? APInt::getZero(32)
            : kind == "max" ? APInt::getSignedMinValue(32)
                            : APInt::getSignedMaxValue(32);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

struct ReduceToWarpShufflesPass
    : dsv4c::impl::ReduceToWarpShufflesBase<ReduceToWarpShufflesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> marked;
    module.walk([&](linalg::GenericOp op) {
      if (op->hasAttr("dsv4c.warp_reduce"))
        marked.push_back(op);
    });
    if (marked.empty())
      return;
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToStart(module.getBody());
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    for (auto [name, type] : {std::pair{kShuffleF32, f32}, {kShuffleI32, i32}})
      if (!module.lookupSymbol(name))
        func::FuncOp::create(b, module.getLoc(), name,
                             b.getFunctionType({type, i32}, {type}))
            .setPrivate();
    if (!module.lookupSymbol(kWarpSync))
      func::FuncOp::create(b, module.getLoc(), kWarpSync,
                           b.getFunctionType({}, {}))
          .setPrivate();
    bool failedAny = false;
    for (linalg::GenericOp op : marked) {
      OpBuilder ib(op);
      auto kind = op->getAttrOfType<StringAttr>("dsv4c.warp_reduce");
      Type acc = op.getNumDpsInits() == 1
                     ? getElementTypeOrSelf(op.getDpsInits()[0].getType())
                     : Type();
      Value identity = acc && (acc.isF32() || acc.isInteger(32)) && kind
                           ? identityOf(ib, op.getLoc(), kind.getValue(), acc)
                           : Value();
      if (!identity || failed(rewrite(op, identity))) {
        if (!identity)
          op.emitOpError() << "shuffles move f32 or i32 accumulators";
        failedAny = true;
      }
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
