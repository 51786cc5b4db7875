//===- FfnTestUtil.h - shared helpers of the V4 FFN-side kernel tests -*- C++ -*-===//
//
// Helpers of the V4 FFN-side kernel tests: independent plain C++ versions
// of the small float formats and the official math's pieces, so expected
// values do not reuse the runtime's conversions. Loading and launching
// kernels: tests/v4kernels/KernelTestUtil.h.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TESTS_V4KERNELS_FFN_FFNTESTUTIL_H
#define DSV4C_TESTS_V4KERNELS_FFN_FFNTESTUTIL_H

#include "tests/v4kernels/KernelTestUtil.h"

#include "runtime/HostTensor.h"
#include "runtime/KernelArgs.h"
#include "targets/conformance/ConformanceSuite.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/reference/ReferenceTarget.h"
#include "tools/dsv4c/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace dsv4c::ffntest {

using namespace kerneltest;

/// e4m3fn: bias 7, subnormal step 2^-9, max 448, 0x7F/0xFF NaN.
inline double e4m3Value(uint8_t b) {
  int sign = b >> 7, e = (b >> 3) & 15, m = b & 7;
  if (e == 15 && m == 7)
    return NAN;
  double v = e == 0 ? std::ldexp(m, -9) : std::ldexp(8 + m, e - 10);
  return sign ? -v : v;
}
/// Nearest-even e4m3 value of v, saturating at +-448.
inline double roundE4m3(double v) {
  double a = std::fabs(v);
  if (a == 0)
    return 0;
  int e = std::ilogb(a);
  if (e < -6)
    e = -6;
  double step = std::ldexp(1.0, e - 3);
  double r = std::nearbyint(a / step) * step; // default mode: ties to even
  r = std::min(r, 448.0);
  return v < 0 ? -r : r;
}
inline double e8m0Value(uint8_t b) { return std::ldexp(1.0, int(b) - 127); }
inline double e2m1Value(uint8_t nibble) {
  static const double mag[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  double v = mag[nibble & 7];
  return (nibble & 8) ? -v : v;
}

/// DeepSeek's act_quant scale with scale_fmt "ue8m0": 2^ceil(log2(amax/448))
/// computed on the f32 bits of max(amax, 1e-4) * f32(1/448).
inline double ue8m0ActScale(float amax) {
  amax = std::max(amax, 1e-4f);
  float t = amax * (1.0f / 448.0f);
  uint32_t bits = floatToBits(t);
  int e = int((bits >> 23) & 0xFF) - 127 + ((bits & 0x7FFFFF) ? 1 : 0);
  return std::ldexp(1.0, e);
}

} // namespace dsv4c::ffntest

#endif
