//===- Dot.cpp - tile.dot to linalg ---------------------------------------===//
//
// A dot's operands decoded to f32 once (block scales applied), summed in a
// generic whose loop order suits the target (TileLoweringOptions), or, for
// targets with warp matrix instructions, left on its raw operands and
// marked for dot-to-warp-mma.
//
//===----------------------------------------------------------------------===//
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensor.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

using namespace mlir;

namespace dsv4c::lowering {
namespace {

/// Block-scale factor (as f32) of element `ivs` of an operand, or null.
Value scaleAt(OpBuilder &b, Location loc, Value scale,
              std::optional<ArrayRef<int64_t>> block, ValueRange ivs) {
  if (!scale)
    return {};
  SmallVector<Value> sIdx;
  for (auto [iv, bs] : llvm::zip(ivs, *block))
    sIdx.push_back(arith::DivUIOp::create(b, loc, iv, indexConst(b, loc, bs)));
  return emitToF32(b, loc, extract(b, loc, scale, sIdx));
}

Value scaled(OpBuilder &b, Location loc, Value x, Value s) {
  Value f = emitToF32(b, loc, x);
  return s ? arith::MulFOp::create(b, loc, f, s).getResult() : f;
}

/// A dot operand as an f32 tile with its block scales applied, computed
/// once: [M, K] for the lhs, [K, N] for the rhs (`transposed`: stored [N, K]).
/// Decoding small floats and scales per multiply-add would cost more than
/// the dot itself.
Value dotOperand(OpBuilder &b, Location loc, Value v, Value scale,
                 std::optional<ArrayRef<int64_t>> block, bool transposed) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType().isF32() && !scale && !transposed)
    return v;
  SmallVector<int64_t> shape(type.getShape());
  if (transposed)
    std::swap(shape[0], shape[1]);
  auto f32Type = RankedTensorType::get(shape, b.getF32Type());
  return materialize(b, loc, f32Type,
                     [&](OpBuilder &b, Location loc, ValueRange ivs) {
                       SmallVector<Value> idx(ivs);
                       if (transposed)
                         std::swap(idx[0], idx[1]);
                       return scaled(b, loc, extract(b, loc, v, idx),
                                     scaleAt(b, loc, scale, block, idx));
                     });
}

/// The K extent of an operand's scale block (1: no scale, any K).
int64_t scaleBlockK(std::optional<ArrayRef<int64_t>> block, bool kFirst) {
  if (!block)
    return 1;
  return kFirst ? (*block)[0] : (*block)[1];
}

/// The warp matrix instruction that can do `op`, if any (dsv4c.mma kinds of
/// the dot-to-warp-mma pass): "bf16" (m16n8k16, unscaled bf16 operands) or
/// "f8" (m16n8k32 on e4m3 bytes; e2m1 operands widened exactly, block scales
/// applied per 32 k). Shapes: K a multiple of the k step; M and N any.
StringRef warpMmaKind(tile::DotOp op) {
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  Type l = lhsType.getElementType(), r = rhsType.getElementType();
  int64_t k = lhsType.getDimSize(1);
  bool scaled = op.getLhsScale() || op.getRhsScale();
  if (l.isBF16() && r.isBF16() && !scaled && k % 16 == 0)
    return "bf16";
  if (!isa<Float8E4M3FNType, Float4E2M1FNType>(l) ||
      !isa<Float8E4M3FNType, Float4E2M1FNType>(r))
    return "";
  int64_t lk = scaleBlockK(op.getLhsScaleBlock(), /*kFirst=*/false);
  int64_t rk = scaleBlockK(op.getRhsScaleBlock(), !op.getRhsTransposed());
  int64_t chunk =
      std::min<int64_t>(std::gcd(lk == 1 ? k : lk, rk == 1 ? k : rk), k);
  if (k % 32 || chunk % 32 || k % chunk)
    return "";
  return "f8";
}

/// `acc + A @ B` on the raw operands: a generic over (m, n, k) whose body
/// is the dot's math (scaled products summed in k order), with the scales
/// indexed through floordiv maps. dot-to-warp-mma and
/// reduce-to-warp-shuffles replace it; they read the operands' layout from
/// the maps (and, for the mma, from the attributes set here).
linalg::GenericOp rawDotGeneric(OpBuilder &b, tile::DotOp op, Value init) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  bool transposed = op.getRhsTransposed();
  SmallVector<Value> inputs{op.getLhs(), op.getRhs()};
  SmallVector<AffineMap> maps{AffineMap::get(3, 0, {m, k}, ctx),
                              AffineMap::get(3, 0,
                                             transposed
                                                 ? ArrayRef<AffineExpr>{n, k}
                                                 : ArrayRef<AffineExpr>{k, n},
                                             ctx)};
  if (Value s = op.getLhsScale()) {
    ArrayRef<int64_t> blk = *op.getLhsScaleBlock();
    inputs.push_back(s);
    maps.push_back(
        AffineMap::get(3, 0, {m.floorDiv(blk[0]), k.floorDiv(blk[1])}, ctx));
  }
  if (Value s = op.getRhsScale()) {
    ArrayRef<int64_t> blk = *op.getRhsScaleBlock();
    AffineExpr d0 = transposed ? n : k, d1 = transposed ? k : n;
    inputs.push_back(s);
    maps.push_back(
        AffineMap::get(3, 0, {d0.floorDiv(blk[0]), d1.floorDiv(blk[1])}, ctx));
  }
  maps.push_back(AffineMap::get(3, 0, {m, n}, ctx));
  bool lhsScaled = bool(op.getLhsScale());
  bool rhsScaled = bool(op.getRhsScale());
  return linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        unsigned next = 2;
        Value sa = lhsScaled ? emitToF32(b, loc, args[next++]) : Value();
        Value sb = rhsScaled ? emitToF32(b, loc, args[next++]) : Value();
        Value product = arith::MulFOp::create(
            b, loc, scaled(b, loc, args[0], sa), scaled(b, loc, args[1], sb));
        linalg::YieldOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, args.back(), product).getResult());
      });
}

/// The raw dot marked for dot-to-warp-mma (`kind`: see warpMmaKind).
Value lowerDotForWarpMma(OpBuilder &b, tile::DotOp op, StringRef kind,
                         Value init) {
  linalg::GenericOp generic = rawDotGeneric(b, op, init);
  generic->setAttr("dsv4c.mma", b.getStringAttr(kind));
  generic->setAttr("dsv4c.mma_rhs_transposed",
                   b.getBoolAttr(op.getRhsTransposed()));
  if (op.getLhsScale())
    generic->setAttr("dsv4c.mma_lhs_scale_block",
                     b.getDenseI64ArrayAttr(*op.getLhsScaleBlock()));
  if (op.getRhsScale())
    generic->setAttr("dsv4c.mma_rhs_scale_block",
                     b.getDenseI64ArrayAttr(*op.getRhsScaleBlock()));
  if (op->hasAttr(kWarpgroupAttr))
    generic->setAttr(kWarpgroupAttr, b.getUnitAttr());
  return generic.getResult(0);
}

/// The raw dot marked `dsv4c.warp_reduce` = sum: reduce-to-warp-shuffles
/// makes each result a warp's work, its lanes splitting k and summing in
/// registers, then over shuffles. Operands are read (and decoded) where
/// they lie: no transposed or decoded copy of the tiles.
Value lowerDotForWarpShuffles(OpBuilder &b, tile::DotOp op, Value init) {
  linalg::GenericOp generic = rawDotGeneric(b, op, init);
  generic->setAttr("dsv4c.warp_reduce", b.getStringAttr("sum"));
  return generic.getResult(0);
}

} // namespace

/// `acc + A @ B` on f32 operands made by `dotOperand`. On CPUs the loops run
/// m, k, n (n innermost): every r[m, n] still sums its products in k order,
/// as the reference does, and the inner loop is a vectorisable axpy over a
/// row. `threaded` (GPUs): m, n, k, each r[m, n] one thread's loop.
Value lowerDot(OpBuilder &b, tile::DotOp op,
               const TileLoweringOptions &options) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  Value init = op.getAcc();
  if (!init) {
    Value zero =
        arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(0.0f));
    init = linalg::FillOp::create(b, loc, zero,
                                  ValueRange{tensor::EmptyOp::create(
                                      b, loc, type.getShape(), b.getF32Type())})
               .getResult(0);
  }
  if (options.warpMma)
    if (StringRef kind = warpMmaKind(op); !kind.empty())
      return lowerDotForWarpMma(b, op, kind, init);
  // A warp per result, k over its lanes, where k fills a warp: the
  // threaded form is a serial chain of k read-modify-writes per result.
  if (options.warpShuffles &&
      cast<RankedTensorType>(op.getLhs().getType()).getDimSize(1) >= 32)
    return lowerDotForWarpShuffles(b, op, init);
  Value lhs = dotOperand(b, loc, op.getLhs(), op.getLhsScale(),
                         op.getLhsScaleBlock(), /*transposed=*/false);
  Value rhs = dotOperand(b, loc, op.getRhs(), op.getRhsScale(),
                         op.getRhsScaleBlock(), op.getRhsTransposed());
  AffineExpr m, k, n;
  bindDims(b.getContext(), m, k, n);
  SmallVector<AffineMap> maps{AffineMap::get(3, 0, {m, k}, b.getContext()),
                              AffineMap::get(3, 0, {k, n}, b.getContext()),
                              AffineMap::get(3, 0, {m, n}, b.getContext())};
  SmallVector<utils::IteratorType> iterators{utils::IteratorType::parallel,
                                             utils::IteratorType::reduction,
                                             utils::IteratorType::parallel};
  if (options.threadedDot) {
    // Dims (m, n, k): k last.
    bindDims(b.getContext(), m, n, k);
    maps = {AffineMap::get(3, 0, {m, k}, b.getContext()),
            AffineMap::get(3, 0, {k, n}, b.getContext()),
            AffineMap::get(3, 0, {m, n}, b.getContext())};
    std::swap(iterators[1], iterators[2]);
  }
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
      maps, iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value product = arith::MulFOp::create(b, loc, args[0], args[1]);
        linalg::YieldOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, args[2], product).getResult());
      });
  return generic.getResult(0);
}

} // namespace dsv4c::lowering
