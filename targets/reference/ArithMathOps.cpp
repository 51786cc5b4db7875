//===- ArithMathOps.cpp - arith and math ops of the reference interpreter -===//
//
// Every op works on scalars and, elementwise, on tiles of one shape (an
// arith.select may also take a scalar condition with tile operands). Float
// results are computed in f32 and rounded to the result's element format.
//
//===----------------------------------------------------------------------===//
#include "targets/reference/Interpreter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;

namespace dsv4c::reference {
namespace {

using FloatUnary = std::function<float(float)>;
using FloatBinary = std::function<float(float, float)>;
/// Returns nullopt where the result is undefined behaviour (division by 0).
using IntBinary =
    std::function<std::optional<int64_t>(int64_t, int64_t, unsigned)>;

/// Element `i` of `v`, or its only element when it is a scalar.
int64_t at(const Val &v, int64_t i) { return v.numElements() == 1 ? 0 : i; }

float nan() { return std::numeric_limits<float>::quiet_NaN(); }

uint64_t u(int64_t v) { return static_cast<uint64_t>(v); }

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

const llvm::StringMap<FloatBinary> &floatBinaryOps() {
  static const llvm::StringMap<FloatBinary> ops = {
      {"arith.addf", [](float a, float b) { return a + b; }},
      {"arith.subf", [](float a, float b) { return a - b; }},
      {"arith.mulf", [](float a, float b) { return a * b; }},
      {"arith.divf", [](float a, float b) { return a / b; }},
      {"arith.remf", [](float a, float b) { return std::fmod(a, b); }},
      {"arith.maximumf",
       [](float a, float b) {
         if (std::isnan(a) || std::isnan(b))
           return nan();
         if (a == b) // +0 is above -0
           return std::signbit(a) ? b : a;
         return a > b ? a : b;
       }},
      {"arith.minimumf",
       [](float a, float b) {
         if (std::isnan(a) || std::isnan(b))
           return nan();
         if (a == b)
           return std::signbit(a) ? a : b;
         return a < b ? a : b;
       }},
      {"arith.maxnumf", [](float a, float b) { return std::fmax(a, b); }},
      {"arith.minnumf", [](float a, float b) { return std::fmin(a, b); }},
      {"math.powf", [](float a, float b) { return std::pow(a, b); }},
      {"math.copysign", [](float a, float b) { return std::copysign(a, b); }},
      {"math.atan2", [](float a, float b) { return std::atan2(a, b); }},
  };
  return ops;
}

const llvm::StringMap<FloatUnary> &floatUnaryOps() {
  static const llvm::StringMap<FloatUnary> ops = {
      {"arith.negf", [](float a) { return -a; }},
      {"math.exp", [](float a) { return std::exp(a); }},
      {"math.exp2", [](float a) { return std::exp2(a); }},
      {"math.expm1", [](float a) { return std::expm1(a); }},
      {"math.log", [](float a) { return std::log(a); }},
      {"math.log2", [](float a) { return std::log2(a); }},
      {"math.log10", [](float a) { return std::log10(a); }},
      {"math.log1p", [](float a) { return std::log1p(a); }},
      {"math.sqrt", [](float a) { return std::sqrt(a); }},
      {"math.rsqrt", [](float a) { return 1.0f / std::sqrt(a); }},
      {"math.cbrt", [](float a) { return std::cbrt(a); }},
      {"math.tanh", [](float a) { return std::tanh(a); }},
      {"math.sinh", [](float a) { return std::sinh(a); }},
      {"math.cosh", [](float a) { return std::cosh(a); }},
      {"math.sin", [](float a) { return std::sin(a); }},
      {"math.cos", [](float a) { return std::cos(a); }},
      {"math.tan", [](float a) { return std::tan(a); }},
      {"math.asin", [](float a) { return std::asin(a); }},
      {"math.acos", [](float a) { return std::acos(a); }},
      {"math.atan", [](float a) { return std::atan(a); }},
      {"math.erf", [](float a) { return std::erf(a); }},
      {"math.erfc", [](float a) { return std::erfc(a); }},
      {"math.absf", [](float a) { return std::fabs(a); }},
      {"math.floor", [](float a) { return std::floor(a); }},
      {"math.ceil", [](float a) { return std::ceil(a); }},
      {"math.round", [](float a) { return std::round(a); }}, // half away
      {"math.roundeven", [](float a) { return std::nearbyint(a); }},
      {"math.trunc", [](float a) { return std::trunc(a); }},
  };
  return ops;
}

std::optional<int64_t> divSigned(int64_t a, int64_t b, unsigned w) {
  if (b == 0)
    return std::nullopt;
  if (b == -1) // -a, wrapping (also for the most negative value)
    return wrapInt(static_cast<int64_t>(0 - u(a)), w);
  return wrapInt(a / b, w);
}

const llvm::StringMap<IntBinary> &intBinaryOps() {
  static const llvm::StringMap<IntBinary> ops = {
      {"arith.addi",
       [](int64_t a, int64_t b, unsigned w) {
         return std::optional(wrapInt(static_cast<int64_t>(u(a) + u(b)), w));
       }},
      {"arith.subi",
       [](int64_t a, int64_t b, unsigned w) {
         return std::optional(wrapInt(static_cast<int64_t>(u(a) - u(b)), w));
       }},
      {"arith.muli",
       [](int64_t a, int64_t b, unsigned w) {
         return std::optional(wrapInt(static_cast<int64_t>(u(a) * u(b)), w));
       }},
      {"arith.divsi", divSigned},
      {"arith.divui",
       [](int64_t a, int64_t b, unsigned w) -> std::optional<int64_t> {
         if (toUnsigned(b, w) == 0)
           return std::nullopt;
         return wrapInt(
             static_cast<int64_t>(toUnsigned(a, w) / toUnsigned(b, w)), w);
       }},
      {"arith.remsi",
       [](int64_t a, int64_t b, unsigned w) -> std::optional<int64_t> {
         if (b == 0)
           return std::nullopt;
         return b == -1 ? 0 : a % b;
       }},
      {"arith.remui",
       [](int64_t a, int64_t b, unsigned w) -> std::optional<int64_t> {
         if (toUnsigned(b, w) == 0)
           return std::nullopt;
         return wrapInt(
             static_cast<int64_t>(toUnsigned(a, w) % toUnsigned(b, w)), w);
       }},
      {"arith.ceildivsi",
       [](int64_t a, int64_t b, unsigned w) -> std::optional<int64_t> {
         std::optional<int64_t> q = divSigned(a, b, w);
         if (q && b != -1 && a % b != 0 && ((a < 0) == (b < 0)))
           *q = wrapInt(*q + 1, w);
         return q;
       }},
      {"arith.floordivsi",
       [](int64_t a, int64_t b, unsigned w) -> std::optional<int64_t> {
         std::optional<int64_t> q = divSigned(a, b, w);
         if (q && b != -1 && a % b != 0 && ((a < 0) != (b < 0)))
           *q = wrapInt(*q - 1, w);
         return q;
       }},
      {"arith.maxsi",
       [](int64_t a, int64_t b, unsigned) { return std::optional(std::max(a, b)); }},
      {"arith.minsi",
       [](int64_t a, int64_t b, unsigned) { return std::optional(std::min(a, b)); }},
      {"arith.maxui",
       [](int64_t a, int64_t b, unsigned w) {
         return std::optional(toUnsigned(a, w) >= toUnsigned(b, w) ? a : b);
       }},
      {"arith.minui",
       [](int64_t a, int64_t b, unsigned w) {
         return std::optional(toUnsigned(a, w) <= toUnsigned(b, w) ? a : b);
       }},
      {"arith.andi",
       [](int64_t a, int64_t b, unsigned w) { return std::optional(a & b); }},
      {"arith.ori",
       [](int64_t a, int64_t b, unsigned w) { return std::optional(a | b); }},
      {"arith.xori",
       [](int64_t a, int64_t b, unsigned w) { return std::optional(a ^ b); }},
      // Shifts by >= the width are poison in MLIR; they give 0 (or the sign).
      {"arith.shli",
       [](int64_t a, int64_t b, unsigned w) {
         uint64_t s = toUnsigned(b, w);
         return std::optional(
             s >= w ? 0 : wrapInt(static_cast<int64_t>(u(a) << s), w));
       }},
      {"arith.shrsi",
       [](int64_t a, int64_t b, unsigned w) {
         uint64_t s = toUnsigned(b, w);
         return std::optional(s >= w ? (a < 0 ? -1 : 0) : (a >> s));
       }},
      {"arith.shrui",
       [](int64_t a, int64_t b, unsigned w) {
         uint64_t s = toUnsigned(b, w);
         return std::optional(
             s >= w ? 0
                    : wrapInt(static_cast<int64_t>(toUnsigned(a, w) >> s), w));
       }},
      {"math.absi",
       [](int64_t a, int64_t, unsigned w) {
         return std::optional(a < 0 ? wrapInt(static_cast<int64_t>(0 - u(a)), w)
                                    : a);
       }},
  };
  return ops;
}

bool isCastOp(StringRef name) {
  return llvm::is_contained(
      {"arith.extf", "arith.truncf", "arith.sitofp", "arith.uitofp",
       "arith.fptosi", "arith.fptoui", "arith.extsi", "arith.extui",
       "arith.trunci", "arith.index_cast", "arith.index_castui",
       "arith.bitcast"},
      name);
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

/// A zero result of `op`'s only result type.
FailureOr<Val> resultFor(Interpreter &in, Operation *op) {
  return in.zerosFor(op, op->getResult(0).getType());
}

LogicalResult execConstant(Interpreter &in, arith::ConstantOp op) {
  FailureOr<Val> r = resultFor(in, op);
  if (failed(r))
    return failure();
  auto toFloat = [](APFloat f) {
    bool lost;
    f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    return f.convertToFloat();
  };
  Attribute value = op.getValue();
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    r->ints[0] = wrapInt(i.getValue().getSExtValue(), r->kind.width);
  } else if (auto f = dyn_cast<FloatAttr>(value)) {
    r->floats[0] = roundToFormat(toFloat(f.getValue()), r->kind.format);
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    int64_t i = 0;
    if (r->kind.isInt())
      for (const APInt &v : dense.getValues<APInt>())
        r->ints[i++] = wrapInt(v.getSExtValue(), r->kind.width);
    else
      for (const APFloat &v : dense.getValues<APFloat>())
        r->floats[i++] = roundToFormat(toFloat(v), r->kind.format);
  } else {
    return in.fail(op, "unsupported constant value in 'arith.constant'");
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

bool compareFloat(arith::CmpFPredicate p, float a, float b) {
  using P = arith::CmpFPredicate;
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (p) {
  case P::AlwaysFalse: return false;
  case P::OEQ: return !unordered && a == b;
  case P::OGT: return !unordered && a > b;
  case P::OGE: return !unordered && a >= b;
  case P::OLT: return !unordered && a < b;
  case P::OLE: return !unordered && a <= b;
  case P::ONE: return !unordered && a != b;
  case P::ORD: return !unordered;
  case P::UEQ: return unordered || a == b;
  case P::UGT: return unordered || a > b;
  case P::UGE: return unordered || a >= b;
  case P::ULT: return unordered || a < b;
  case P::ULE: return unordered || a <= b;
  case P::UNE: return unordered || a != b;
  case P::UNO: return unordered;
  case P::AlwaysTrue: return true;
  }
  return false;
}

bool compareInt(arith::CmpIPredicate p, int64_t a, int64_t b, unsigned w) {
  using P = arith::CmpIPredicate;
  uint64_t ua = toUnsigned(a, w), ub = toUnsigned(b, w);
  switch (p) {
  case P::eq: return a == b;
  case P::ne: return a != b;
  case P::slt: return a < b;
  case P::sle: return a <= b;
  case P::sgt: return a > b;
  case P::sge: return a >= b;
  case P::ult: return ua < ub;
  case P::ule: return ua <= ub;
  case P::ugt: return ua > ub;
  case P::uge: return ua >= ub;
  }
  return false;
}

/// Converts element `i` of `x` into element `i` of `r` as cast op `name`.
void castElement(StringRef name, const Val &x, int64_t i, Val &r) {
  const Kind &from = x.kind, &to = r.kind;
  if (name == "arith.extf" || name == "arith.truncf") {
    r.floats[i] = roundToFormat(x.floats[i], to.format);
  } else if (name == "arith.sitofp" || name == "arith.uitofp") {
    r.floats[i] = intToFloat(x.ints[i], name == "arith.uitofp", from.width,
                             to.format);
  } else if (name == "arith.fptosi" || name == "arith.fptoui") {
    r.ints[i] = floatToInt(x.floats[i], name == "arith.fptoui", to.width);
  } else if (name == "arith.extui" || name == "arith.index_castui") {
    r.ints[i] =
        wrapInt(static_cast<int64_t>(toUnsigned(x.ints[i], from.width)),
                to.width);
  } else if (name == "arith.bitcast") {
    uint64_t bits = from.isFloat() ? floatToBits(x.floats[i], from.format)
                                   : toUnsigned(x.ints[i], from.width);
    if (to.isFloat())
      r.floats[i] = bitsToFloat(bits, to.format);
    else
      r.ints[i] = wrapInt(static_cast<int64_t>(bits), to.width);
  } else { // extsi, trunci, index_cast: sign-extend or truncate
    r.ints[i] = wrapInt(x.ints[i], to.width);
  }
}

} // namespace

bool isSupportedArithOp(StringRef name) {
  return name == "arith.constant" || name == "arith.cmpf" ||
         name == "arith.cmpi" || name == "arith.select" ||
         floatBinaryOps().contains(name) || floatUnaryOps().contains(name) ||
         intBinaryOps().contains(name) || isCastOp(name);
}

bool isSupportedMathOp(StringRef name) {
  return name == "math.fma" || floatBinaryOps().contains(name) ||
         floatUnaryOps().contains(name) || intBinaryOps().contains(name);
}

namespace {

/// One elementwise engine serves arith and math: looks the op up in the
/// tables above and applies it to every element.
LogicalResult execElementwise(Interpreter &in, Operation *op) {
  StringRef name = op->getName().getStringRef();
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    return execConstant(in, c);
  if (op->getNumResults() != 1)
    return in.fail(op, "unsupported op '" + name + "'");
  FailureOr<Val> r = resultFor(in, op);
  if (failed(r))
    return failure();
  int64_t n = r->numElements();
  SmallVector<const Val *> args;
  for (Value v : op->getOperands())
    args.push_back(&in.get(v));
  for (const Val *a : args)
    if (a->numElements() != n && a->numElements() != 1)
      return in.fail(op, "operand shapes differ in '" + name + "'");
  auto done = [&]() {
    in.set(op->getResult(0), std::move(*r));
    return success();
  };

  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    for (int64_t i = 0; i < n; ++i)
      r->ints[i] = compareFloat(cmp.getPredicate(),
                                args[0]->floats[at(*args[0], i)],
                                args[1]->floats[at(*args[1], i)])
                       ? -1
                       : 0;
    return done();
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    for (int64_t i = 0; i < n; ++i)
      r->ints[i] = compareInt(cmp.getPredicate(), args[0]->ints[at(*args[0], i)],
                              args[1]->ints[at(*args[1], i)],
                              args[0]->kind.width)
                       ? -1
                       : 0;
    return done();
  }
  if (isa<arith::SelectOp>(op)) {
    for (int64_t i = 0; i < n; ++i) {
      bool c = args[0]->ints[at(*args[0], i)] != 0;
      const Val &pick = c ? *args[1] : *args[2];
      r->copyElement(i, pick, at(pick, i));
    }
    return done();
  }
  if (auto t = dyn_cast<arith::TruncFOp>(op)) {
    if (t.getRoundingmode() &&
        *t.getRoundingmode() != arith::RoundingMode::to_nearest_even)
      return in.fail(op, "unsupported rounding mode in 'arith.truncf'");
  }
  if (isCastOp(name)) {
    for (int64_t i = 0; i < n; ++i)
      castElement(name, *args[0], i, *r);
    return done();
  }
  if (name == "math.fma") {
    for (int64_t i = 0; i < n; ++i)
      r->floats[i] = roundToFormat(
          std::fma(args[0]->floats[at(*args[0], i)],
                   args[1]->floats[at(*args[1], i)],
                   args[2]->floats[at(*args[2], i)]),
          r->kind.format);
    return done();
  }
  auto fu = floatUnaryOps().find(name);
  if (fu != floatUnaryOps().end()) {
    for (int64_t i = 0; i < n; ++i)
      r->floats[i] = roundToFormat(fu->second(args[0]->floats[at(*args[0], i)]),
                                   r->kind.format);
    return done();
  }
  auto fb = floatBinaryOps().find(name);
  if (fb != floatBinaryOps().end()) {
    for (int64_t i = 0; i < n; ++i)
      r->floats[i] = roundToFormat(
          fb->second(args[0]->floats[at(*args[0], i)],
                     args[1]->floats[at(*args[1], i)]),
          r->kind.format);
    return done();
  }
  auto ib = intBinaryOps().find(name);
  if (ib != intBinaryOps().end()) {
    bool unary = args.size() == 1; // math.absi
    for (int64_t i = 0; i < n; ++i) {
      int64_t a = args[0]->ints[at(*args[0], i)];
      int64_t b = unary ? 0 : args[1]->ints[at(*args[1], i)];
      std::optional<int64_t> v = ib->second(a, b, r->kind.width);
      if (!v)
        return in.fail(op, "division by zero in '" + name + "'");
      r->ints[i] = wrapInt(*v, r->kind.width);
    }
    return done();
  }
  return in.fail(op, "unsupported op '" + name + "'");
}

} // namespace

LogicalResult execArithOp(Interpreter &in, Operation *op) {
  return execElementwise(in, op);
}

LogicalResult execMathOp(Interpreter &in, Operation *op) {
  return execElementwise(in, op);
}

} // namespace dsv4c::reference
