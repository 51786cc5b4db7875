//===- FloatFormats.cpp - bit-exact small float conversions ---------------===//
//
// Every encoder works on the f32 bits with integer arithmetic, the same way
// lowering/ScalarConversions.cpp emits it, so the host and the compiled code
// agree bit for bit.
//
//===----------------------------------------------------------------------===//
#include "runtime/FloatFormats.h"

#include <cmath>
#include <cstring>

namespace dsv4c {
namespace {

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

float floatOf(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

/// 2^e for a normal f32 exponent (-126 <= e <= 127), without libm: the
/// encoders run per element when checkpoints are generated.
float pow2(int e) { return floatOf(uint32_t(127 + e) << 23); }

/// Round a non-negative float that is below 2^24 to an integer, ties to even,
/// without depending on the floating-point environment.
uint32_t roundEvenSmall(float x) {
  uint32_t q = static_cast<uint32_t>(x); // truncates; x >= 0
  float r = x - static_cast<float>(q);   // exact for x < 2^24
  if (r > 0.5f || (r == 0.5f && (q & 1)))
    ++q;
  return q;
}

/// A sign-exponent-mantissa format narrower than f32 with IEEE-style
/// subnormals. `maxCode` is the largest finite magnitude code.
struct MiniFloat {
  unsigned mantissaBits;
  int bias;
  unsigned signShift;
  uint32_t maxCode;
};

constexpr MiniFloat kF16{10, 15, 15, 0x7BFF};
constexpr MiniFloat kE4M3{3, 7, 7, 0x7E};
constexpr MiniFloat kE2M1{1, 1, 3, 0x7};

/// The magnitude code of |f| (f not NaN), rounded to nearest even, before
/// any overflow handling: may exceed maxCode.
uint32_t encodeMagnitude(float f, const MiniFloat &fmt) {
  unsigned m = fmt.mantissaBits;
  uint32_t abs = bitsOf(f) & 0x7FFFFFFFu;
  float absF = floatOf(abs);
  float minNormal = pow2(1 - fmt.bias);
  if (absF < minNormal) {
    // Subnormal range: code = roundeven(|f| / 2^(1 - bias - m)). The scaled
    // value is below 2^m, so it is exact and small.
    float scaled = absF * pow2(fmt.bias - 1 + static_cast<int>(m));
    return roundEvenSmall(scaled);
  }
  // Normal range: round the f32 mantissa to m bits, nearest even. A carry
  // out of the mantissa bumps the exponent, which is what we want.
  uint32_t lsb = (abs >> (23 - m)) & 1u;
  uint64_t rounded = uint64_t(abs) + ((1u << (22 - m)) - 1) + lsb;
  return static_cast<uint32_t>((rounded >> (23 - m)) -
                               (uint64_t(127 - fmt.bias) << m));
}

float decodeMini(uint32_t code, const MiniFloat &fmt) {
  unsigned m = fmt.mantissaBits;
  uint32_t sign = (code >> fmt.signShift) & 1u;
  uint32_t mag = code & ((1u << fmt.signShift) - 1);
  uint32_t exp = mag >> m;
  uint32_t man = mag & ((1u << m) - 1);
  float value;
  if (exp == 0)
    value = static_cast<float>(man) * pow2(1 - fmt.bias - static_cast<int>(m));
  else
    value = floatOf(((exp + 127 - fmt.bias) << 23) | (man << (23 - m)));
  return sign ? -value : value;
}

} // namespace

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

float bf16ToFloat(uint16_t bits) { return floatOf(uint32_t(bits) << 16); }

uint16_t floatToBf16(float value) {
  uint32_t b = bitsOf(value);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep sign, force quiet
    return static_cast<uint16_t>((b >> 16) | 0x0040u);
  uint32_t lsb = (b >> 16) & 1u;
  // Finite values that round past the largest bf16 carry into the exponent
  // and become infinity; infinity stays infinity.
  return static_cast<uint16_t>((uint64_t(b) + 0x7FFFu + lsb) >> 16);
}

//===----------------------------------------------------------------------===//
// f16
//===----------------------------------------------------------------------===//

float f16ToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits >> 15) << 31;
  uint32_t exp = (bits >> 10) & 0x1Fu;
  uint32_t man = bits & 0x3FFu;
  if (exp == 0x1F)
    return floatOf(sign | 0x7F800000u | (man << 13) |
                   (man ? 0x00400000u : 0u)); // inf, or quiet NaN
  return decodeMini(bits, kF16);
}

uint16_t floatToF16(float value) {
  uint32_t b = bitsOf(value);
  uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u)
    return sign | 0x7E00u;
  uint32_t code = encodeMagnitude(value, kF16);
  if (code > kF16.maxCode)
    code = 0x7C00u; // overflow (and infinity) -> infinity
  return static_cast<uint16_t>(sign | code);
}

//===----------------------------------------------------------------------===//
// f8E4M3FN: bias 7, no infinities, S.1111.111 is NaN, max 448.
//===----------------------------------------------------------------------===//

float f8E4M3FNToFloat(uint8_t bits) {
  if ((bits & 0x7Fu) == 0x7Fu)
    return floatOf(((bits & 0x80u) ? 0x80000000u : 0u) | 0x7FC00000u);
  return decodeMini(bits, kE4M3);
}

uint8_t floatToF8E4M3FN(float value) {
  uint32_t b = bitsOf(value);
  uint8_t sign = static_cast<uint8_t>((b >> 24) & 0x80u);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u)
    return sign | 0x7Fu;
  uint32_t code = encodeMagnitude(value, kE4M3);
  if (code > kE4M3.maxCode)
    code = kE4M3.maxCode; // saturate; +-inf -> +-448 too
  return static_cast<uint8_t>(sign | code);
}

//===----------------------------------------------------------------------===//
// f4E2M1FN: bias 1, values 0 0.5 1 1.5 2 3 4 6, no inf/NaN.
//===----------------------------------------------------------------------===//

float f4E2M1FNToFloat(uint8_t bits) { return decodeMini(bits & 0xFu, kE2M1); }

uint8_t floatToF4E2M1FN(float value) {
  uint32_t b = bitsOf(value);
  uint8_t sign = static_cast<uint8_t>((b >> 28) & 0x8u);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u)
    return sign | kE2M1.maxCode; // unspecified by the spec; matches the CPU
  uint32_t code = encodeMagnitude(value, kE2M1);
  if (code > kE2M1.maxCode)
    code = kE2M1.maxCode;
  return static_cast<uint8_t>(sign | code);
}

//===----------------------------------------------------------------------===//
// f8E8M0FNU: 2^(bits - 127), 0xFF is NaN.
//===----------------------------------------------------------------------===//

float f8E8M0FNUToFloat(uint8_t bits) {
  if (bits == 0xFF)
    return floatOf(0x7FC00000u);
  if (bits == 0)
    return floatOf(0x00400000u); // 2^-127, an f32 subnormal
  return floatOf(uint32_t(bits) << 23);
}

uint8_t floatToF8E8M0FNU(float value) {
  // NaN and values <= 0 (including -0) have no encoding.
  if (!(value > 0.0f))
    return 0xFF;
  uint32_t b = bitsOf(value);
  uint32_t code = (b >> 23) & 0xFFu;
  uint32_t man = b & 0x7FFFFFu;
  if (code == 0) {
    // f32 subnormal, man * 2^-149: below 2^-127 clamps to 2^-127 (code 0);
    // from 2^-127 (man 0x400000) the midpoint to 2^-126 is man 0x600000.
    return man >= 0x600000u ? 1 : 0;
  }
  if (man >= 0x400000u)
    ++code; // 1.5 * 2^e and above round up: nearest, ties up
  if (code > 254)
    code = 254;
  return static_cast<uint8_t>(code);
}

} // namespace dsv4c
