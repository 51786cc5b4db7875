//===- TensorCompare.h - how far one tensor is from another -----*- C++ -*-===//
#ifndef DSV4C_RUNTIME_TENSORCOMPARE_H
#define DSV4C_RUNTIME_TENSORCOMPARE_H

#include "runtime/HostTensor.h"

#include <algorithm>
#include <cmath>

namespace dsv4c {

struct TensorDifference {
  /// The largest |got - want| / max(1, |want|); NaN equals NaN only.
  double maxError = 0;
  int64_t worst = -1; // the element, or -1 when all are equal
  double want = 0, got = 0;
};

/// Element by element; `want` and `got` have the same type and shape.
inline TensorDifference compareTensors(const HostTensor &want,
                                       const HostTensor &got) {
  TensorDifference d;
  bool isFloat = isFloatType(want.type);
  for (int64_t i = 0; i < want.numElements(); ++i) {
    double w = isFloat ? loadFloat(want.data(), want.type, i)
                       : double(loadInt(want.data(), want.type, i));
    double g = isFloat ? loadFloat(got.data(), got.type, i)
                       : double(loadInt(got.data(), got.type, i));
    double err;
    if (std::isnan(w) || std::isnan(g))
      err = std::isnan(w) && std::isnan(g) ? 0 : INFINITY;
    else if (w == g)
      err = 0; // also equal infinities
    else
      err = std::fabs(w - g) / std::max(1.0, std::fabs(w));
    if (err > d.maxError) {
      d.maxError = err;
      d.worst = i;
      d.want = w;
      d.got = g;
    }
  }
  return d;
}

} // namespace dsv4c

#endif
