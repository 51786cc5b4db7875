//===- FloatFormats.h - bit-exact small float conversions -----*- C++ -*-===//
//
// Host-side encode/decode of the narrow float formats, with the rounding
// rules of docs/tile-dialect.md ("Element conversions"): round to nearest
// even; f8E4M3FN and f4E2M1FN saturate; f8E8M0FNU rounds to the nearest
// power of two, ties up.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_FLOATFORMATS_H
#define DSV4C_RUNTIME_FLOATFORMATS_H

#include <cstdint>

namespace dsv4c {
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);
float f16ToFloat(uint16_t bits);
uint16_t floatToF16(float value);
float f8E4M3FNToFloat(uint8_t bits);
uint8_t floatToF8E4M3FN(float value);
/// `bits` holds the e2m1 code in its low 4 bits.
float f4E2M1FNToFloat(uint8_t bits);
uint8_t floatToF4E2M1FN(float value);
float f8E8M0FNUToFloat(uint8_t bits);
uint8_t floatToF8E8M0FNU(float value);
} // namespace dsv4c

#endif
