//===- TileToTensor.cpp - tile ops to tensor/scf/llvm memory ops ----------===//
//
// Each cheap tile-producing op becomes a `tensor.generate` whose body computes
// one element; the canonicalizer inlines such bodies into their consumers'
// `tensor.extract`s (fusion). Ops whose element is a loop (dot, reduce, scan,
// quantize scales) are `linalg.generic`s instead, which are computed once:
// inlined, their loops would run again for every element of every consumer.
// Stores become loop nests. Targets that want more (vector, mma) rewrite tile
// ops before this.
//
//===----------------------------------------------------------------------===//
#include "lowering/TileToTensor.h"

#include "dialects/tile/TileDialect.h"
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
using namespace mlir;
using namespace dsv4c;

namespace dsv4c::lowering {

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// A tile of `type` whose element at `ivs` is `body(ivs)`.
Value generate(OpBuilder &b, Location loc, RankedTensorType type, BodyFn body) {
  auto plain = RankedTensorType::get(type.getShape(), type.getElementType());
  return tensor::GenerateOp::create(
      b, loc, plain, ValueRange{},
      [&](OpBuilder &nb, Location nl, ValueRange ivs) {
        tensor::YieldOp::create(nb, nl, body(nb, nl, ivs));
      });
}

/// Like `generate`, but the tile is computed once into memory: a
/// `linalg.generic` is not inlined into `tensor.extract`s as a
/// `tensor.generate` is. For bodies too costly to recompute per use.
Value materialize(OpBuilder &b, Location loc, RankedTensorType type,
                  BodyFn body) {
  int64_t rank = type.getRank();
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl, body(nb, nl, ivs));
      });
  return op.getResult(0);
}

/// Runs `body` for every index of `shape`, row-major.
void forEachIndex(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t s : shape) {
    lbs.push_back(indexConst(b, loc, 0));
    ubs.push_back(indexConst(b, loc, s));
    steps.push_back(indexConst(b, loc, 1));
  }
  scf::buildLoopNest(b, loc, lbs, ubs, steps, body);
}

Value extract(OpBuilder &b, Location loc, Value tile, ValueRange ivs) {
  return tensor::ExtractOp::create(b, loc, tile, ivs);
}

/// `x` with `convert` applied to every element, computed once: for the inputs
/// of ops that read each element many times.
Value materializeConverted(
    OpBuilder &b, Location loc, Value x, Type elt,
    function_ref<Value(OpBuilder &, Location, Value)> convert) {
  auto type = cast<RankedTensorType>(x.getType());
  return materialize(b, loc, RankedTensorType::get(type.getShape(), elt),
                     [&](OpBuilder &b, Location loc, ValueRange ivs) {
                       return convert(b, loc, extract(b, loc, x, ivs));
                     });
}

} // namespace dsv4c::lowering

using namespace dsv4c::lowering;

namespace {

/// Combiner of reductions and scans: floats accumulate in f32.
struct Combiner {
  tile::CombineKind kind;
  Type elt;

  bool isFloat() const { return isa<FloatType>(elt); }
  Type accType(OpBuilder &b) const { return isFloat() ? b.getF32Type() : elt; }

  Value identity(OpBuilder &b, Location loc) const {
    if (isFloat()) {
      float v = kind == tile::CombineKind::Sum ? 0.0f
                : kind == tile::CombineKind::Max
                    ? -std::numeric_limits<float>::infinity()
                    : std::numeric_limits<float>::infinity();
      return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
    }
    unsigned w = elt.getIntOrFloatBitWidth();
    APInt v = kind == tile::CombineKind::Sum   ? APInt::getZero(w)
              : kind == tile::CombineKind::Max ? APInt::getSignedMinValue(w)
                                               : APInt::getSignedMaxValue(w);
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elt, v));
  }

  Value combine(OpBuilder &b, Location loc, Value acc, Value x) const {
    if (isFloat()) {
      x = emitToF32(b, loc, x);
      switch (kind) {
      case tile::CombineKind::Sum:
        return arith::AddFOp::create(b, loc, acc, x);
      case tile::CombineKind::Max:
        return arith::MaximumFOp::create(b, loc, acc, x);
      case tile::CombineKind::Min:
        return arith::MinimumFOp::create(b, loc, acc, x);
      }
    }
    switch (kind) {
    case tile::CombineKind::Sum:
      return arith::AddIOp::create(b, loc, acc, x);
    case tile::CombineKind::Max:
      return arith::MaxSIOp::create(b, loc, acc, x);
    case tile::CombineKind::Min:
      return arith::MinSIOp::create(b, loc, acc, x);
    }
    llvm_unreachable("unknown combine kind");
  }

  Value finish(OpBuilder &b, Location loc, Value acc) const {
    return isFloat() ? emitFromF32(b, loc, acc, elt) : acc;
  }

  /// Combines input[idx with idx[dim] = lo..hi-1] into one element.
  Value fold(OpBuilder &b, Location loc, Value input, SmallVector<Value> idx,
             int64_t dim, Value lo, Value hi) const {
    auto loop = scf::ForOp::create(
        b, loc, lo, hi, indexConst(b, loc, 1), ValueRange{identity(b, loc)},
        [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
          idx[dim] = i;
          scf::YieldOp::create(
              b, loc, combine(b, loc, acc[0], extract(b, loc, input, idx)));
        });
    return finish(b, loc, loop.getResult(0));
  }
};

/// A reduction as a generic over the input's dims (`dim` a reduction)
/// into the combiner's identity, marked `dsv4c.warp_reduce` for
/// reduce-to-warp-shuffles: the pass splits each result over a warp's lanes.
Value lowerReduceForWarp(OpBuilder &b, tile::ReduceOp op, const Combiner &c) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = inType.getRank(), dim = op.getDim();
  Type acc = c.accType(b);
  Value init =
      linalg::FillOp::create(
          b, loc, c.identity(b, loc),
          ValueRange{tensor::EmptyOp::create(b, loc, outType.getShape(), acc)})
          .getResult(0);
  SmallVector<AffineExpr> kept;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == dim ? utils::IteratorType::reduction
                                 : utils::IteratorType::parallel);
    if (d != dim)
      kept.push_back(b.getAffineDimExpr(d));
  }
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, kept, b.getContext())};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{op.getInput()},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, c.combine(b, loc, args[1], args[0]));
      });
  generic->setAttr("dsv4c.warp_reduce",
                   b.getStringAttr(tile::stringifyCombineKind(c.kind)));
  Value result = generic.getResult(0);
  if (acc == c.elt)
    return result;
  return materializeConverted(
      b, loc, result, c.elt,
      [&](OpBuilder &b, Location loc, Value v) { return c.finish(b, loc, v); });
}

Value lowerReduce(OpBuilder &b, tile::ReduceOp op,
                  const TileLoweringOptions &options) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  int64_t dim = op.getDim();
  Combiner c{op.getKind(), inType.getElementType()};
  // Across lanes where each result has a warp's worth of inputs, and the
  // accumulator is a 32-bit word the shuffles move.
  Type acc = c.accType(b);
  if (options.warpShuffles && inType.getDimSize(dim) >= 32 &&
      (acc.isF32() || acc.isInteger(32)))
    return lowerReduceForWarp(b, op, c);
  return materialize(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx(ivs.begin(), ivs.end());
        idx.insert(idx.begin() + dim, Value());
        return c.fold(b, loc, op.getInput(), idx, dim, indexConst(b, loc, 0),
                      indexConst(b, loc, inType.getDimSize(dim)));
      });
}

Value lowerScan(OpBuilder &b, tile::ScanOp op) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  int64_t dim = op.getDim();
  Combiner c{op.getKind(), type.getElementType()};
  // Each output folds a prefix of the input: read it from memory, as f32 for
  // floats (what `combine` converts to anyway).
  Value input =
      materializeConverted(b, loc, op.getInput(), c.accType(b),
                           [&](OpBuilder &b, Location loc, Value x) {
                             return c.isFloat() ? emitToF32(b, loc, x) : x;
                           });
  return materialize(
      b, loc, type, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx(ivs.begin(), ivs.end());
        Value one = indexConst(b, loc, 1);
        Value lo = op.getReverse() ? ivs[dim] : indexConst(b, loc, 0);
        Value hi = op.getReverse()
                       ? indexConst(b, loc, type.getDimSize(dim))
                       : arith::AddIOp::create(b, loc, ivs[dim], one);
        return c.fold(b, loc, input, idx, dim, lo, hi);
      });
}

/// Row-major linear index of `ivs` in `shape`, and its inverse.
Value linearize(OpBuilder &b, Location loc, ValueRange ivs,
                ArrayRef<int64_t> shape) {
  Value linear = indexConst(b, loc, 0);
  for (auto [iv, s] : llvm::zip(ivs, shape))
    linear = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, linear, indexConst(b, loc, s)),
        iv);
  return linear;
}

SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<int64_t> shape) {
  SmallVector<Value> ivs(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    Value s = indexConst(b, loc, shape[d]);
    ivs[d] = arith::RemUIOp::create(b, loc, linear, s);
    linear = arith::DivUIOp::create(b, loc, linear, s);
  }
  return ivs;
}

Value lowerShapeOp(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Value input = op->getNumOperands() ? op->getOperand(0) : Value();
  auto inShape = [&] {
    return cast<RankedTensorType>(input.getType()).getShape();
  };
  return generate(
      b, loc, type, [&](OpBuilder &b, Location loc, ValueRange ivs) -> Value {
        if (auto splat = dyn_cast<tile::SplatOp>(op))
          return splat.getValue();
        if (isa<tile::IotaOp>(op))
          return arith::IndexCastOp::create(b, loc, type.getElementType(),
                                            ivs[0]);
        if (isa<tile::BroadcastOp>(op)) {
          SmallVector<Value> idx;
          for (auto [iv, s] : llvm::zip(ivs, inShape()))
            idx.push_back(s == 1 ? indexConst(b, loc, 0) : iv);
          return extract(b, loc, input, idx);
        }
        if (isa<tile::ReshapeOp>(op))
          return extract(b, loc, input,
                         delinearize(b, loc,
                                     linearize(b, loc, ivs, type.getShape()),
                                     inShape()));
        if (auto trans = dyn_cast<tile::TransOp>(op)) {
          SmallVector<Value> idx(ivs.size());
          for (auto [d, p] : llvm::enumerate(trans.getPerm()))
            idx[p] = ivs[d];
          return extract(b, loc, input, idx);
        }
        auto cast = dyn_cast<tile::CastOp>(op);
        return emitScalarCast(b, loc, extract(b, loc, cast.getInput(), ivs),
                              type.getElementType());
      });
}

Value lowerSlice(OpBuilder &b, tile::SliceOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> offsets = op.getOffsets();
  return generate(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx;
        for (auto [d, iv] : llvm::enumerate(ivs)) {
          int64_t step = op.getStrides() ? (*op.getStrides())[d] : 1;
          idx.push_back(arith::AddIOp::create(
              b, loc, indexConst(b, loc, offsets[d]),
              arith::MulIOp::create(b, loc, iv, indexConst(b, loc, step))));
        }
        return extract(b, loc, op.getInput(), idx);
      });
}

/// Element `ivs` of the concatenation of `inputs` (from `start` on `dim`):
/// the first input whose range holds ivs[dim], tested in order so only
/// in-bounds elements are read.
Value concatElement(OpBuilder &b, Location loc, ValueRange inputs, int64_t dim,
                    int64_t start, ValueRange ivs) {
  Value input = inputs.front();
  int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(dim);
  auto read = [&](OpBuilder &b, Location loc) {
    SmallVector<Value> idx(ivs.begin(), ivs.end());
    idx[dim] =
        arith::SubIOp::create(b, loc, ivs[dim], indexConst(b, loc, start));
    return extract(b, loc, input, idx);
  };
  if (inputs.size() == 1)
    return read(b, loc);
  Value inside =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, ivs[dim],
                            indexConst(b, loc, start + size));
  auto ifOp = scf::IfOp::create(
      b, loc, inside,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, read(tb, tl));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(
            eb, el,
            concatElement(eb, el, inputs.drop_front(), dim, start + size, ivs));
      });
  return ifOp.getResult(0);
}

Value lowerConcat(OpBuilder &b, tile::ConcatOp op) {
  return generate(b, op.getLoc(), op.getType(),
                  [&](OpBuilder &b, Location loc, ValueRange ivs) {
                    return concatElement(b, loc, op.getInputs(), op.getDim(), 0,
                                         ivs);
                  });
}

/// A splat that starts a loop's carried tile and is used elsewhere too gets
/// a copy of its own before that loop: one-shot bufferization would
/// otherwise give the loop a copy of the shared tile buffer (linear_fp8's
/// k loop and its split sum: 4 KiB more shared memory, 73 us a launch
/// instead of 26 on the H100).
void giveEachLoopItsOwnSplat(Operation *root) {
  SmallVector<tile::SplatOp> splats;
  root->walk([&](tile::SplatOp splat) {
    if (!splat->hasOneUse())
      splats.push_back(splat);
  });
  OpBuilder b(root->getContext());
  for (tile::SplatOp splat : splats) {
    for (OpOperand &use : llvm::make_early_inc_range(splat->getUses())) {
      auto loop = dyn_cast<scf::ForOp>(use.getOwner());
      if (!loop || use.getOperandNumber() < loop.getNumControlOperands() ||
          splat->hasOneUse())
        continue;
      b.setInsertionPoint(loop);
      use.set(b.clone(*splat)->getResult(0));
    }
  }
}

} // namespace

LogicalResult dsv4c::lowerTileOpsToTensor(Operation *root,
                                          const TileLoweringOptions &options) {
  giveEachLoopItsOwnSplat(root);
  SmallVector<Operation *> ops;
  root->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<tile::TileDialect>(op->getDialect()) &&
        !isa<tile::KernelOp, tile::ReturnOp, tile::ProgramIdOp,
             tile::NumProgramsOp>(op))
      ops.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (Operation *op : ops) {
    rewriter.setInsertionPoint(op);
    SmallVector<Value> results;
    if (auto load = dyn_cast<tile::LoadOp>(op)) {
      Value staged;
      // Only the warpgroup instruction reads a marked load's tile, and only
      // in the swizzled layout: any other staging would be read wrong.
      if (load->hasAttr(kSwizzle128Attr) &&
          (!options.asyncCopies || !canStageSwizzled(load)))
        return load.emitOpError()
               << "is marked " << kSwizzle128Attr
               << " (mark-warpgroup-dots) but cannot be staged swizzled "
                  "(needs async-copies and 16-byte copies of whole 128-byte "
                  "row blocks)";
      if (options.asyncCopies) {
        staged = lowerLoadAsync(rewriter, load);
        if (!staged)
          staged = lowerLoadE2m1(rewriter, load);
      }
      results = {staged ? staged : lowerLoad(rewriter, load)};
    } else if (auto store = dyn_cast<tile::StoreOp>(op))
      lowerStore(rewriter, store, options.parallelStores);
    else if (auto atomic = dyn_cast<tile::AtomicAddOp>(op))
      results = {lowerAtomicAdd(rewriter, atomic, options.atomicScope)};
    else if (auto gather = dyn_cast<tile::GatherOp>(op)) {
      Value staged =
          options.asyncCopies ? lowerGatherAsync(rewriter, gather) : Value();
      results = {staged ? staged : lowerGather(rewriter, gather)};
    } else if (auto dot = dyn_cast<tile::DotOp>(op))
      results = {lowerDot(rewriter, dot, options)};
    else if (auto reduce = dyn_cast<tile::ReduceOp>(op))
      results = {lowerReduce(rewriter, reduce, options)};
    else if (auto scan = dyn_cast<tile::ScanOp>(op))
      results = {lowerScan(rewriter, scan)};
    else if (auto topk = dyn_cast<tile::TopKOp>(op)) {
      std::pair<Value, Value> vi;
      if (options.warpShuffles)
        vi = lowerTopKWarp(rewriter, topk);
      if (!vi.first)
        vi = options.parallelTopK ? lowerTopKParallel(rewriter, topk)
                                  : lowerTopK(rewriter, topk);
      results = {vi.first, vi.second};
    } else if (auto quant = dyn_cast<tile::QuantizeOp>(op)) {
      auto [q, s] = lowerQuantize(rewriter, quant, options);
      results = {q, s};
    } else if (auto dequant = dyn_cast<tile::DequantizeOp>(op))
      results = {lowerDequantize(rewriter, dequant, options)};
    else if (auto ex = dyn_cast<tile::ExtractOp>(op))
      results = {tensor::ExtractOp::create(rewriter, ex.getLoc(), ex.getTile(),
                                           ex.getIndices())};
    else if (auto slice = dyn_cast<tile::SliceOp>(op))
      results = {lowerSlice(rewriter, slice)};
    else if (auto concat = dyn_cast<tile::ConcatOp>(op))
      results = {lowerConcat(rewriter, concat)};
    else if (isa<tile::SplatOp, tile::IotaOp, tile::BroadcastOp,
                 tile::ReshapeOp, tile::TransOp, tile::CastOp>(op))
      results = {lowerShapeOp(rewriter, op)};
    else
      return op->emitOpError() << "has no lowering to tensor ops";
    if (results.empty())
      rewriter.eraseOp(op);
    else
      rewriter.replaceOp(op, results);
  }
  return success();
}
