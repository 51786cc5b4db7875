//===- Hash.h - XXH64 checksums of bundle sections --------------*- C++ -*-===//
//
// XXH64 (seed 0), written from the published algorithm: fast enough to
// check gigabytes of embedded weights at load, and checkable by anyone with
// `xxhsum -H64`.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_HASH_H
#define DSV4C_RUNTIME_HASH_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace dsv4c {

uint64_t xxh64(const void *data, size_t size, uint64_t seed = 0);

/// 16 lowercase hex digits.
std::string hashToHex(uint64_t hash);

} // namespace dsv4c

#endif
