//===- Quantize.cpp - tile.quantize and tile.dequantize -------------------===//
//
// Block scales as DeepSeek's act_quant computes them (amax of the block,
// floor, / fmax, rounded up to a power of two with round_scale), the codes
// as the input divided by its block's scale, clamped and rounded to the
// element type; dequantize multiplies back. Split out of TileToTensor.cpp.
//
//===----------------------------------------------------------------------===//
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;

namespace dsv4c::lowering {

namespace {

/// A quantize block's scale from its amax (DeepSeek's act_quant rules):
/// max(amax, floor) / fmax, rounded up to a power of two with round_scale.
Value scaleFromAmax(OpBuilder &b, Location loc, tile::QuantizeOp op,
                    Value amax) {
  bool fp4 = isa<Float4E2M1FNType>(op.getResult().getType().getElementType());
  float fmax = fp4 ? 6.0f : 448.0f;
  float floor = fp4 ? 6.0f * std::ldexp(1.0f, -126) : 1e-4f;
  auto f32 = [&](float v) -> Value {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
  };
  amax = arith::MaximumFOp::create(b, loc, amax, f32(floor));
  Value s = arith::MulFOp::create(b, loc, amax, f32(1.0f / fmax));
  if (!op.getRoundScale())
    return s;
  // 2^ceil(log2(s)) on the bits: keep the exponent, +1 if any mantissa.
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, s);
  Value exp = arith::AndIOp::create(
      b, loc, bits, arith::ConstantIntOp::create(b, loc, i32, 0x7F800000));
  Value man = arith::AndIOp::create(
      b, loc, bits, arith::ConstantIntOp::create(b, loc, i32, 0x7FFFFF));
  Value hasMan =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, man,
                            arith::ConstantIntOp::create(b, loc, i32, 0));
  Value bump = arith::SelectOp::create(
      b, loc, hasMan, arith::ConstantIntOp::create(b, loc, i32, 0x800000),
      arith::ConstantIntOp::create(b, loc, i32, 0));
  return arith::BitcastOp::create(b, loc, b.getF32Type(),
                                  arith::AddIOp::create(b, loc, exp, bump));
}

/// The amax of each block of a quantize whose blocks run along the last dim
/// only, in whole warps' worth (32+) and dividing it: a max reduction over
/// the input viewed as [..., blocks, block], marked `dsv4c.warp_reduce` so
/// that reduce-to-warp-shuffles splits each block over a warp's lanes. Null
/// for other blocks.
Value warpBlockAmax(OpBuilder &b, tile::QuantizeOp op) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> block = op.getBlock();
  int64_t rank = inType.getRank(), last = rank - 1;
  if (block[last] < 32 || inType.getDimSize(last) % block[last] ||
      llvm::any_of(block.drop_back(), [](int64_t s) { return s != 1; }))
    return nullptr;
  SmallVector<int64_t> split(inType.getShape());
  split[last] /= block[last];
  split.push_back(block[last]);
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < last; ++d)
    groups.push_back({d});
  groups.push_back({last, last + 1});
  Value blocks = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(split, inType.getElementType()),
      op.getInput(), groups);
  SmallVector<int64_t> amaxShape(split.begin(), split.end() - 1);
  FloatType f32 = b.getF32Type();
  Value negInf = arith::ConstantFloatOp::create(
      b, loc, f32, APFloat::getInf(f32.getFloatSemantics(), true));
  Value init = linalg::FillOp::create(
                   b, loc, negInf,
                   ValueRange{tensor::EmptyOp::create(b, loc, amaxShape, f32)})
                   .getResult(0);
  SmallVector<AffineExpr> kept;
  SmallVector<utils::IteratorType> iterators(rank + 1,
                                             utils::IteratorType::parallel);
  iterators[rank] = utils::IteratorType::reduction;
  for (int64_t d = 0; d < rank; ++d)
    kept.push_back(b.getAffineDimExpr(d));
  SmallVector<AffineMap> maps{
      b.getMultiDimIdentityMap(rank + 1),
      AffineMap::get(rank + 1, 0, kept, b.getContext())};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{blocks}, ValueRange{init},
      maps, iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value x = math::AbsFOp::create(b, loc, emitToF32(b, loc, args[0]));
        linalg::YieldOp::create(
            b, loc, arith::MaximumFOp::create(b, loc, args[1], x).getResult());
      });
  generic->setAttr("dsv4c.warp_reduce", b.getStringAttr("max"));
  return generic.getResult(0);
}

/// Per-block f32 scales of `tile.quantize`.
Value quantizeScales(OpBuilder &b, tile::QuantizeOp op, bool warpShuffles) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto scaleType = cast<RankedTensorType>(op.getScale().getType());
  ArrayRef<int64_t> block = op.getBlock();
  auto f32Type = RankedTensorType::get(scaleType.getShape(), b.getF32Type());
  if (Value amax = warpShuffles ? warpBlockAmax(b, op) : Value())
    return generate(
        b, loc, f32Type, [&](OpBuilder &b, Location loc, ValueRange blk) {
          return scaleFromAmax(b, loc, op,
                               tensor::ExtractOp::create(b, loc, amax, blk));
        });
  return materialize(
      b, loc, f32Type,
      [&](OpBuilder &b, Location loc, ValueRange blk) -> Value {
        SmallVector<Value> lbs, ubs, steps;
        for (auto [d, bi] : llvm::enumerate(blk)) {
          Value lo =
              arith::MulIOp::create(b, loc, bi, indexConst(b, loc, block[d]));
          lbs.push_back(lo);
          ubs.push_back(arith::MinSIOp::create(
              b, loc,
              arith::AddIOp::create(b, loc, lo, indexConst(b, loc, block[d])),
              indexConst(b, loc, inType.getDimSize(d))));
          steps.push_back(indexConst(b, loc, 1));
        }
        scf::LoopNest nest = scf::buildLoopNest(
            b, loc, lbs, ubs, steps,
            ValueRange{arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                                      APFloat(0.0f))},
            [&](OpBuilder &b, Location loc, ValueRange ivs, ValueRange acc) {
              Value x = emitToF32(b, loc, extract(b, loc, op.getInput(), ivs));
              return scf::ValueVector{arith::MaximumFOp::create(
                  b, loc, acc[0], math::AbsFOp::create(b, loc, x))};
            });
        return scaleFromAmax(b, loc, op, nest.results[0]);
      });
}

SmallVector<Value> blockIndex(OpBuilder &b, Location loc, ValueRange ivs,
                              ArrayRef<int64_t> block) {
  SmallVector<Value> out;
  for (auto [iv, bs] : llvm::zip(ivs, block))
    out.push_back(arith::DivUIOp::create(b, loc, iv, indexConst(b, loc, bs)));
  return out;
}

} // namespace

std::pair<Value, Value> lowerQuantize(OpBuilder &b, tile::QuantizeOp op,
                                      const TileLoweringOptions &options) {
  Location loc = op.getLoc();
  Value scales = quantizeScales(b, op, options.warpShuffles);
  RankedTensorType qType = op.getResult().getType();
  Type qElt = qType.getElementType();
  float fmax = isa<Float4E2M1FNType>(qElt) ? 6.0f : 448.0f;
  auto f32 = [&](OpBuilder &b, Location loc, float v) -> Value {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
  };
  // Power-of-two scales (round_scale) have exact reciprocals, and x * (1/s)
  // rounds as x / s does (both are x * 2^-e rounded once): a multiply per
  // element instead of a division. (GPUs fuse the reciprocals into the
  // elements' loop, so there each element still takes one rcp.rn, cheaper
  // than div.rn.)
  Value recips;
  if (op.getRoundScale())
    recips =
        generate(b, loc, cast<RankedTensorType>(scales.getType()),
                 [&](OpBuilder &b, Location loc, ValueRange ivs) {
                   return arith::DivFOp::create(b, loc, f32(b, loc, 1.0f),
                                                extract(b, loc, scales, ivs))
                       .getResult();
                 });
  bool hardware = options.hardwareE4m3 && isa<Float8E4M3FNType>(qElt);
  Value q =
      generate(b, loc, qType, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> block = blockIndex(b, loc, ivs, op.getBlock());
        Value x = emitToF32(b, loc, extract(b, loc, op.getInput(), ivs));
        Value y = recips ? arith::MulFOp::create(b, loc, x,
                                                 extract(b, loc, recips, block))
                               .getResult()
                         : arith::DivFOp::create(b, loc, x,
                                                 extract(b, loc, scales, block))
                               .getResult();
        y = arith::MinimumFOp::create(
            b, loc, arith::MaximumFOp::create(b, loc, y, f32(b, loc, -fmax)),
            f32(b, loc, fmax));
        if (!hardware)
          return emitFromF32(b, loc, y, qElt);
        Value code = func::CallOp::create(b, loc, "dsv4c.cvt_e4m3",
                                          b.getI8Type(), ValueRange{y})
                         .getResult(0);
        return arith::BitcastOp::create(b, loc, qElt, code).getResult();
      });
  RankedTensorType sType = op.getScale().getType();
  Value s =
      generate(b, loc, sType, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        return emitFromF32(b, loc, extract(b, loc, scales, ivs),
                           sType.getElementType());
      });
  return {q, s};
}

Value lowerDequantize(OpBuilder &b, tile::DequantizeOp op,
                      const TileLoweringOptions &options) {
  Location loc = op.getLoc();
  Type out = op.getType().getElementType();
  // The ISA's conversion: about 3 instructions an element where the bit
  // manipulation (emitToF32) takes about 20 (sparse_attention's keys). An
  // arith.extf here, pure, so that it folds into the tile's consumers like
  // the bit manipulation does; expand-small-floats makes it the target's
  // dsv4c.e4m3_to_f32.
  bool hardware =
      options.hardwareE4m3 &&
      isa<Float8E4M3FNType>(op.getInput().getType().getElementType());
  return generate(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        Value s = emitToF32(b, loc,
                            extract(b, loc, op.getScale(),
                                    blockIndex(b, loc, ivs, op.getBlock())));
        Value code = extract(b, loc, op.getInput(), ivs);
        Value x = hardware ? arith::ExtFOp::create(b, loc, b.getF32Type(), code)
                                 .getResult()
                           : emitToF32(b, loc, code);
        return emitFromF32(b, loc, arith::MulFOp::create(b, loc, x, s), out);
      });
}

} // namespace dsv4c::lowering
