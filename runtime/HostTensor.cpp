//===- HostTensor.cpp - a typed, shaped buffer in host memory -------------===//
#include "runtime/HostTensor.h"

#include <cmath>
#include <limits>
#include <random>

namespace dsv4c {

HostTensor::HostTensor(ElementType type, std::vector<int64_t> shape)
    : type(type), shape(std::move(shape)) {
  storage.assign(static_cast<size_t>(storageBytes(type, numElements())), 0);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string HostTensor::describe() const {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + elementTypeName(type);
}

void fillRandom(HostTensor &t, uint64_t seed, int64_t intLo, int64_t intHi) {
  fillRandomRange(t, seed, 0, t.numElements(), intLo, intHi);
}

void fillRandomRange(HostTensor &t, uint64_t seed, int64_t begin, int64_t end,
                     int64_t intLo, int64_t intHi) {
  // mt19937_64 is fully specified by the standard; the mappings below are
  // ours, so results are the same with every standard library.
  std::mt19937_64 gen(seed);
  if (intHi < intLo)
    std::swap(intLo, intHi);
  uint64_t span = static_cast<uint64_t>(intHi) - static_cast<uint64_t>(intLo);
  for (int64_t i = begin; i < end; ++i) {
    uint64_t r = gen();
    switch (t.type) {
    case ElementType::I1:
      storeInt(t.data(), t.type, i, static_cast<int64_t>(r >> 63));
      break;
    case ElementType::I8:
    case ElementType::I32:
    case ElementType::I64: {
      uint64_t off = span == std::numeric_limits<uint64_t>::max()
                         ? r
                         : r % (span + 1);
      storeInt(t.data(), t.type, i,
               static_cast<int64_t>(static_cast<uint64_t>(intLo) + off));
      break;
    }
    case ElementType::F8E8M0FNU:
      // Scales: powers of two 2^-7 .. 2^7 (codes 120..134).
      static_cast<uint8_t *>(t.data())[i] = static_cast<uint8_t>(120 + r % 15);
      break;
    default: {
      // Uniform in [-1, 1) from the top 53 bits, then rounded to the type.
      double u = static_cast<double>(r >> 11) * 0x1.0p-53;
      storeFloat(t.data(), t.type, i, static_cast<float>(2.0 * u - 1.0));
      break;
    }
    }
  }
}

double maxAbsDifference(const HostTensor &a, const HostTensor &b) {
  if (a.type != b.type || a.shape != b.shape)
    return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  int64_t n = a.numElements();
  for (int64_t i = 0; i < n; ++i) {
    double x = loadFloat(a.data(), a.type, i);
    double y = loadFloat(b.data(), b.type, i);
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y))
        return std::numeric_limits<double>::infinity();
      continue; // NaN in both: equal
    }
    if (x == y)
      continue; // also equal infinities
    double d = std::fabs(x - y);
    if (!(d <= worst))
      worst = d;
  }
  return worst;
}

} // namespace dsv4c
