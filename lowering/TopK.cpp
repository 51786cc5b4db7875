//===- TopK.cpp - tile.topk as sorts of positions
//--------------------------===//
//
// Output j of a row is the best element that ranks after output j-1 in the
// order (value descending, position ascending); NaN ranks first. That is a
// strict total order on positions, so any correct sort gives the result:
// the cpu target merges runs sequentially (n log n comparisons), GPU targets
// compute every element of a merge pass independently from its rank (a
// binary search per element; only parallel loops, which distribute-to-threads
// shares out over a block).
//
//===----------------------------------------------------------------------===//
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace dsv4c;
using namespace dsv4c::lowering;

namespace {

/// Whether position `pa` of the row at `rowIvs` ranks before position `pb`
/// in `keys` (f32 for float inputs).
Value ranksBefore(OpBuilder &b, Location loc, Value keys, ValueRange rowIvs,
                  Value pa, Value pb) {
  auto at = [&](Value pos) {
    SmallVector<Value> idx(rowIvs.begin(), rowIvs.end());
    idx.push_back(pos);
    return idx;
  };
  Value xa = extract(b, loc, keys, at(pa));
  Value xb = extract(b, loc, keys, at(pb));
  Value earlier =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, pa, pb);
  if (!isa<FloatType>(xa.getType())) {
    Value differ =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, xa, xb);
    Value larger =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, xa, xb);
    return arith::SelectOp::create(b, loc, differ, larger, earlier);
  }
  Value nanA = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, xa, xa);
  Value nanB = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, xb, xb);
  Value oneNan = arith::XOrIOp::create(b, loc, nanA, nanB);
  Value differ =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, xa, xb);
  Value larger =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, xa, xb);
  Value byValue = arith::SelectOp::create(b, loc, differ, larger, earlier);
  return arith::SelectOp::create(b, loc, oneNan, nanA, byValue);
}

/// The row's keys, converted once (floats to f32).
Value topKKeys(OpBuilder &b, Location loc, tile::TopKOp op) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  Type elt = inType.getElementType();
  bool isFloat = isa<FloatType>(elt);
  return materializeConverted(b, loc, op.getInput(),
                              isFloat ? b.getF32Type() : elt,
                              [&](OpBuilder &b, Location loc, Value v) {
                                return isFloat ? emitToF32(b, loc, v) : v;
                              });
}

} // namespace

/// Top-k along the last dimension. Output j is the best element that ranks
/// after output j-1 in the order (value descending, position ascending).
/// `tile.topk` as a bottom-up merge sort of each row's positions (n log n
/// comparisons; a selection per output would take n * k), then the first k.
/// The order is the reference's: NaN first, then larger values, then smaller
/// positions, a strict weak order, so any correct sort gives its result.
std::pair<Value, Value> lowering::lowerTopK(OpBuilder &b, tile::TopKOp op) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto valType = cast<RankedTensorType>(op.getValues().getType());
  auto idxType = cast<RankedTensorType>(op.getIndices().getType());
  int64_t n = inType.getShape().back(), k = op.getK();
  int64_t rank = inType.getRank();
  Type elt = inType.getElementType();
  Type i32 = b.getI32Type();
  auto c = [&](OpBuilder &b, int64_t v) { return indexConst(b, loc, v); };

  // Keys are read log2(n) times per element: convert them once.
  Value keys = topKKeys(b, loc, op);

  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d + 1 < rank; ++d) {
    lbs.push_back(c(b, 0));
    ubs.push_back(c(b, inType.getDimSize(d)));
    steps.push_back(c(b, 1));
  }
  Value vals0 = tensor::EmptyOp::create(b, loc, valType.getShape(), elt);
  Value idxs0 = tensor::EmptyOp::create(b, loc, idxType.getShape(), i32);
  auto permType = RankedTensorType::get({n}, b.getIndexType());
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{vals0, idxs0},
      [&](OpBuilder &b, Location loc, ValueRange rowIvs, ValueRange iter) {
        auto at = [&](OpBuilder &b, Value pos) {
          SmallVector<Value> idx(rowIvs.begin(), rowIvs.end());
          idx.push_back(pos);
          return idx;
        };
        auto before = [&](OpBuilder &b, Value pa, Value pb) {
          return ranksBefore(b, loc, keys, rowIvs, pa, pb);
        };

        Value perm = materialize(
            b, loc, permType,
            [&](OpBuilder &, Location, ValueRange ivs) { return ivs[0]; });
        // One pass per run width 1, 2, 4, ...: merge neighbouring runs.
        for (int64_t width = 1; width < n; width *= 2) {
          Value src = perm;
          Value dst0 = tensor::EmptyOp::create(b, loc, permType.getShape(),
                                               b.getIndexType());
          auto runs = scf::ForOp::create(
              b, loc, c(b, 0), c(b, n), c(b, 2 * width), ValueRange{dst0},
              [&](OpBuilder &b, Location loc, Value lo, ValueRange dstIn) {
                Value mid = arith::MinUIOp::create(
                    b, loc, arith::AddIOp::create(b, loc, lo, c(b, width)),
                    c(b, n));
                Value hi = arith::MinUIOp::create(
                    b, loc, arith::AddIOp::create(b, loc, lo, c(b, 2 * width)),
                    c(b, n));
                Value midLast = arith::SubIOp::create(b, loc, mid, c(b, 1));
                Value hiLast = arith::SubIOp::create(b, loc, hi, c(b, 1));
                auto merge = scf::ForOp::create(
                    b, loc, lo, hi, c(b, 1), ValueRange{dstIn[0], lo, mid},
                    [&](OpBuilder &b, Location loc, Value o, ValueRange st) {
                      Value i = st[1], j = st[2];
                      // Clamped reads; a value read past its run is unused.
                      Value pi =
                          extract(b, loc, src,
                                  {arith::MinUIOp::create(b, loc, i, midLast)});
                      Value pj =
                          extract(b, loc, src,
                                  {arith::MinUIOp::create(b, loc, j, hiLast)});
                      Value leftLeft = arith::CmpIOp::create(
                          b, loc, arith::CmpIPredicate::ult, i, mid);
                      Value rightDone = arith::CmpIOp::create(
                          b, loc, arith::CmpIPredicate::uge, j, hi);
                      Value takeLeft = arith::AndIOp::create(
                          b, loc, leftLeft,
                          arith::OrIOp::create(b, loc, rightDone,
                                               before(b, pi, pj)));
                      Value pick =
                          arith::SelectOp::create(b, loc, takeLeft, pi, pj);
                      Value dst =
                          tensor::InsertOp::create(b, loc, pick, st[0], {o});
                      Value one = c(b, 1), zero = c(b, 0);
                      Value di =
                          arith::SelectOp::create(b, loc, takeLeft, one, zero);
                      Value dj =
                          arith::SelectOp::create(b, loc, takeLeft, zero, one);
                      scf::YieldOp::create(
                          b, loc,
                          ValueRange{dst, arith::AddIOp::create(b, loc, i, di),
                                     arith::AddIOp::create(b, loc, j, dj)});
                    });
                scf::YieldOp::create(b, loc, merge.getResult(0));
              });
          perm = runs.getResult(0);
        }

        // The first k of the order.
        auto out = scf::ForOp::create(
            b, loc, c(b, 0), c(b, k), c(b, 1), ValueRange{iter[0], iter[1]},
            [&](OpBuilder &b, Location loc, Value jv, ValueRange o) {
              Value pos = extract(b, loc, perm, {jv});
              Value v = extract(b, loc, op.getInput(), at(b, pos));
              Value vals = tensor::InsertOp::create(b, loc, v, o[0], at(b, jv));
              Value idxs = tensor::InsertOp::create(
                  b, loc, arith::IndexCastOp::create(b, loc, i32, pos), o[1],
                  at(b, jv));
              scf::YieldOp::create(b, loc, ValueRange{vals, idxs});
            });
        return scf::ValueVector{out.getResult(0), out.getResult(1)};
      });
  return {nest.results[0], nest.results[1]};
}

std::pair<Value, Value> lowering::lowerTopKParallel(OpBuilder &b,
                                                    tile::TopKOp op) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto valType = cast<RankedTensorType>(op.getValues().getType());
  auto idxType = cast<RankedTensorType>(op.getIndices().getType());
  int64_t n = inType.getShape().back();
  int64_t rank = inType.getRank();
  auto c = [&](OpBuilder &b, int64_t v) { return indexConst(b, loc, v); };
  Value keys = topKKeys(b, loc, op);
  auto permType = RankedTensorType::get(inType.getShape(), b.getIndexType());

  // perm[row, o]: the position at rank o; runs of `width` sorted so far.
  Value perm =
      materialize(b, loc, permType, [&](OpBuilder &, Location, ValueRange ivs) {
        return ivs.back();
      });
  for (int64_t width = 1; width < n; width *= 2) {
    Value src = perm;
    int64_t searchSteps = llvm::Log2_64_Ceil(uint64_t(width) + 1);
    perm = materialize(
        b, loc, permType,
        [&](OpBuilder &b, Location loc, ValueRange ivs) -> Value {
          ValueRange rowIvs = ivs.drop_back();
          auto at = [&](Value pos) {
            SmallVector<Value> idx(rowIvs.begin(), rowIvs.end());
            idx.push_back(pos);
            return extract(b, loc, src, idx);
          };
          auto minU = [&](Value x, Value y) {
            return arith::MinUIOp::create(b, loc, x, y).getResult();
          };
          auto sub = [&](Value x, Value y) {
            return arith::SubIOp::create(b, loc, x, y).getResult();
          };
          auto add = [&](Value x, Value y) {
            return arith::AddIOp::create(b, loc, x, y).getResult();
          };
          // Output o of the pair of runs A = [lo, mid), B = [mid, hi).
          Value o = ivs.back();
          Value lo = arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, o, c(b, 2 * width)),
              c(b, 2 * width));
          Value mid = minU(add(lo, c(b, width)), c(b, n));
          Value hi = minU(add(lo, c(b, 2 * width)), c(b, n));
          Value lenA = sub(mid, lo), lenB = sub(hi, mid), t = sub(o, lo);
          // i = how many of the first t outputs come from A: the least i with
          // not A[i] before B[t-1-i], searched in [max(0, t - lenB), min(t,
          // lenA)].
          Value searchLo = arith::SelectOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, t, lenB),
              sub(t, lenB), c(b, 0));
          Value searchHi = minU(t, lenA);
          auto search = scf::ForOp::create(
              b, loc, c(b, 0), c(b, searchSteps), c(b, 1),
              ValueRange{searchLo, searchHi},
              [&](OpBuilder &b, Location loc, Value, ValueRange range) {
                Value l = range[0], h = range[1];
                Value open = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::ult, l, h);
                Value m = arith::DivUIOp::create(b, loc, add(l, h), c(b, 2));
                // Reads stay in the row when the range is closed (unused then).
                Value aPos =
                    arith::SelectOp::create(b, loc, open, add(lo, m), lo);
                Value bPos = arith::SelectOp::create(
                    b, loc, open, sub(add(mid, t), add(m, c(b, 1))), lo);
                Value aFirst =
                    ranksBefore(b, loc, keys, rowIvs, at(aPos), at(bPos));
                Value moveLo = arith::AndIOp::create(b, loc, open, aFirst);
                Value moveHi = arith::AndIOp::create(
                    b, loc, open,
                    arith::XOrIOp::create(
                        b, loc, aFirst,
                        arith::ConstantIntOp::create(b, loc, 1, 1)));
                scf::YieldOp::create(
                    b, loc,
                    ValueRange{arith::SelectOp::create(b, loc, moveLo,
                                                       add(m, c(b, 1)), l),
                               arith::SelectOp::create(b, loc, moveHi, m, h)});
              });
          Value i = search.getResult(0);
          Value j = sub(t, i);
          Value aLeft =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i, lenA);
          Value bLeft =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, j, lenB);
          Value last = c(b, n - 1);
          Value pa = at(minU(add(lo, i), last));
          Value pb = at(minU(add(mid, j), last));
          Value takeA = arith::AndIOp::create(
              b, loc, aLeft,
              arith::OrIOp::create(
                  b, loc,
                  arith::XOrIOp::create(
                      b, loc, bLeft,
                      arith::ConstantIntOp::create(b, loc, 1, 1)),
                  ranksBefore(b, loc, keys, rowIvs, pa, pb)));
          return arith::SelectOp::create(b, loc, takeA, pa, pb);
        });
  }

  // The first k of the order.
  auto pick = [&](OpBuilder &b, ValueRange ivs) {
    return extract(b, loc, perm, ivs);
  };
  Value vals = materialize(b, loc, valType,
                           [&](OpBuilder &b, Location loc, ValueRange ivs) {
                             SmallVector<Value> idx(ivs.drop_back());
                             idx.push_back(pick(b, ivs));
                             return extract(b, loc, op.getInput(), idx);
                           });
  Value idxs = materialize(
      b, loc, idxType, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        return arith::IndexCastOp::create(b, loc, b.getI32Type(), pick(b, ivs))
            .getResult();
      });
  (void)rank;
  return {vals, idxs};
}
