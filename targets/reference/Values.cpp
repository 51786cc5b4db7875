//===- Values.cpp - element conversions and values of the interpreter -----===//
#include "targets/reference/Interpreter.h"

#include "runtime/FloatFormats.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/raw_ostream.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;

namespace dsv4c::reference {

std::optional<Kind> kindOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    type = tensor.getElementType();
  Kind k;
  if (type.isIndex()) {
    k.cls = Kind::Int;
    k.width = 64;
    return k;
  }
  if (auto it = dyn_cast<IntegerType>(type)) {
    if (it.getWidth() == 0 || it.getWidth() > 64)
      return std::nullopt;
    k.cls = Kind::Int;
    k.width = it.getWidth();
    return k;
  }
  if (auto ptr = dyn_cast<tile::PtrType>(type)) {
    std::optional<ElementType> pointee = tile::toElementType(ptr.getElementType());
    if (!pointee)
      return std::nullopt;
    k.cls = Kind::Pointer;
    k.format = *pointee;
    return k;
  }
  std::optional<ElementType> format = tile::toElementType(type);
  if (!format || !isFloatType(*format))
    return std::nullopt;
  k.cls = Kind::Float;
  k.format = *format;
  return k;
}

//===----------------------------------------------------------------------===//
// Val
//===----------------------------------------------------------------------===//

int64_t numElementsOf(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

Val Val::zeros(Kind kind, llvm::ArrayRef<int64_t> shape) {
  Val v;
  v.kind = kind;
  v.shape.assign(shape.begin(), shape.end());
  int64_t n = numElementsOf(shape);
  if (kind.isInt())
    v.ints.assign(n, 0);
  else if (kind.isFloat())
    // ue8m0 has no zero: its all-zero code, 2^-127, as zero-filled memory
    // reads.
    v.floats.assign(n, kind.format == ElementType::F8E8M0FNU
                           ? std::ldexp(1.0f, -127)
                           : 0.0f);
  return v;
}

Val Val::scalarInt(Kind kind, int64_t x) {
  Val v = zeros(kind, {});
  v.ints[0] = wrapInt(x, kind.width);
  return v;
}

Val Val::scalarFloat(Kind kind, float x) {
  Val v = zeros(kind, {});
  v.floats[0] = roundToFormat(x, kind.format);
  return v;
}

int64_t Val::numElements() const { return numElementsOf(shape); }

void Val::copyElement(int64_t di, const Val &src, int64_t si) {
  if (kind.isInt())
    ints[di] = src.ints[si];
  else
    floats[di] = src.floats[si];
}

float Val::asFloat(int64_t i) const {
  return kind.isFloat() ? floats[i] : static_cast<float>(ints[i]);
}

//===----------------------------------------------------------------------===//
// Integers
//===----------------------------------------------------------------------===//

int64_t wrapInt(int64_t v, unsigned width) {
  if (width >= 64)
    return v;
  uint64_t u = static_cast<uint64_t>(v) & ((uint64_t(1) << width) - 1);
  uint64_t sign = uint64_t(1) << (width - 1);
  if (u & sign)
    u |= ~((uint64_t(1) << width) - 1);
  return static_cast<int64_t>(u);
}

uint64_t toUnsigned(int64_t v, unsigned width) {
  if (width >= 64)
    return static_cast<uint64_t>(v);
  return static_cast<uint64_t>(v) & ((uint64_t(1) << width) - 1);
}

//===----------------------------------------------------------------------===//
// Floats
//===----------------------------------------------------------------------===//

float roundToFormat(float v, ElementType format) {
  switch (format) {
  case ElementType::F16:
    return f16ToFloat(floatToF16(v));
  case ElementType::BF16:
    return bf16ToFloat(floatToBf16(v));
  case ElementType::F8E4M3FN:
    return f8E4M3FNToFloat(floatToF8E4M3FN(v));
  case ElementType::F4E2M1FN:
    return f4E2M1FNToFloat(floatToF4E2M1FN(v));
  case ElementType::F8E8M0FNU:
    return f8E8M0FNUToFloat(floatToF8E8M0FNU(v));
  default:
    return v;
  }
}

float intToFloat(int64_t v, bool isUnsigned, unsigned width,
                 ElementType format) {
  bool negative = !isUnsigned && wrapInt(v, width) < 0;
  uint64_t magnitude = isUnsigned ? toUnsigned(v, width)
                                  : (negative ? 0 - static_cast<uint64_t>(
                                                        wrapInt(v, width))
                                              : static_cast<uint64_t>(v));
  if (format == ElementType::F32) {
    // One rounding, to nearest even, by the host conversion.
    float f = static_cast<float>(magnitude);
    return negative ? -f : f;
  }
  // Narrower formats: round to odd into f32 first (truncate, sticky bit in
  // the last place), which the second rounding to <= 11 bits cannot tell
  // from the exact value.
  float f;
  if (magnitude < (uint64_t(1) << 24)) {
    f = static_cast<float>(magnitude);
  } else {
    int shift = 64 - std::countl_zero(magnitude) - 24;
    uint64_t kept = magnitude >> shift;
    if (magnitude & ((uint64_t(1) << shift) - 1))
      kept |= 1;
    f = std::ldexp(static_cast<float>(kept), shift);
  }
  return roundToFormat(negative ? -f : f, format);
}

int64_t floatToInt(float v, bool isUnsigned, unsigned width) {
  if (std::isnan(v))
    return 0;
  float t = std::trunc(v);
  if (isUnsigned) {
    uint64_t u;
    if (t <= 0.0f)
      u = 0;
    else if (t >= 18446744073709551616.0f)
      u = std::numeric_limits<uint64_t>::max();
    else
      u = static_cast<uint64_t>(t);
    return wrapInt(static_cast<int64_t>(u), width);
  }
  int64_t s;
  if (t >= 9223372036854775808.0f)
    s = std::numeric_limits<int64_t>::max();
  else if (t < -9223372036854775808.0f)
    s = std::numeric_limits<int64_t>::min();
  else
    s = static_cast<int64_t>(t);
  return wrapInt(s, width);
}

unsigned formatBits(ElementType format) {
  switch (format) {
  case ElementType::F32:
  case ElementType::I32:
    return 32;
  case ElementType::F16:
  case ElementType::BF16:
    return 16;
  case ElementType::F4E2M1FN:
    return 4;
  case ElementType::I1:
    return 1;
  case ElementType::I64:
    return 64;
  default:
    return 8;
  }
}

uint64_t floatToBits(float v, ElementType format) {
  switch (format) {
  case ElementType::F16:
    return floatToF16(v);
  case ElementType::BF16:
    return floatToBf16(v);
  case ElementType::F8E4M3FN:
    return floatToF8E4M3FN(v);
  case ElementType::F4E2M1FN:
    return floatToF4E2M1FN(v) & 0xF;
  case ElementType::F8E8M0FNU:
    return floatToF8E8M0FNU(v);
  default:
    return std::bit_cast<uint32_t>(v);
  }
}

float bitsToFloat(uint64_t bits, ElementType format) {
  switch (format) {
  case ElementType::F16:
    return f16ToFloat(static_cast<uint16_t>(bits));
  case ElementType::BF16:
    return bf16ToFloat(static_cast<uint16_t>(bits));
  case ElementType::F8E4M3FN:
    return f8E4M3FNToFloat(static_cast<uint8_t>(bits));
  case ElementType::F4E2M1FN:
    return f4E2M1FNToFloat(static_cast<uint8_t>(bits & 0xF));
  case ElementType::F8E8M0FNU:
    return f8E8M0FNUToFloat(static_cast<uint8_t>(bits));
  default:
    return std::bit_cast<float>(static_cast<uint32_t>(bits));
  }
}

//===----------------------------------------------------------------------===//
// Shapes and locations
//===----------------------------------------------------------------------===//

llvm::SmallVector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

llvm::SmallVector<int64_t> unravel(int64_t linear,
                                   llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

std::string describeLocation(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto flc = loc->findInstanceOf<FileLineColLoc>())
    os << flc.getFilename().getValue() << ":" << flc.getLine() << ":"
       << flc.getColumn();
  else
    os << loc;
  return s;
}

std::string unsupportedOpMessage(Operation *op) {
  return "reference: unsupported op '" + op->getName().getStringRef().str() +
         "' at " + describeLocation(op->getLoc());
}

} // namespace dsv4c::reference
