//===- WarpMmaOperands.h - dot-to-warp-mma's operand reads -----*- C++ -*-===//
//
// How a lane of dot-to-warp-mma reads its fragments: an operand's access
// (element loads, 32-bit words, or the warp's ldmatrix from planned shared
// memory) and the builder of index arithmetic, loads and the small-float
// bit tricks. Only DotToWarpMma.cpp includes it.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_LOWERING_WARPMMAOPERANDS_H
#define DSV4C_LOWERING_WARPMMAOPERANDS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"

namespace dsv4c::warpmma {

using namespace mlir;

constexpr StringLiteral kMmaBf16 = "dsv4c.mma.bf16.m16n8k16";
constexpr StringLiteral kMmaF8 = "dsv4c.mma.f8.m16n8k32";
constexpr StringLiteral kLoadB32 = "dsv4c.load_b32";
constexpr StringLiteral kLoadMatrixX4 = "dsv4c.ldmatrix.x4";
constexpr StringLiteral kLoadMatrixX2 = "dsv4c.ldmatrix.x2";
/// The warpgroup instruction's helpers, by operand kind and result width N:
/// dsv4c.wgmma.{e4m3,bf16}.nN(a, b) -> N / 2 f32, the sums over one 128-byte
/// block of k (targets/gpu/GpuModule.h).
constexpr StringLiteral kWarpgroupMmaPrefix = "dsv4c.wgmma.";
/// Warps per program (128 threads on every GPU target that has the
/// instructions): runs of tiles are made only while each warp keeps one.
constexpr int64_t kWarps = 4;
/// plan-tile-buffers' memory space for its shared arrays.
constexpr int64_t kSharedAddressSpace = 3;

/// How a lane reads an operand: element by element, or (bf16 and e4m3
/// operands with k contiguous, as tile buffers are) a fragment register's 4
/// bytes in one 32-bit load, `dsv4c.load_b32(address)`.
struct OperandAccess {
  Value memref;
  /// Set for 32-bit loads: the buffer's aligned address (i64), its static
  /// offset and strides in elements, and the element size in bytes.
  Value base;
  int64_t offset = 0, eltBytes = 0;
  SmallVector<int64_t, 2> strides;
  /// Whether the warp may read it with dsv4c.ldmatrix: 32-bit loads of a
  /// buffer planned in shared memory, rows and offset multiples of 16 bytes.
  bool matrices = false;

  /// `kDim`: the dimension along k (contiguous for 32-bit loads).
  /// `matrixLoads`: the pass's option.
  static OperandAccess of(OpBuilder &b, Location loc, Value memref,
                          unsigned kDim, bool matrixLoads) {
    OperandAccess a{memref};
    auto type = cast<MemRefType>(memref.getType());
    Type elt = type.getElementType();
    if (!elt.isBF16() && !isa<Float8E4M3FNType, Float4E2M1FNType>(elt))
      return a;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(offset) || llvm::any_of(strides, [](int64_t s) {
          return ShapedType::isDynamic(s);
        }))
      return a;
    // An e2m1 element of a tile buffer takes a byte (LLVM's i4 in memory):
    // a word holds 4 codes, each in the low bits of its byte.
    int64_t bytes = std::max(elt.getIntOrFloatBitWidth() / 8, 1u);
    if (strides[kDim] != 1 || (strides[1 - kDim] * bytes) % 4 ||
        (offset * bytes) % 4)
      return a;
    a.offset = offset;
    a.eltBytes = bytes;
    a.strides.assign(strides.begin(), strides.end());
    a.matrices = matrixLoads && inPlannedShared(memref) &&
                 (strides[1 - kDim] * bytes) % 16 == 0 &&
                 (offset * bytes) % 16 == 0;
    a.base = arith::IndexCastOp::create(
        b, loc, b.getI64Type(),
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref));
    return a;
  }
  bool words() const { return bool(base); }

  /// Whether index `v` is a multiple of 16 by its arithmetic: constants,
  /// sums of such, and products with one.
  static bool multipleOf16(Value v, int depth = 0) {
    if (std::optional<int64_t> c = getConstantIntValue(v))
      return *c % 16 == 0;
    if (depth > 4)
      return false;
    if (auto add = v.getDefiningOp<arith::AddIOp>())
      return multipleOf16(add.getLhs(), depth + 1) &&
             multipleOf16(add.getRhs(), depth + 1);
    if (auto mul = v.getDefiningOp<arith::MulIOp>())
      return multipleOf16(mul.getLhs(), depth + 1) ||
             multipleOf16(mul.getRhs(), depth + 1);
    return false;
  }

  /// Whether `memref` is a view of plan-tile-buffers' shared arrays: a view
  /// of a global in the shared memory space at a byte shift that is a
  /// multiple of 16 (the planner's constants, and its second place by trip
  /// parity: base + odd * half), cast back. A buffer a loop carries
  /// (pipelined loads) qualifies when its first value and every trip's next
  /// one do.
  static bool inPlannedShared(Value memref, int depth = 0) {
    if (depth > 8)
      return false;
    while (Operation *def = memref.getDefiningOp()) {
      if (auto view = dyn_cast<memref::ViewOp>(def)) {
        auto space = dyn_cast_or_null<IntegerAttr>(
            view.getSource().getType().getMemorySpace());
        return space && space.getInt() == kSharedAddressSpace &&
               view.getSource().getDefiningOp<memref::GetGlobalOp>() &&
               multipleOf16(view.getByteShift());
      }
      if (!isa<memref::SubViewOp, memref::CastOp, memref::MemorySpaceCastOp>(
              def))
        return false;
      memref = def->getOperand(0);
    }
    auto arg = dyn_cast<BlockArgument>(memref);
    auto loop =
        arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp()) : nullptr;
    if (!loop || arg.getArgNumber() == 0)
      return false;
    unsigned i = arg.getArgNumber() - 1;
    return inPlannedShared(loop.getInitArgs()[i], depth + 1) &&
           inPlannedShared(loop.getYieldedValues()[i], depth + 1);
  }
};

struct FragmentBuilder {
  OpBuilder &b;
  Location loc;
  /// Where helpers are declared at their first use.
  ModuleOp module;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return y ? add(x, index(y)) : x; }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, index(y));
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : arith::DivUIOp::create(b, loc, x, index(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, index(y));
  }
  Value less(Value x, int64_t y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x,
                                 index(y));
  }
  Value minIndex(Value x, int64_t y) {
    return arith::MinUIOp::create(b, loc, x, index(y));
  }

  /// With `guard` >= 0: clamps idx[guard] to `limit` - 1 and returns whether
  /// it was inside (null otherwise).
  Value clampEdge(MutableArrayRef<Value> idx, int guard, int64_t limit) {
    if (guard < 0)
      return nullptr;
    Value inside = less(idx[guard], limit);
    idx[guard] = minIndex(idx[guard], limit - 1);
    return inside;
  }

  /// The address (i64) of element (i0, i1) of `a` (words()).
  Value addressOf(const OperandAccess &a, Value i0, Value i1) {
    Value element = index(a.offset);
    element = add(element, mul(i0, a.strides[0]));
    element = add(element, mul(i1, a.strides[1]));
    return arith::AddIOp::create(
        b, loc, a.base,
        arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                   mul(element, a.eltBytes)));
  }

  /// dsv4c.ldmatrix.x`count` at this lane's `address`: `count` registers.
  /// The helper is declared at its first use (modules without planned
  /// operands get no declaration, so the target defines nothing).
  SmallVector<Value> loadMatrices(int count, Value address) {
    StringRef name = count == 4 ? kLoadMatrixX4 : kLoadMatrixX2;
    SmallVector<Type> types(count, b.getI32Type());
    if (!module.lookupSymbol(name)) {
      OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
      func::FuncOp::create(top, loc, name,
                           top.getFunctionType({top.getI64Type()}, types))
          .setPrivate();
    }
    return func::CallOp::create(b, loc, name, types, ValueRange{address})
        .getResults();
  }

  /// Element bits of `memref[i0, i1]` as an i32: bf16 as its 16 bits, e4m3
  /// as its byte, e2m1 widened to the e4m3 byte of its value times 2^-6. With
  /// `guard` >= 0, index `guard` may reach `limit` or past it (a row or
  /// column past the result's edge): it is clamped, and the bits are zero.
  Value bitsAt(Value memref, Value i0, Value i1, int guard = -1,
               int64_t limit = 0) {
    SmallVector<Value, 2> idx{i0, i1};
    Value inside = clampEdge(idx, guard, limit);
    Value v = memref::LoadOp::create(b, loc, memref, idx);
    Type elt = v.getType();
    unsigned width = elt.getIntOrFloatBitWidth();
    Value bits = arith::BitcastOp::create(b, loc, b.getIntegerType(width), v);
    bits = arith::ExtUIOp::create(b, loc, b.getI32Type(), bits);
    if (isa<Float4E2M1FNType>(elt))
      bits = e2m1ToE4m3(bits);
    if (!inside)
      return bits;
    return arith::SelectOp::create(b, loc, inside, bits, i32(0));
  }

  /// The 4 bytes at element (i0, i1) of `a` (words()) as an i32; `guard`
  /// and `limit` as for bitsAt.
  Value wordAt(const OperandAccess &a, Value i0, Value i1, int guard = -1,
               int64_t limit = 0) {
    SmallVector<Value, 2> idx{i0, i1};
    Value inside = clampEdge(idx, guard, limit);
    Value word = func::CallOp::create(b, loc, kLoadB32, b.getI32Type(),
                                      ValueRange{addressOf(a, idx[0], idx[1])})
                     .getResult(0);
    if (!inside)
      return word;
    return arith::SelectOp::create(b, loc, inside, word, i32(0));
  }

  /// i32 bit operations with constant operands.
  Value shr(Value v, int64_t s) {
    return arith::ShRUIOp::create(b, loc, v, i32(s)).getResult();
  }
  Value shl(Value v, int64_t s) {
    return arith::ShLIOp::create(b, loc, v, i32(s)).getResult();
  }
  Value andi(Value v, int64_t m) {
    return arith::AndIOp::create(b, loc, v, i32(m)).getResult();
  }
  Value ori(Value v, Value w) {
    return arith::OrIOp::create(b, loc, v, w).getResult();
  }

  /// e2m1ToE4m3 on the 4 bytes of `word` at once (each an e2m1 code in its
  /// low 4 bits; the high bits of a byte are ignored): no bit crosses a
  /// byte.
  Value e2m1x4ToE4m3x4(Value word) {
    return ori(shl(andi(word, 0x07070707), 2), shl(andi(word, 0x08080808), 4));
  }

  /// The e4m3 byte of an e2m1 code's value times 2^-6: the sign moves to
  /// bit 7, exponent and mantissa (e e m) to bits 4..2. For exponent e > 0
  /// that is 2^(e-7) (1 + m/2) = 2^-6 2^(e-1) (1 + m/2); for e = 0 the
  /// e4m3 subnormal m/2 2^-6.
  Value e2m1ToE4m3(Value code) {
    return ori(shl(andi(code, 7), 2), shl(andi(code, 8), 4));
  }

  /// The bf16 bits (in the low 16 of an i32) of the e4m3 byte in the low 8
  /// bits of `v`: exact (every e4m3 value is a bf16 value); the extf is
  /// expand-small-floats' (an integer decode where the ISA has none).
  Value e4m3ToBf16Bits(Value v) {
    Value byte = arith::TruncIOp::create(b, loc, b.getI8Type(), v);
    Value f8 =
        arith::BitcastOp::create(b, loc, b.getType<Float8E4M3FNType>(), byte);
    Value f = arith::ExtFOp::create(b, loc, b.getF32Type(), f8);
    Value bf = arith::TruncFOp::create(b, loc, b.getBF16Type(), f);
    Value bits = arith::BitcastOp::create(b, loc, b.getI16Type(), bf);
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), bits);
  }

  /// Bytes 2 * `pair` and 2 * `pair` + 1 of a register of 4 e4m3 bytes as
  /// a register of 2 bf16 values (the lower byte's in the low half).
  Value bf16PairOf(Value word, int pair) {
    Value lo = e4m3ToBf16Bits(shr(word, 16 * pair));
    Value hi = e4m3ToBf16Bits(shr(word, 16 * pair + 8));
    return ori(lo, shl(hi, 16));
  }

  /// `parts` (each `width` bits, in the low bits of an i32) packed into one
  /// i32, parts[0] lowest.
  Value pack(ArrayRef<Value> parts, int64_t width) {
    Value reg = parts[0];
    for (size_t i = 1; i < parts.size(); ++i) {
      Value shifted = arith::ShLIOp::create(b, loc, parts[i], i32(width * i));
      reg = arith::OrIOp::create(b, loc, reg, shifted);
    }
    return reg;
  }
};

} // namespace dsv4c::warpmma

#endif
