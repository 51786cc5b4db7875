//===- KernelCasesUtil.h - helpers of the kernel case builders -*- C++ -*-===//
//
// Shared by KernelCases.cpp and KernelCasesAttention.cpp only.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_KERNELCASESUTIL_H
#define DSV4C_MODELS_V4_KERNELCASESUTIL_H

#include "targets/conformance/ConformanceSuite.h"

#include <cstdint>
#include <string>

namespace dsv4c::v4::cases::detail {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

inline std::string str(int64_t v) { return std::to_string(v); }

// Split-k's counters, one per output block: zeros before the launch, and
// checked to be zeros again after it (the last program resets its block's).
inline conformance::Arg splitCounters(int64_t blocks) {
  return conformance::Arg::output(ElementType::I32, {blocks});
}

} // namespace dsv4c::v4::cases::detail

#endif
