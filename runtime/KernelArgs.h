//===- KernelArgs.h - pack kernel arguments for a launch -------*- C++ -*-===//
#ifndef DSV4C_RUNTIME_KERNELARGS_H
#define DSV4C_RUNTIME_KERNELARGS_H

#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

namespace dsv4c {

/// Builds the `void **args` array of the calling convention
/// (docs/tile-dialect.md): args[i] points at argument i's value.
class KernelArgs {
public:
  void addPointer(void *p) { add(&p, sizeof(p)); }
  void addIndex(int64_t v) { add(&v, sizeof(v)); }
  void addI64(int64_t v) { add(&v, sizeof(v)); }
  void addI32(int32_t v) { add(&v, sizeof(v)); }
  void addF32(float v) { add(&v, sizeof(v)); }
  /// f16 and bf16 scalars travel as their 16 bits.
  void addHalfBits(uint16_t v) { add(&v, sizeof(v)); }

  void **data() { return pointers.data(); }
  /// Each argument's 8-byte slot (RecordedLaunch::args).
  std::vector<uint64_t> values() const { return {slots.begin(), slots.end()}; }
  size_t size() const { return pointers.size(); }

private:
  void add(const void *value, size_t bytes) {
    slots.emplace_back(0); // std::deque keeps earlier slots in place
    std::memcpy(&slots.back(), value, bytes);
    pointers.push_back(&slots.back());
  }
  std::deque<uint64_t> slots;
  std::vector<void *> pointers;
};

} // namespace dsv4c

#endif
