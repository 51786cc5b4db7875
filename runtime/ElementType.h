//===- ElementType.h - element types of tiles and buffers -----*- C++ -*-===//
//
// The runtime's view of tile element types, with no MLIR dependency: the
// runtime-only build (no LLVM/MLIR) uses this too.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_ELEMENTTYPE_H
#define DSV4C_RUNTIME_ELEMENTTYPE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace dsv4c {

enum class ElementType : uint8_t {
  I1, I8, I32, I64, F16, BF16, F32, F8E4M3FN, F4E2M1FN, F8E8M0FNU
};

/// The MLIR spelling: "i1", "bf16", "f8E4M3FN", ...
const char *elementTypeName(ElementType type);
std::optional<ElementType> parseElementType(std::string_view name);
bool isFloatType(ElementType type);
/// Bytes that `numElements` elements occupy in memory (f4E2M1FN packs two
/// per byte, i1 takes one byte each).
int64_t storageBytes(ElementType type, int64_t numElements);

// Element access in memory laid out as the calling convention says
// (docs/tile-dialect.md). Floats travel as float: every tile float type is
// exactly representable in f32. Values are converted as `tile.cast` does.
float loadFloat(const void *base, ElementType type, int64_t index);
void storeFloat(void *base, ElementType type, int64_t index, float value);
int64_t loadInt(const void *base, ElementType type, int64_t index);
void storeInt(void *base, ElementType type, int64_t index, int64_t value);

} // namespace dsv4c

#endif
