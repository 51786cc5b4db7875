//===- TopK.cpp - tile.topk as sorts of positions or warp arg-maxes ------===//
//
// Output j of a row is the best element that ranks after output j-1 in the
// order (value descending, position ascending); NaN ranks first. That is a
// strict total order on positions, so any correct sort gives the result:
// the cpu target merges runs sequentially (n log n comparisons), GPU targets
// compute every element of a merge pass independently from its rank (a
// binary search per element; only parallel loops, which distribute-to-threads
// shares out over a block). Where the ISA has warp shuffles and k is small,
// each output is instead one arg-max over a warp (lowerTopKWarp).
//
//===----------------------------------------------------------------------===//
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace dsv4c;
using namespace dsv4c::lowering;

namespace {

/// Whether key `xa` at position `pa` ranks before key `xb` at `pb`
/// (positions: index or i32, non-negative).
Value ranksBefore(OpBuilder &b, Location loc, Value xa, Value pa, Value xb,
                  Value pb) {
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

/// Whether position `pa` of the row at `rowIvs` ranks before position `pb`
/// in `keys` (f32 for float inputs).
Value ranksBefore(OpBuilder &b, Location loc, Value keys, ValueRange rowIvs,
                  Value pa, Value pb) {
  auto at = [&](Value pos) {
    SmallVector<Value> idx(rowIvs.begin(), rowIvs.end());
    idx.push_back(pos);
    return idx;
  };
  return ranksBefore(b, loc, extract(b, loc, keys, at(pa)), pa,
                     extract(b, loc, keys, at(pb)), pb);
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
        // One pass per run width 1, 2, 4, ... (from the runs the input
        // holds sorted already): merge neighbouring runs.
        for (int64_t width = op.getSortedRuns(); width < n; width *= 2) {
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

  // perm[row, o]: the position at rank o; runs of `width` sorted so far
  // (the input's own sorted runs to begin with).
  Value perm =
      materialize(b, loc, permType, [&](OpBuilder &, Location, ValueRange ivs) {
        return ivs.back();
      });
  for (int64_t width = op.getSortedRuns(); width < n; width *= 2) {
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

/// `tile.topk` on a warp's shuffles, k rounds of an arg-max over 32 lanes:
/// in round j each lane scans positions lane, lane + 32, ... for the best
/// that ranks after output j-1, then five butterfly exchanges of (key,
/// position) give every lane the warp's best, which lane 0 stores. Rows are
/// independent (one warp each, a parallel loop over (row, lane) that
/// distribute-to-threads maps onto whole warps). k rounds of n/32 steps beat
/// the merge passes' log2(n) barriers for the small k of MoE routing; larger
/// k, and integer keys wider than 32 bits, are left to the merge sort.
std::pair<Value, Value> lowering::lowerTopKWarp(OpBuilder &b, tile::TopKOp op) {
  constexpr int64_t kLanes = 32, kMostK = 32;
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto valType = cast<RankedTensorType>(op.getValues().getType());
  auto idxType = cast<RankedTensorType>(op.getIndices().getType());
  int64_t n = inType.getShape().back(), k = op.getK();
  Type elt = inType.getElementType();
  bool isFloat = isa<FloatType>(elt);
  if (k > kMostK || (!isFloat && elt.getIntOrFloatBitWidth() > 32))
    return {};
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  Type keyType = isFloat ? f32 : i32;
  auto c = [&](OpBuilder &b, int64_t v) { return indexConst(b, loc, v); };

  // Keys as the shuffles move them: f32, or i32 sign-extended (the order of
  // integers is signed).
  Value keys = materializeConverted(
      b, loc, op.getInput(), keyType, [&](OpBuilder &b, Location loc, Value v) {
        if (isFloat)
          return emitToF32(b, loc, v);
        if (v.getType() == i32)
          return v;
        return arith::ExtSIOp::create(b, loc, i32, v).getResult();
      });
  Value keyBuffer = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(inType.getShape(), keyType), keys,
      b.getUnitAttr());
  auto picks =
      memref::AllocOp::create(b, loc, MemRefType::get(idxType.getShape(), i32));

  // dsv4c.shuffle_xor.{f32,i32}(value, lane mask): the target's exchange.
  auto module = op->getParentOfType<ModuleOp>();
  auto shuffleName = [&](Type t) {
    return t.isF32() ? "dsv4c.shuffle_xor.f32" : "dsv4c.shuffle_xor.i32";
  };
  for (Type t : {keyType, i32}) {
    if (module.lookupSymbol(shuffleName(t)))
      continue;
    OpBuilder mb(module.getBodyRegion());
    func::FuncOp::create(mb, module.getLoc(), shuffleName(t),
                         mb.getFunctionType({t, i32}, {t}))
        .setPrivate();
  }

  ArrayRef<int64_t> outer = inType.getShape().drop_back();
  int64_t rows = 1;
  for (int64_t d : outer)
    rows *= d;
  scf::ParallelOp::create(
      b, loc, ValueRange{c(b, 0), c(b, 0)},
      ValueRange{c(b, rows), c(b, kLanes)}, ValueRange{c(b, 1), c(b, 1)},
      [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> rowIvs(outer.size());
        Value rest = ivs[0];
        for (int64_t d = int64_t(outer.size()) - 1; d >= 0; --d) {
          rowIvs[d] = arith::RemUIOp::create(b, loc, rest, c(b, outer[d]));
          rest = arith::DivUIOp::create(b, loc, rest, c(b, outer[d]));
        }
        auto at = [&](Value pos) {
          SmallVector<Value> idx(rowIvs);
          idx.push_back(pos);
          return idx;
        };
        Value lane = ivs[1];
        auto i32c = [&](int64_t v) {
          return arith::ConstantIntOp::create(b, loc, i32, v).getResult();
        };
        auto eq = [&](Value x, Value y) {
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y)
              .getResult();
        };
        auto orOf = [&](Value x, Value y) {
          return arith::OrIOp::create(b, loc, x, y).getResult();
        };
        auto andOf = [&](Value x, Value y) {
          return arith::AndIOp::create(b, loc, x, y).getResult();
        };
        // Position n: no candidate (yet).
        Value none = i32c(n);
        Value zeroKey = isFloat
                            ? arith::ConstantFloatOp::create(
                                  b, loc, cast<FloatType>(f32), APFloat(0.0f))
                                  .getResult()
                            : i32c(0);
        auto rounds = scf::ForOp::create(
            b, loc, c(b, 0), c(b, k), c(b, 1), ValueRange{zeroKey, i32c(-1)},
            [&](OpBuilder &b, Location loc, Value j, ValueRange prev) {
              Value first = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::slt, prev[1], i32c(0));
              auto scan = scf::ForOp::create(
                  b, loc, lane, c(b, n), c(b, kLanes),
                  ValueRange{zeroKey, none},
                  [&](OpBuilder &b, Location loc, Value p, ValueRange best) {
                    Value x = memref::LoadOp::create(b, loc, keyBuffer, at(p));
                    Value pi = arith::IndexCastOp::create(b, loc, i32, p);
                    Value eligible = orOf(
                        first, ranksBefore(b, loc, prev[0], prev[1], x, pi));
                    Value better =
                        orOf(eq(best[1], none),
                             ranksBefore(b, loc, x, pi, best[0], best[1]));
                    Value take = andOf(eligible, better);
                    scf::YieldOp::create(
                        b, loc,
                        ValueRange{
                            arith::SelectOp::create(b, loc, take, x, best[0]),
                            arith::SelectOp::create(b, loc, take, pi,
                                                    best[1])});
                  });
              Value key = scan.getResult(0), pos = scan.getResult(1);
              for (int64_t mask : {16, 8, 4, 2, 1}) {
                Value m = i32c(mask);
                Value otherKey =
                    func::CallOp::create(b, loc, shuffleName(keyType), keyType,
                                         ValueRange{key, m})
                        .getResult(0);
                Value otherPos = func::CallOp::create(b, loc, shuffleName(i32),
                                                      i32, ValueRange{pos, m})
                                     .getResult(0);
                Value takeOther = andOf(
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                          otherPos, none),
                    orOf(eq(pos, none),
                         ranksBefore(b, loc, otherKey, otherPos, key, pos)));
                key = arith::SelectOp::create(b, loc, takeOther, otherKey, key);
                pos = arith::SelectOp::create(b, loc, takeOther, otherPos, pos);
              }
              auto store = scf::IfOp::create(b, loc, eq(lane, c(b, 0)), false);
              {
                OpBuilder::InsertionGuard g(b);
                b.setInsertionPoint(store.thenBlock()->getTerminator());
                memref::StoreOp::create(b, loc, pos, picks, at(j));
              }
              scf::YieldOp::create(b, loc, ValueRange{key, pos});
            });
        (void)rounds;
        scf::ReduceOp::create(b, loc);
      });
  Value idxs = bufferization::ToTensorOp::create(b, loc, idxType, picks,
                                                 /*restrict=*/true,
                                                 /*writable=*/true);
  Value vals = materialize(
      b, loc, valType, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx(ivs.drop_back());
        idx.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                 extract(b, loc, idxs, ivs)));
        return extract(b, loc, op.getInput(), idx);
      });
  return {vals, idxs};
}
