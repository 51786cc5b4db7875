//===- BufferFill.h - how conformance inputs are generated -----*- C++ -*-===//
//
// One description of a generated input buffer, shared by the conformance
// cases (compiler side) and the bench packs that regenerate their inputs on
// a GPU machine (runtime side), so both make the same values from a seed.
// Links no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_CONFORMANCE_BUFFERFILL_H
#define DSV4C_TARGETS_CONFORMANCE_BUFFERFILL_H

#include "runtime/HostTensor.h"
#include "runtime/Json.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4c::conformance {

struct BufferFill {
  bool random = true;          // random contents, else zeros
  int64_t lo = 0, hi = 15;     // integer range (ue8m0: codes)
  bool distinct = false;       // integers: distinct, drawn from [0, hi]
  bool scaleCodes = false;     // ue8m0: codes uniform in [lo, hi]
  std::vector<int64_t> values; // integers: exactly these, in order
  bool nonNegative = false;    // floats: |x| of the random draw, in [0, 1]

  /// Whether the contents come from the seed.
  bool usesSeed() const {
    return values.empty() && (distinct || scaleCodes || random);
  }
};

/// Fills `t` as `fill` says; random contents come from `seed` alone.
void fillBuffer(HostTensor &t, const BufferFill &fill, uint64_t seed);
/// As fillBuffer, but a large random buffer is filled in chunks of 2^20
/// elements side by side, each from its own seed (other values than
/// fillBuffer's: for bench inputs, which nothing compares; a bench pack's
/// gigabyte of weights took most of a minute on one thread).
void fillBufferInParallel(HostTensor &t, const BufferFill &fill, uint64_t seed);

/// The fields of `fill` in a pack's argument object (only what differs from
/// the defaults beyond "random", "lo", "hi"), and back.
void setFillJson(JsonValue &arg, const BufferFill &fill);
/// False with `error` set when a field has the wrong type.
bool parseFillJson(const JsonValue &arg, BufferFill &fill, std::string &error);

} // namespace dsv4c::conformance

#endif
