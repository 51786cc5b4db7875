//===- KvCacheLayout.h - V4's KV cache entry and page layout ----*- C++ -*-===//
//
// The layout kv_pack.mlir writes and sparse_attention.mlir reads: FlashMLA's
// FP8 entry for head_dim 512 with 64 rope dims, in pages of 64 entries.
// Every target uses it; each states it in its bundle's layout section
// (docs/bundle-format.md), and the runtime checks the statement against
// these values before it sizes a cache.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_KVCACHELAYOUT_H
#define DSV4C_MODELS_V4_KVCACHELAYOUT_H

#include "runtime/Json.h"

#include <cstdint>
#include <string>

namespace dsv4c::v4 {

/// Bytes of one entry: [0, 448) nope dims as e4m3, [448, 576) rope dims as
/// bf16, [576, 583) one ue8m0 scale per 64 nope dims, [583] padding.
constexpr int64_t kKvEntryBytes = 584;
constexpr int64_t kKvNopeDims = 448;
constexpr int64_t kKvRopeOffset = 448;
constexpr int64_t kKvScaleOffset = 576;
/// Entries per page; a page is kKvPageEntries * kKvEntryBytes bytes.
constexpr int64_t kKvPageEntries = 64;
constexpr int64_t kKvPageBytes = kKvPageEntries * kKvEntryBytes;

/// The layout section's `kv_cache` statement: entry and page sizes and
/// each field's dtype, byte offset and element count.
JsonValue kvCacheLayoutJson();

/// Whether `layout` (a bundle's layout/<target> section) states the cache
/// layout above; else `error` names the section (`where`) and the field.
bool checkKvCacheLayout(const JsonValue &layout, const std::string &where,
                        std::string &error);

} // namespace dsv4c::v4

#endif
