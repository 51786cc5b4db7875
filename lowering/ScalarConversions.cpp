//===- ScalarConversions.cpp - emit scalar element conversions ------------===//
#include "lowering/ScalarConversions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace {

/// Parameters of a sign-exponent-mantissa format narrower than f32.
struct MiniFloat {
  unsigned mantissaBits;
  int bias;
  unsigned signShift; // position of the sign bit in the code
  uint32_t maxCode;   // largest finite magnitude code (saturation)
  bool hasNaN;        // all-ones magnitude is NaN (f8E4M3FN)
};

const MiniFloat kE4M3{3, 7, 7, 0x7E, true};
const MiniFloat kE2M1{1, 1, 3, 0x7, false};

struct Emitter {
  OpBuilder &b;
  Location loc;

  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value f32(float v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                          APFloat(v));
  }
  Value bitsOf(Value f) {
    return arith::BitcastOp::create(b, loc, b.getI32Type(), f);
  }
  Value floatOf(Value bits) {
    return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
  }
  Value select(Value c, Value t, Value f) {
    return arith::SelectOp::create(b, loc, c, t, f);
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }

  /// The integer code of a small float, widened to i32.
  Value codeOf(Value v, unsigned width) {
    Value code = arith::BitcastOp::create(b, loc, b.getIntegerType(width), v);
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), code);
  }
  Value fromCode(Value code32, Type to) {
    unsigned width = to.getIntOrFloatBitWidth();
    Value code =
        arith::TruncIOp::create(b, loc, b.getIntegerType(width), code32);
    return arith::BitcastOp::create(b, loc, to, code);
  }

  Value decode(Value code, const MiniFloat &fmt) {
    unsigned m = fmt.mantissaBits;
    Value sign = andI(shr(code, i32(fmt.signShift)), i32(1));
    Value mag = andI(code, i32((1u << fmt.signShift) - 1));
    Value exp = shr(mag, i32(m));
    Value man = andI(mag, i32((1u << m) - 1));
    // Normal: rebias the exponent and widen the mantissa.
    Value normal = orI(shl(add(exp, i32(127 - fmt.bias)), i32(23)),
                       shl(man, i32(23 - m)));
    // Subnormal: man * 2^(1 - bias - m), exact in f32.
    Value subnormal = bitsOf(arith::MulFOp::create(
        b, loc, arith::UIToFPOp::create(b, loc, b.getF32Type(), man),
        f32(std::ldexp(1.0f, 1 - fmt.bias - (int)m))));
    Value bits = select(cmp(arith::CmpIPredicate::eq, exp, i32(0)), subnormal,
                        normal);
    if (fmt.hasNaN)
      bits = select(cmp(arith::CmpIPredicate::eq, mag,
                        i32((1u << fmt.signShift) - 1)),
                    i32(0x7FC00000), bits);
    return floatOf(orI(bits, shl(sign, i32(31))));
  }

  Value encode(Value f, const MiniFloat &fmt) {
    unsigned m = fmt.mantissaBits;
    Value bits = bitsOf(f);
    Value sign = shr(bits, i32(31));
    Value abs = andI(bits, i32(0x7FFFFFFF));
    Value absF = floatOf(abs);
    // Subnormal range: code = roundeven(|f| / 2^(1 - bias - m)).
    Value scaled = arith::MulFOp::create(
        b, loc, absF, f32(std::ldexp(1.0f, fmt.bias - 1 + (int)m)));
    Value subCode = arith::FPToUIOp::create(
        b, loc, b.getI32Type(), math::RoundEvenOp::create(b, loc, scaled));
    // Normal range: round the f32 mantissa to m bits, nearest even.
    Value lsb = andI(shr(abs, i32(23 - m)), i32(1));
    Value rounded = add(add(abs, i32((1u << (22 - m)) - 1)), lsb);
    Value normCode =
        sub(shr(rounded, i32(23 - m)), i32((127 - fmt.bias) << m));
    Value minNormal = f32(std::ldexp(1.0f, 1 - fmt.bias));
    Value isSub = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                        absF, minNormal);
    Value code = select(isSub, subCode, normCode);
    // Saturate; this also maps +-inf to +-max.
    code = arith::MinUIOp::create(b, loc, code, i32(fmt.maxCode));
    Value isNaN = cmp(arith::CmpIPredicate::ugt, abs, i32(0x7F800000));
    code = select(isNaN, i32(fmt.hasNaN ? (1u << fmt.signShift) - 1
                                         : fmt.maxCode),
                  code);
    return orI(code, shl(sign, i32(fmt.signShift)));
  }

  Value decodeE8M0(Value code) {
    // 2^(code - 127); code 0 is the f32 subnormal 2^-127; 0xFF is NaN.
    Value bits = select(cmp(arith::CmpIPredicate::eq, code, i32(0)),
                        i32(0x00400000), shl(code, i32(23)));
    bits = select(cmp(arith::CmpIPredicate::eq, code, i32(0xFF)),
                  i32(0x7FC00000), bits);
    return floatOf(bits);
  }

  Value encodeE8M0(Value f) {
    // Nearest power of two, ties up; NaN and values <= 0 become NaN (0xFF).
    Value bits = bitsOf(f);
    Value exp = andI(shr(bits, i32(23)), i32(0xFF));
    Value roundUp = cmp(arith::CmpIPredicate::uge,
                        andI(bits, i32(0x7FFFFF)), i32(0x400000));
    Value code = add(exp, arith::ExtUIOp::create(b, loc, b.getI32Type(),
                                                 roundUp));
    // f32 subnormals lie between codes 0 (2^-127) and 1 (2^-126): the
    // midpoint 1.5 * 2^-127 has bits 0x600000.
    Value subnormalCode = arith::ExtUIOp::create(
        b, loc, b.getI32Type(),
        cmp(arith::CmpIPredicate::uge, andI(bits, i32(0x7FFFFF)),
            i32(0x600000)));
    code = select(cmp(arith::CmpIPredicate::eq, exp, i32(0)), subnormalCode,
                  code);
    code = arith::MinUIOp::create(b, loc, code, i32(254));
    Value invalid = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::ULE, f, f32(0.0f));
    return select(invalid, i32(0xFF), code);
  }
};

} // namespace

bool dsv4c::isSmallFloat(Type type) {
  return isa<Float8E4M3FNType, Float4E2M1FNType, Float8E8M0FNUType>(type);
}

Value dsv4c::emitToF32(OpBuilder &b, Location loc, Value v) {
  Emitter e{b, loc};
  Type t = v.getType();
  if (t.isF32())
    return v;
  if (isa<Float16Type, BFloat16Type>(t))
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  if (isa<Float8E4M3FNType>(t))
    return e.decode(e.codeOf(v, 8), kE4M3);
  if (isa<Float4E2M1FNType>(t))
    return e.decode(e.codeOf(v, 4), kE2M1);
  if (isa<Float8E8M0FNUType>(t))
    return e.decodeE8M0(e.codeOf(v, 8));
  if (t.isInteger(1))
    return arith::UIToFPOp::create(b, loc, b.getF32Type(), v);
  if (t.isIndex())
    v = arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), v);
}

Value dsv4c::emitFromF32(OpBuilder &b, Location loc, Value f, Type to) {
  Emitter e{b, loc};
  if (to.isF32())
    return f;
  if (isa<Float16Type, BFloat16Type>(to))
    return arith::TruncFOp::create(b, loc, to, f);
  if (isa<Float8E4M3FNType>(to))
    return e.fromCode(e.encode(f, kE4M3), to);
  if (isa<Float4E2M1FNType>(to))
    return e.fromCode(e.encode(f, kE2M1), to);
  if (isa<Float8E8M0FNUType>(to))
    return e.fromCode(e.encodeE8M0(f), to);
  if (to.isInteger(1))
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, f,
                                 e.f32(0.0f));
  return arith::FPToSIOp::create(b, loc, to, f);
}

Value dsv4c::emitScalarCast(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  bool fromInt = isa<IntegerType>(from), toInt = isa<IntegerType>(to);
  if (fromInt && toInt) {
    unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
    if (tw < fw)
      return arith::TruncIOp::create(b, loc, to, v);
    if (fw == 1)
      return arith::ExtUIOp::create(b, loc, to, v);
    return arith::ExtSIOp::create(b, loc, to, v);
  }
  if (fromInt && isa<Float16Type, BFloat16Type, Float32Type>(to) &&
      !from.isInteger(1))
    return arith::SIToFPOp::create(b, loc, to, v);
  return emitFromF32(b, loc, emitToF32(b, loc, v), to);
}
