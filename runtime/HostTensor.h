//===- HostTensor.h - a typed, shaped buffer in host memory ---*- C++ -*-===//
#ifndef DSV4C_RUNTIME_HOSTTENSOR_H
#define DSV4C_RUNTIME_HOSTTENSOR_H

#include "runtime/ElementType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4c {

struct HostTensor {
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;
  /// 64-byte aligned storage of storageBytes(type, numElements()) bytes.
  std::vector<uint8_t> storage;

  HostTensor() = default;
  HostTensor(ElementType type, std::vector<int64_t> shape);

  int64_t numElements() const;
  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  std::string describe() const; // e.g. "4x64xbf16"
};

/// Fills with values drawn from a seeded generator (std::mt19937_64 with
/// our own mappings: identical with every standard library): floats uniform
/// in [-1, 1) (then rounded to the type), f8E8M0FNU powers of two
/// 2^-7..2^7, i1 0/1, other integers uniform in [lo, hi].
void fillRandom(HostTensor &t, uint64_t seed, int64_t intLo = 0,
                int64_t intHi = 15);
/// The same for elements [begin, end) only, the generator started afresh
/// from `seed` at `begin` (so that ranges can be filled side by side).
void fillRandomRange(HostTensor &t, uint64_t seed, int64_t begin, int64_t end,
                     int64_t intLo, int64_t intHi);

/// Largest |a - b| over all elements, as floats. NaN matches NaN. Infinity
/// if shapes or types differ, or a NaN meets a number.
double maxAbsDifference(const HostTensor &a, const HostTensor &b);

} // namespace dsv4c

#endif
