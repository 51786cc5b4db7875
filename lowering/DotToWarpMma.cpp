//===- DotToWarpMma.cpp - marked dots as warp matrix instructions ---------===//
//
// A dot marked `dsv4c.mma` (TileToTensor, warp-mma) becomes a parallel loop
// over (run of 1, 2 or 4 16x8 result tiles along n, lane): each lane gathers
// the fragments the m16n8 `row.col` matrix instructions expect of it, as
// PTX's mma.sync defines them (g = lane / 4, q = lane % 4), its A registers
// once per k step for all the run's tiles:
//   bf16, m16n8k16: A regs (g, 2q..+1), (g+8, 2q..+1), (g, 8+2q..+1),
//     (g+8, 8+2q..+1); B regs (k 2q..+1, n g), (k 8+2q..+1, n g);
//   f8, m16n8k32: A regs (g, 4q..+3), (g+8, 4q..+3), (g, 16+4q..+3),
//     (g+8, 16+4q..+3); B regs (k 4q..+3, n g), (k 16+4q..+3, n g);
//   C/D (both): (g, 2q), (g, 2q+1), (g+8, 2q), (g+8, 2q+1).
// Lower-index elements sit in the lower bits of a register: where k is
// contiguous in a bf16 or e4m3 operand (A; B stored [n, k]), a register is
// one 32-bit load, `dsv4c.load_b32(address)`, else it is packed from element
// loads. With matrix-loads, an operand planned in shared memory with 16-byte
// aligned rows is read by the warp together: `dsv4c.ldmatrix.x4(address)`
// (x2) gives each lane 4 (2) registers of four (two) 8-row matrices whose
// rows the lanes address, which are exactly the fragments above (A's 4
// registers; B's 2 per tile, two tiles per x4). An e2m1 code (s e e m) becomes
// the e4m3 byte s000 eem0 0, which is its value times 2^-6 exactly (normal and
// subnormal alike): two masks and shifts instead of a case split. Each chunk of
// at most 128 k is summed by the instructions from zero, multiplied by 2^6 per
// e2m1 operand (exact), then scaled and added to the result in f32.
//
//===----------------------------------------------------------------------===//
#include "lowering/Passes.h"
#include "lowering/WarpMmaOperands.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <numeric>

namespace dsv4c {
#define GEN_PASS_DEF_DOTTOWARPMMA
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;
using namespace dsv4c::warpmma;

namespace {

/// What a marked dot computes, read off its generic and operand types.
struct MarkedDot {
  linalg::GenericOp op;
  bool f8 = false;
  bool transposed = false;
  Value lhs, rhs, lhsScale, rhsScale, acc;
  ArrayRef<int64_t> lhsBlock, rhsBlock;
  int64_t m = 0, n = 0, k = 0;
  /// 6 per e2m1 operand: the widened codes are their values times 2^-6.
  int64_t widenedShift = 0;
  /// f8 as two bf16 instructions per k step (the pass's widen-f8).
  bool widenF8 = false;
  /// Marked `dsv4c.wgmma` (mark-warpgroup-dots): the warpgroup instruction
  /// per 128 k on operands staged swizzled in shared memory.
  bool warpgroup = false;

  static FailureOr<MarkedDot> read(linalg::GenericOp op) {
    MarkedDot d;
    d.op = op;
    StringRef kind = op->getAttrOfType<StringAttr>("dsv4c.mma").getValue();
    d.f8 = kind == "f8";
    if (!d.f8 && kind != "bf16")
      return op.emitOpError() << "unknown dsv4c.mma kind '" << kind << "'";
    if (!op.hasPureBufferSemantics())
      return op.emitOpError() << "dot-to-warp-mma runs after bufferization";
    auto flag = op->getAttrOfType<BoolAttr>("dsv4c.mma_rhs_transposed");
    d.transposed = flag && flag.getValue();
    auto lb = op->getAttrOfType<DenseI64ArrayAttr>("dsv4c.mma_lhs_scale_block");
    auto rb = op->getAttrOfType<DenseI64ArrayAttr>("dsv4c.mma_rhs_scale_block");
    unsigned inputs = 2 + (lb ? 1 : 0) + (rb ? 1 : 0);
    if (op.getNumDpsInputs() != inputs || op.getNumDpsInits() != 1)
      return op.emitOpError() << "a marked dot takes " << inputs
                              << " inputs and one accumulator";
    d.lhs = op.getDpsInputs()[0];
    d.rhs = op.getDpsInputs()[1];
    unsigned next = 2;
    if (lb) {
      d.lhsScale = op.getDpsInputs()[next++];
      d.lhsBlock = lb.asArrayRef();
    }
    if (rb) {
      d.rhsScale = op.getDpsInputs()[next++];
      d.rhsBlock = rb.asArrayRef();
    }
    d.acc = op.getDpsInits()[0];
    auto lhsType = cast<MemRefType>(d.lhs.getType());
    auto accType = cast<MemRefType>(d.acc.getType());
    if (!lhsType.hasStaticShape() || !accType.hasStaticShape())
      return op.emitOpError() << "a marked dot needs static shapes";
    d.m = accType.getDimSize(0);
    d.n = accType.getDimSize(1);
    d.k = lhsType.getDimSize(1);
    for (Value operand : {d.lhs, d.rhs})
      if (isa<Float4E2M1FNType>(
              cast<MemRefType>(operand.getType()).getElementType()))
        d.widenedShift += 6;
    if (d.k % d.kStep())
      return op.emitOpError()
             << "k = " << d.k << " is not a multiple of " << d.kStep();
    if (d.k % d.chunk())
      return op.emitOpError() << "scale blocks do not split k = " << d.k;
    d.warpgroup = op->hasAttr("dsv4c.wgmma");
    if (d.warpgroup &&
        (!d.transposed || d.widenedShift || d.m != 64 || d.n % 8 || d.n > 256 ||
         d.chunk() % d.warpgroupBlock() || (d.f8 && d.chunk() != 128) ||
         (!d.f8 && (d.lhsScale || d.rhsScale))))
      return op.emitOpError()
             << "a warpgroup dot is e4m3 x e4m3 with scales constant over "
                "128 k or bf16 x bf16 unscaled, B [n, k], 64 x N (N a "
                "multiple of 8 up to 256)";
    return d;
  }

  int64_t kStep() const { return f8 ? 32 : 16; }
  /// The k of one 128-byte block of a row (a warpgroup helper call).
  int64_t warpgroupBlock() const { return f8 ? 128 : 64; }
  /// The k span a fresh set of accumulators sums before it is added to the
  /// result in f32: both scales are constant over it, and it is at most 128
  /// (the tensor cores' own f32 accumulation drops low bits; over 4096 k a
  /// logit was off by 1.5e-4 relative, against the reference's sum in k
  /// order).
  int64_t chunk() const {
    int64_t c = std::gcd(k, int64_t(128));
    if (lhsScale)
      c = std::gcd(c, lhsBlock[1]);
    if (rhsScale)
      c = std::gcd(c, transposed ? rhsBlock[1] : rhsBlock[0]);
    return c;
  }

  /// The k extent of a scale's block (0: no scale).
  int64_t lhsScaleK() const { return lhsScale ? lhsBlock[1] : 0; }
  int64_t rhsScaleK() const {
    return rhsScale ? (transposed ? rhsBlock[1] : rhsBlock[0]) : 0;
  }
  /// Whether a scale with k block `blockK` is one value over each span of
  /// `span` k (spans start at multiples of it).
  bool constantOver(int64_t blockK, int64_t span) const {
    return blockK && (blockK >= k || blockK % span == 0);
  }
  /// The span of k over which the scale with the longer block is constant:
  /// its values are read once per span instead of once per chunk (a
  /// multiple of chunk() that divides k).
  int64_t scaleSpan() const {
    int64_t span = chunk();
    for (int64_t blockK : {lhsScaleK(), rhsScaleK()}) {
      int64_t s = std::min(blockK, k);
      if (s > span && s % chunk() == 0 && k % s == 0)
        span = s;
    }
    return span;
  }
};

/// One lane's work on a run of `run` 16x8 result tiles side by side along
/// n, from tile column `tn`: the A registers of a k step are gathered once
/// and feed the run's instructions (fewer shared-memory loads per
/// instruction: `head` and the FP8/FP4 linears are bound by instructions).
class TileEmitter {
public:
  TileEmitter(FragmentBuilder &x, const MarkedDot &d, const OperandAccess &lhs,
              const OperandAccess &rhs, Value tm, Value tn, Value lane,
              int64_t run)
      : x(x), d(d), lhs(lhs), rhs(rhs), tm(tm), tn(tn), lane(lane) {
    Value g = x.div(lane, 4), q = x.rem(lane, 4);
    row0 = x.add(x.mul(tm, 16), g);
    row1 = x.add(row0, 8);
    Value pair = x.mul(q, 2);
    for (int64_t j = 0; j < run; ++j) {
      Value first = x.mul(x.add(tn, j), 8);
      cols.push_back(x.add(first, g)); // this lane's B column
      cCol0.push_back(x.add(first, pair));
      cCol1.push_back(x.add(cCol0.back(), 1));
    }
    laneK = x.mul(q, d.f8 ? 4 : 2); // this lane's first k in a group
    raggedM = d.m % 16 != 0;
    raggedN = d.n % 8 != 0;
  }

  void emit() {
    OpBuilder &b = x.b;
    Location loc = x.loc;
    SmallVector<Value> c;
    for (auto [i, pos] : llvm::enumerate(accPositions()))
      c.push_back(fragments ? loadFragment(i) : loadAcc(pos.first, pos.second));
    int64_t chunk = d.chunk(), span = d.scaleSpan();
    // The chunks of [from, to): scales constant over a span given (read
    // once per span), the others read per chunk.
    auto chunksOf = [&](Value from, Value to, ValueRange acc,
                        const ScaleValues &given) {
      return scf::ForOp::create(
          b, loc, from, to, x.index(chunk), acc,
          [&](OpBuilder &, Location, Value kc, ValueRange sums) {
            SmallVector<Value> partial;
            if (d.warpgroup) {
              partial = warpgroupChunk(kc);
            } else {
              SmallVector<Value> init(c.size(), zeroF32());
              auto steps = scf::ForOp::create(
                  b, loc, kc, x.add(kc, chunk), x.index(d.kStep()), init,
                  [&](OpBuilder &, Location, Value at, ValueRange s) {
                    scf::YieldOp::create(b, loc, mma(at, s));
                  });
              partial = steps.getResults();
            }
            ScaleValues scales = given;
            scales.fill(*this, kc);
            scf::YieldOp::create(b, loc, addScaled(sums, partial, scales));
          });
    };
    // Every chunk of [0, k); with a longer span, nested in a loop over spans.
    scf::ForOp chunks;
    if (span == chunk) {
      chunks = chunksOf(x.index(0), x.index(d.k), c, ScaleValues{});
    } else {
      chunks = scf::ForOp::create(
          b, loc, x.index(0), x.index(d.k), x.index(span), c,
          [&](OpBuilder &, Location, Value k0, ValueRange sums) {
            ScaleValues once;
            once.fill(*this, k0, span);
            scf::YieldOp::create(
                b, loc, chunksOf(k0, x.add(k0, span), sums, once).getResults());
          });
    }
    for (auto [i, pos] : llvm::enumerate(accPositions())) {
      if (fragments)
        storeFragment(i, chunks.getResult(i));
      else
        storeAcc(pos.first, pos.second, chunks.getResult(i));
    }
  }

  /// This lane's accumulators kept in `fragments` (a thread's private
  /// array, one slot per accPositions() entry) instead of the result
  /// buffer, which only loadFragments and storeFragments touch.
  void keepIn(Value privateArray) { fragments = privateArray; }
  /// Copies this lane's accumulators from the result buffer to `fragments`.
  void loadFragments() {
    for (auto [i, pos] : llvm::enumerate(accPositions()))
      storeFragment(i, loadAcc(pos.first, pos.second));
  }
  /// Copies this lane's accumulators from `fragments` to the result buffer.
  void storeFragments() {
    for (auto [i, pos] : llvm::enumerate(accPositions()))
      storeAcc(pos.first, pos.second, loadFragment(i));
  }

private:
  Value loadFragment(size_t i) {
    return memref::LoadOp::create(x.b, x.loc, fragments,
                                  ValueRange{x.index(int64_t(i))});
  }
  void storeFragment(size_t i, Value v) {
    memref::StoreOp::create(x.b, x.loc, v, fragments,
                            ValueRange{x.index(int64_t(i))});
  }

  /// The warpgroup's sums over the chunk of k from `kc`: per 128-byte block
  /// of it (a [rows, 128 bytes] region of each operand: 128 e4m3 or 64 bf16
  /// k), one helper call, which hands this lane its accPositions() in order
  /// (the m16n8 accumulators of warp tm's rows, tile after tile along n);
  /// the blocks' sums added in f32.
  SmallVector<Value> warpgroupChunk(Value kc) {
    OpBuilder &b = x.b;
    Type i64 = b.getI64Type();
    std::string name = (kWarpgroupMmaPrefix + Twine(d.f8 ? "e4m3" : "bf16") +
                        ".n" + Twine(d.n))
                           .str();
    SmallVector<Type> results(d.n / 2, b.getF32Type());
    if (!x.module.lookupSymbol(name)) {
      OpBuilder top = OpBuilder::atBlockBegin(x.module.getBody());
      func::FuncOp::create(top, x.loc, name,
                           top.getFunctionType({i64, i64}, results))
          .setPrivate();
    }
    SmallVector<Value> sums;
    for (int64_t at = 0; at < d.chunk(); at += d.warpgroupBlock()) {
      Value block = x.div(x.add(kc, at), d.warpgroupBlock());
      auto address = [&](const OperandAccess &a, int64_t rows) {
        Value bytes =
            arith::IndexCastOp::create(b, x.loc, i64, x.mul(block, rows * 128));
        return arith::AddIOp::create(b, x.loc, a.base, bytes).getResult();
      };
      auto call = func::CallOp::create(
          b, x.loc, name, results,
          ValueRange{address(lhs, d.m), address(rhs, d.n)});
      if (sums.empty()) {
        sums.assign(call.getResults().begin(), call.getResults().end());
        continue;
      }
      for (auto [i, v] : llvm::enumerate(call.getResults()))
        sums[i] = arith::AddFOp::create(b, x.loc, sums[i], v);
    }
    return sums;
  }

  /// Per tile of the run: (row0, c0), (row0, c1), (row1, c0), (row1, c1).
  SmallVector<std::pair<Value, Value>, 16> accPositions() {
    SmallVector<std::pair<Value, Value>, 16> out;
    for (size_t j = 0; j < cols.size(); ++j)
      out.append({{row0, cCol0[j]},
                  {row0, cCol1[j]},
                  {row1, cCol0[j]},
                  {row1, cCol1[j]}});
    return out;
  }

  Value zeroF32() {
    return arith::ConstantFloatOp::create(x.b, x.loc, x.b.getF32Type(),
                                          APFloat(0.0f));
  }

  /// Whether (r, c) is inside the result (null: always).
  Value inside(Value r, Value c) {
    Value in;
    auto both = [&](Value cond) {
      in = in ? arith::AndIOp::create(x.b, x.loc, in, cond).getResult() : cond;
    };
    if (raggedM)
      both(x.less(r, d.m));
    if (raggedN)
      both(x.less(c, d.n));
    return in;
  }

  /// Past a ragged edge, zero without a read: a clamped read would be of
  /// the element another lane writes back (a race, if a harmless one).
  Value loadAcc(Value r, Value c) {
    Value in = inside(r, c);
    if (!in)
      return memref::LoadOp::create(x.b, x.loc, d.acc, ValueRange{r, c});
    auto guard = scf::IfOp::create(x.b, x.loc, TypeRange{x.b.getF32Type()}, in,
                                   /*withElseRegion=*/true);
    OpBuilder::InsertionGuard restore(x.b);
    x.b.setInsertionPointToStart(guard.thenBlock());
    scf::YieldOp::create(x.b, x.loc,
                         ValueRange{memref::LoadOp::create(x.b, x.loc, d.acc,
                                                           ValueRange{r, c})});
    x.b.setInsertionPointToStart(guard.elseBlock());
    scf::YieldOp::create(x.b, x.loc, ValueRange{zeroF32()});
    return guard.getResult(0);
  }

  void storeAcc(Value r, Value c, Value v) {
    Value in = inside(r, c);
    if (!in) {
      memref::StoreOp::create(x.b, x.loc, v, d.acc, ValueRange{r, c});
      return;
    }
    auto guard = scf::IfOp::create(x.b, x.loc, in, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard restore(x.b);
    x.b.setInsertionPoint(guard.thenBlock()->getTerminator());
    memref::StoreOp::create(x.b, x.loc, v, d.acc, ValueRange{r, c});
  }

  /// A register of `count` lhs elements of row `r` from column `k`.
  Value lhsReg(Value r, Value k, int count) {
    if (lhs.words())
      return widened(d.lhs, x.wordAt(lhs, r, k, raggedM ? 0 : -1, d.m));
    SmallVector<Value> parts;
    for (int i = 0; i < count; ++i)
      parts.push_back(x.bitsAt(d.lhs, r, x.add(k, i), raggedM ? 0 : -1, d.m));
    return x.pack(parts, d.f8 ? 8 : 16);
  }

  /// A register of `count` rhs elements of this lane's column `col` from row
  /// `k` of B ([k, n]; stored [n, k] when transposed).
  Value rhsReg(Value col, Value k, int count) {
    if (d.transposed && rhs.words())
      return widened(d.rhs, x.wordAt(rhs, col, k, raggedN ? 0 : -1, d.n));
    SmallVector<Value> parts;
    for (int i = 0; i < count; ++i) {
      Value kk = x.add(k, i);
      parts.push_back(d.transposed
                          ? x.bitsAt(d.rhs, col, kk, raggedN ? 0 : -1, d.n)
                          : x.bitsAt(d.rhs, kk, col, raggedN ? 1 : -1, d.n));
    }
    return x.pack(parts, d.f8 ? 8 : 16);
  }

  /// A word of 4 e2m1 codes as 4 e4m3 bytes; other words as they are.
  Value widened(Value memref, Value word) {
    if (!isa<Float4E2M1FNType>(
            cast<MemRefType>(memref.getType()).getElementType()))
      return word;
    return x.e2m1x4ToE4m3x4(word);
  }

  /// The run's matrix instructions at k0 on accumulators `s` (4 per tile).
  SmallVector<Value> mma(Value k0, ValueRange s) {
    int count = d.f8 ? 4 : 2;     // elements per register
    int64_t half = d.f8 ? 16 : 8; // the second k group
    Value ka = x.add(k0, laneK), kb = x.add(ka, half);
    SmallVector<Value> a = lhs.matrices
                               ? lhsMatrices(k0, half)
                               : SmallVector<Value>{lhsReg(row0, ka, count),
                                                    lhsReg(row1, ka, count),
                                                    lhsReg(row0, kb, count),
                                                    lhsReg(row1, kb, count)};
    SmallVector<Value> bRegs; // 2 per tile of the run
    if (d.transposed && rhs.matrices) {
      bRegs = rhsMatrices(k0, half);
    } else {
      for (Value col : cols)
        bRegs.append({rhsReg(col, ka, count), rhsReg(col, kb, count)});
    }
    SmallVector<Value> out;
    for (size_t j = 0; j < cols.size(); ++j) {
      SmallVector<Value> args(a);
      args.append({bRegs[2 * j], bRegs[2 * j + 1]});
      SmallVector<Value> r = tileMma(args, s.slice(4 * j, 4));
      out.append(r.begin(), r.end());
    }
    return out;
  }

  /// A's 4 registers at k step `k0` by one dsv4c.ldmatrix.x4: lane l
  /// addresses row l % 16 of the tile at k0 + (l / 16) * half (matrix l / 8:
  /// rows 0-7 or 8-15, the low or high k half) and receives its fragment
  /// registers in that order. Rows past a ragged edge are addressed at the
  /// last row and zeroed.
  SmallVector<Value> lhsMatrices(Value k0, int64_t half) {
    Value row = x.add(x.mul(tm, 16), x.rem(lane, 16));
    if (raggedM)
      row = x.minIndex(row, d.m - 1);
    Value k = x.add(k0, x.mul(x.div(lane, 16), half));
    SmallVector<Value> regs = x.loadMatrices(4, x.addressOf(lhs, row, k));
    for (size_t i = 0; i < regs.size(); ++i) {
      regs[i] = widened(d.lhs, regs[i]);
      if (raggedM)
        regs[i] = arith::SelectOp::create(
            x.b, x.loc, x.less(i % 2 ? row1 : row0, d.m), regs[i], x.i32(0));
    }
    return regs;
  }

  /// B's 2 registers per tile of the run at k step `k0` (B stored [n, k]),
  /// two tiles per dsv4c.ldmatrix.x4 (a last odd one by an x2): lane l
  /// addresses row l % 8 of matrix l / 8, which is tile l / 16 of the pair
  /// at k0 + (l / 8 % 2) * half. Columns past a ragged edge are addressed at
  /// the last one and zeroed.
  SmallVector<Value> rhsMatrices(Value k0, int64_t half) {
    SmallVector<Value> regs;
    Value k = x.add(k0, x.mul(x.rem(x.div(lane, 8), 2), half));
    for (size_t j = 0; j < cols.size(); j += 2) {
      int count = j + 1 < cols.size() ? 4 : 2;
      Value tile = x.add(tn, int64_t(j));
      if (count == 4)
        tile = x.add(tile, x.div(lane, 16));
      Value n = x.add(x.mul(tile, 8), x.rem(lane, 8));
      if (raggedN)
        n = x.minIndex(n, d.n - 1);
      SmallVector<Value> loaded = x.loadMatrices(count, x.addressOf(rhs, n, k));
      for (size_t i = 0; i < loaded.size(); ++i) {
        Value reg = widened(d.rhs, loaded[i]);
        if (raggedN)
          reg = arith::SelectOp::create(
              x.b, x.loc, x.less(cols[j + i / 2], d.n), reg, x.i32(0));
        regs.push_back(reg);
      }
    }
    return regs;
  }

  /// One tile's instruction (two on widened f8) on A and B registers `args`
  /// (4 and 2) and accumulators `s`.
  SmallVector<Value> tileMma(ArrayRef<Value> args, ValueRange s) {
    Type f32 = x.b.getF32Type();
    auto call = [&](StringRef name, SmallVector<Value> operands,
                    ValueRange acc) {
      operands.append(acc.begin(), acc.end());
      return SmallVector<Value>(
          func::CallOp::create(x.b, x.loc, name, TypeRange{f32, f32, f32, f32},
                               operands)
              .getResults());
    };
    if (!(d.f8 && d.widenF8))
      return call(d.f8 ? kMmaF8 : kMmaBf16, SmallVector<Value>(args), s);
    // Half h of the 32 k (registers a(2h), a(2h+1) of rows g and g+8, b(h))
    // as one bf16 m16n8k16: lane q's k 4q, 4q+1 go to its k slots 2q, 2q+1
    // and 4q+2, 4q+3 to 8+2q, 8+2q+1, in A and B alike.
    SmallVector<Value> acc(s.begin(), s.end());
    for (int h = 0; h < 2; ++h) {
      Value a0 = args[2 * h], a1 = args[2 * h + 1], bk = args[4 + h];
      acc =
          call(kMmaBf16,
               {x.bf16PairOf(a0, 0), x.bf16PairOf(a1, 0), x.bf16PairOf(a0, 1),
                x.bf16PairOf(a1, 1), x.bf16PairOf(bk, 0), x.bf16PairOf(bk, 1)},
               acc);
    }
    return acc;
  }

  Value scaleAt(Value scale, ArrayRef<int64_t> block, Value i0, Value i1,
                int guard, int64_t limit) {
    if (guard >= 0)
      (guard == 0 ? i0 : i1) = x.minIndex(guard == 0 ? i0 : i1, limit - 1);
    Value v = memref::LoadOp::create(
        x.b, x.loc, scale,
        ValueRange{x.div(i0, block[0]), x.div(i1, block[1])});
    return v.getType().isF32()
               ? v
               : arith::ExtFOp::create(x.b, x.loc, x.b.getF32Type(), v)
                     .getResult();
  }

  /// The scales of this lane's two rows (lhs) and two columns per tile of
  /// the run (rhs) at some k, as f32; empty where the dot has no such scale.
  struct ScaleValues {
    SmallVector<Value, 2> rows, columns;

    /// Reads those still empty at k = `kc`; with `span`, only the scales
    /// constant over [kc, kc + span).
    void fill(TileEmitter &e, Value kc, int64_t span = 0) {
      const MarkedDot &d = e.d;
      if (rows.empty() && d.lhsScale &&
          (!span || d.constantOver(d.lhsScaleK(), span)))
        for (Value r : {e.row0, e.row1})
          rows.push_back(e.scaleAt(d.lhsScale, d.lhsBlock, r, kc,
                                   e.raggedM ? 0 : -1, d.m));
      if (columns.empty() && d.rhsScale &&
          (!span || d.constantOver(d.rhsScaleK(), span)))
        for (size_t j = 0; j < e.cols.size(); ++j)
          for (Value c : {e.cCol0[j], e.cCol1[j]})
            columns.push_back(d.transposed
                                  ? e.scaleAt(d.rhsScale, d.rhsBlock, c, kc,
                                              e.raggedN ? 0 : -1, d.n)
                                  : e.scaleAt(d.rhsScale, d.rhsBlock, kc, c,
                                              e.raggedN ? 1 : -1, d.n));
    }
  };

  /// acc + s * 2^widenedShift * lhs scale(row) * rhs scale(column), per
  /// accumulator (scales where the dot has them).
  SmallVector<Value> addScaled(ValueRange acc, ValueRange s,
                               const ScaleValues &scales) {
    SmallVector<Value> out;
    for (auto [i, v] : llvm::enumerate(s)) {
      if (d.widenedShift)
        v = arith::MulFOp::create(
            x.b, x.loc, v,
            arith::ConstantFloatOp::create(
                x.b, x.loc, x.b.getF32Type(),
                APFloat(std::ldexp(1.0f, int(d.widenedShift)))));
      // accPositions(): per tile (row0, c0), (row0, c1), (row1, c0),
      // (row1, c1).
      if (!scales.rows.empty())
        v = arith::MulFOp::create(x.b, x.loc, v, scales.rows[i % 4 / 2]);
      if (!scales.columns.empty())
        v = arith::MulFOp::create(x.b, x.loc, v,
                                  scales.columns[i / 4 * 2 + i % 2]);
      out.push_back(arith::AddFOp::create(x.b, x.loc, acc[i], v));
    }
    return out;
  }

  FragmentBuilder &x;
  const MarkedDot &d;
  const OperandAccess &lhs, &rhs;
  Value tm, tn, lane; // the first tile's row and column (in tiles)
  Value row0, row1, laneK;
  SmallVector<Value, 4> cols, cCol0, cCol1; // per tile of the run
  bool raggedM = false, raggedN = false;
  Value fragments; // see keepIn
};

/// The loop that carries `d`'s accumulator from trip to trip, where only
/// `d` touches it there: its iter_arg is `d`'s result buffer, updated in
/// place and yielded as it is. Null otherwise.
scf::ForOp carryingLoop(const MarkedDot &d) {
  auto arg = dyn_cast<BlockArgument>(d.acc);
  auto loop =
      arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp()) : scf::ForOp();
  if (!loop || !loop.getTiedLoopInit(arg) || d.op->getParentOp() != loop)
    return {};
  if (loop.getTiedLoopYieldedValue(arg)->get() != arg ||
      llvm::any_of(arg.getUsers(), [&](Operation *user) {
        return user != d.op && !isa<scf::YieldOp>(user);
      }))
    return {};
  return loop;
}

/// A warpgroup dot: one (warp, lane) per thread of the 4-warp program, the
/// lane of warp w holding rows 16w + lane / 4 (+ 8) of all N / 8 tiles. The
/// operands must be the swizzled buffers mark-warpgroup-dots staged,
/// planned in shared memory. Where a k loop carries the accumulators, each
/// thread keeps its own in a private array (registers, once LLVM promotes
/// it) over the whole loop: read from the result buffer before it, written
/// back after it, instead of a read and a write of shared memory per trip.
LogicalResult rewriteWarpgroup(MarkedDot d) {
  OpBuilder b(d.op);
  Location loc = d.op.getLoc();
  FragmentBuilder x{b, loc, d.op->getParentOfType<ModuleOp>()};
  OperandAccess lhs = OperandAccess::of(b, loc, d.lhs, 1, true);
  OperandAccess rhs = OperandAccess::of(b, loc, d.rhs, 1, true);
  for (const OperandAccess *a : {&lhs, &rhs})
    if (!a->matrices || a->offset != 0 || a->strides[0] != d.k)
      return d.op.emitOpError()
             << "a warpgroup dot's operands are whole tiles planned in "
                "shared memory (mark-warpgroup-dots, plan-tile-buffers)";
  scf::ForOp loop = carryingLoop(d);
  Value fragments;
  // A nest over (warp, lane) at `at`, a TileEmitter for `dot` in each.
  auto eachLane = [&](OpBuilder &at, const MarkedDot &dot,
                      function_ref<void(TileEmitter &)> fn) {
    FragmentBuilder outer{at, loc, x.module};
    scf::ParallelOp::create(at, loc, ValueRange{outer.index(0), outer.index(0)},
                            ValueRange{outer.index(kWarps), outer.index(32)},
                            ValueRange{outer.index(1), outer.index(1)},
                            [&](OpBuilder &nb, Location nl, ValueRange ivs) {
                              FragmentBuilder inner{nb, nl, x.module};
                              TileEmitter e(inner, dot, lhs, rhs, ivs[0],
                                            inner.index(0), ivs[1], dot.n / 8);
                              if (fragments)
                                e.keepIn(fragments);
                              fn(e);
                              scf::ReduceOp::create(nb, nl);
                            });
  };
  if (loop) {
    OpBuilder before(loop);
    fragments = memref::AllocaOp::create(
        before, loc, MemRefType::get({d.n / 2}, before.getF32Type()));
    // The same positions of the buffer the loop starts from (and ends
    // with: it is yielded unchanged).
    MarkedDot outside = d;
    outside.acc = loop.getTiedLoopInit(cast<BlockArgument>(d.acc))->get();
    eachLane(before, outside, [](TileEmitter &e) { e.loadFragments(); });
    OpBuilder after(loop->getContext());
    after.setInsertionPointAfter(loop);
    eachLane(after, outside, [](TileEmitter &e) { e.storeFragments(); });
  }
  eachLane(b, d, [](TileEmitter &e) { e.emit(); });
  d.op.erase();
  return success();
}

void rewrite(MarkedDot d, bool matrixLoads) {
  OpBuilder b(d.op);
  Location loc = d.op.getLoc();
  FragmentBuilder x{b, loc, d.op->getParentOfType<ModuleOp>()};
  OperandAccess lhs = OperandAccess::of(b, loc, d.lhs, 1, matrixLoads);
  OperandAccess rhs =
      OperandAccess::of(b, loc, d.rhs, d.transposed ? 1 : 0, matrixLoads);
  int64_t tilesM = (d.m + 15) / 16, tilesN = (d.n + 7) / 8;
  // Runs of up to 4 tiles along n, as long as a 4-warp program still has a
  // run for every warp (kWarps).
  int64_t run = 1;
  for (int64_t r : {4, 2})
    if (tilesN % r == 0 && tilesM * (tilesN / r) >= kWarps) {
      run = r;
      break;
    }
  int64_t runsN = tilesN / run;
  scf::ParallelOp::create(
      b, loc, ValueRange{x.index(0), x.index(0)},
      ValueRange{x.index(tilesM * runsN), x.index(32)},
      ValueRange{x.index(1), x.index(1)},
      [&](OpBuilder &nb, Location nl, ValueRange ivs) {
        FragmentBuilder inner{nb, nl, x.module};
        TileEmitter(inner, d, lhs, rhs, inner.div(ivs[0], runsN),
                    inner.mul(inner.rem(ivs[0], runsN), run), ivs[1], run)
            .emit();
        scf::ReduceOp::create(nb, nl);
      });
  d.op.erase();
}

struct DotToWarpMmaPass : dsv4c::impl::DotToWarpMmaBase<DotToWarpMmaPass> {
  using DotToWarpMmaBase::DotToWarpMmaBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MarkedDot> dots;
    bool failedRead = false;
    module.walk([&](linalg::GenericOp op) {
      if (!op->hasAttr("dsv4c.mma"))
        return;
      FailureOr<MarkedDot> d = MarkedDot::read(op);
      if (failed(d)) {
        failedRead = true;
        return;
      }
      d->widenF8 = widenF8;
      dots.push_back(*d);
    });
    if (failedRead)
      return signalPassFailure();
    if (dots.empty())
      return;
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToStart(module.getBody());
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    SmallVector<Type> inputs(6, i32);
    inputs.append(4, f32);
    auto type = b.getFunctionType(inputs, {f32, f32, f32, f32});
    SmallVector<StringRef, 2> helpers{kMmaBf16};
    if (!widenF8)
      helpers.push_back(kMmaF8);
    for (StringRef name : helpers)
      if (!module.lookupSymbol(name))
        func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
    if (!module.lookupSymbol(kLoadB32))
      func::FuncOp::create(b, module.getLoc(), kLoadB32,
                           b.getFunctionType({b.getI64Type()}, {i32}))
          .setPrivate();
    for (const MarkedDot &d : dots) {
      if (!d.warpgroup) {
        rewrite(d, matrixLoads);
        continue;
      }
      if (failed(rewriteWarpgroup(d)))
        return signalPassFailure();
    }
  }
};

} // namespace
