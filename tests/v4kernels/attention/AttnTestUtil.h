//===- AttnTestUtil.h - helpers of the V4 attention-side kernel tests -*- C++
//-*-===//
//
// Helpers of the V4 attention-side kernel tests: independent plain C++ versions
// of the small float formats and the official math's pieces, so expected
// values do not reuse the runtime's conversions. Loading and launching
// kernels: tests/v4kernels/KernelTestUtil.h.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TESTS_V4KERNELS_ATTENTION_ATTNTESTUTIL_H
#define DSV4C_TESTS_V4KERNELS_ATTENTION_ATTNTESTUTIL_H

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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace dsv4c::attntest {

using namespace kerneltest;

/// Nearest-even value on a grid with 2^mbits steps per binade, smallest
/// normal exponent emin, saturating at vmax (e4m3: 3, -6, 448; e2m1: 1, 0, 6).
inline double roundSmallFloat(double v, int mbits, int emin, double vmax) {
  double a = std::fabs(v);
  if (a == 0)
    return 0;
  int e = std::max(std::ilogb(a), emin);
  double step = std::ldexp(1.0, e - mbits);
  double r = std::nearbyint(a / step) * step; // default mode: ties to even
  r = std::min(r, vmax);
  return v < 0 ? -r : r;
}
inline double roundE4m3(double v) { return roundSmallFloat(v, 3, -6, 448); }
/// The value of e4m3 byte `b` (e4m3fn: bias 7, no infinities; 0x7f and
/// 0xff, the NaNs, are not decoded).
inline double e4m3Value(uint8_t b) {
  int sign = b >> 7, exp = (b >> 3) & 15, man = b & 7;
  double v = exp == 0 ? std::ldexp(man / 8.0, -6)
                      : std::ldexp(1.0 + man / 8.0, exp - 7);
  return sign ? -v : v;
}
inline double roundE2m1(double v) { return roundSmallFloat(v, 1, 0, 6); }

/// DeepSeek's power-of-two scale (fast_round_scale): 2^ceil(log2(t)) of the
/// f32 t = max(amax, floor) * f32(1 / fmax), taken from t's bits.
inline double pow2Scale(float amax, float floor, float fmaxInv) {
  float t = std::max(amax, floor) * fmaxInv;
  uint32_t bits = floatToBits(t);
  int e = int((bits >> 23) & 0xFF) - 127 + ((bits & 0x7FFFFF) ? 1 : 0);
  return std::ldexp(1.0, e);
}

//===----------------------------------------------------------------------===//
// Typed access to host tensors and inputs (see also KernelTestUtil.h).
//===----------------------------------------------------------------------===//

inline double bf16At(HostTensor &t, int64_t i) {
  return bf16Value(bf16Data(t)[i]);
}

/// A bf16 tensor of multiples of 1/q in [-m/q, m/q] (exact sums).
inline HostTensor gridBf16(std::mt19937_64 &gen, std::vector<int64_t> shape,
                           int m, int q) {
  HostTensor t(T::BF16, std::move(shape));
  std::uniform_int_distribution<int> u(-m, m);
  for (int64_t i = 0; i < t.numElements(); ++i)
    bf16Data(t)[i] = toBf16(float(u(gen)) / float(q));
  return t;
}

inline std::string at(std::initializer_list<int64_t> idx) {
  std::string s = "[";
  for (int64_t i : idx)
    s += (s.size() > 1 ? "," : "") + std::to_string(i);
  return s + "]";
}

} // namespace dsv4c::attntest

#endif
