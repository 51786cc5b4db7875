//===- ElementType.cpp - element types of tiles and buffers ---------------===//
#include "runtime/ElementType.h"

#include "runtime/FloatFormats.h"

#include <cmath>
#include <cstring>

namespace dsv4c {
namespace {

struct TypeName {
  ElementType type;
  const char *name;
};

constexpr TypeName kNames[] = {
    {ElementType::I1, "i1"},
    {ElementType::I8, "i8"},
    {ElementType::I32, "i32"},
    {ElementType::I64, "i64"},
    {ElementType::F16, "f16"},
    {ElementType::BF16, "bf16"},
    {ElementType::F32, "f32"},
    {ElementType::F8E4M3FN, "f8E4M3FN"},
    {ElementType::F4E2M1FN, "f4E2M1FN"},
    {ElementType::F8E8M0FNU, "f8E8M0FNU"},
};

template <typename T> T loadAs(const void *base, int64_t index) {
  T v;
  std::memcpy(&v, static_cast<const char *>(base) + index * sizeof(T),
              sizeof(T));
  return v;
}

template <typename T> void storeAs(void *base, int64_t index, T v) {
  std::memcpy(static_cast<char *>(base) + index * sizeof(T), &v, sizeof(T));
}

uint8_t loadNibble(const void *base, int64_t index) {
  uint8_t byte = static_cast<const uint8_t *>(base)[index / 2];
  return (index % 2 == 0) ? (byte & 0xF) : (byte >> 4);
}

void storeNibble(void *base, int64_t index, uint8_t code) {
  uint8_t &byte = static_cast<uint8_t *>(base)[index / 2];
  if (index % 2 == 0)
    byte = static_cast<uint8_t>((byte & 0xF0) | (code & 0xF));
  else
    byte = static_cast<uint8_t>((byte & 0x0F) | ((code & 0xF) << 4));
}

/// Truncation toward zero without undefined behaviour: NaN gives 0 and
/// out-of-range values clamp (the spec leaves both unspecified).
int64_t truncToInt(float v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9223372036854775808.0f)
    return INT64_MAX;
  if (v < -9223372036854775808.0f)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

} // namespace

const char *elementTypeName(ElementType type) {
  for (const TypeName &n : kNames)
    if (n.type == type)
      return n.name;
  return "<invalid>";
}

std::optional<ElementType> parseElementType(std::string_view name) {
  for (const TypeName &n : kNames)
    if (name == n.name)
      return n.type;
  return std::nullopt;
}

bool isFloatType(ElementType type) {
  switch (type) {
  case ElementType::I1:
  case ElementType::I8:
  case ElementType::I32:
  case ElementType::I64:
    return false;
  default:
    return true;
  }
}

int64_t storageBytes(ElementType type, int64_t numElements) {
  switch (type) {
  case ElementType::I1:
  case ElementType::I8:
  case ElementType::F8E4M3FN:
  case ElementType::F8E8M0FNU:
    return numElements;
  case ElementType::F4E2M1FN:
    return (numElements + 1) / 2;
  case ElementType::F16:
  case ElementType::BF16:
    return numElements * 2;
  case ElementType::I32:
  case ElementType::F32:
    return numElements * 4;
  case ElementType::I64:
    return numElements * 8;
  }
  return 0;
}

float loadFloat(const void *base, ElementType type, int64_t index) {
  switch (type) {
  case ElementType::F32:
    return loadAs<float>(base, index);
  case ElementType::F16:
    return f16ToFloat(loadAs<uint16_t>(base, index));
  case ElementType::BF16:
    return bf16ToFloat(loadAs<uint16_t>(base, index));
  case ElementType::F8E4M3FN:
    return f8E4M3FNToFloat(loadAs<uint8_t>(base, index));
  case ElementType::F8E8M0FNU:
    return f8E8M0FNUToFloat(loadAs<uint8_t>(base, index));
  case ElementType::F4E2M1FN:
    return f4E2M1FNToFloat(loadNibble(base, index));
  default:
    // int -> float: nearest even (the C++ conversion under the default
    // rounding mode).
    return static_cast<float>(loadInt(base, type, index));
  }
}

void storeFloat(void *base, ElementType type, int64_t index, float value) {
  switch (type) {
  case ElementType::F32:
    storeAs<float>(base, index, value);
    return;
  case ElementType::F16:
    storeAs<uint16_t>(base, index, floatToF16(value));
    return;
  case ElementType::BF16:
    storeAs<uint16_t>(base, index, floatToBf16(value));
    return;
  case ElementType::F8E4M3FN:
    storeAs<uint8_t>(base, index, floatToF8E4M3FN(value));
    return;
  case ElementType::F8E8M0FNU:
    storeAs<uint8_t>(base, index, floatToF8E8M0FNU(value));
    return;
  case ElementType::F4E2M1FN:
    storeNibble(base, index, floatToF4E2M1FN(value));
    return;
  default:
    storeInt(base, type, index, truncToInt(value));
    return;
  }
}

int64_t loadInt(const void *base, ElementType type, int64_t index) {
  switch (type) {
  case ElementType::I1:
    return loadAs<uint8_t>(base, index) & 1;
  case ElementType::I8:
    return loadAs<int8_t>(base, index);
  case ElementType::I32:
    return loadAs<int32_t>(base, index);
  case ElementType::I64:
    return loadAs<int64_t>(base, index);
  default:
    return truncToInt(loadFloat(base, type, index));
  }
}

void storeInt(void *base, ElementType type, int64_t index, int64_t value) {
  switch (type) {
  case ElementType::I1:
    storeAs<uint8_t>(base, index, static_cast<uint8_t>(value & 1));
    return;
  case ElementType::I8:
    storeAs<int8_t>(base, index, static_cast<int8_t>(value));
    return;
  case ElementType::I32:
    storeAs<int32_t>(base, index, static_cast<int32_t>(value));
    return;
  case ElementType::I64:
    storeAs<int64_t>(base, index, value);
    return;
  default:
    storeFloat(base, type, index, static_cast<float>(value));
    return;
  }
}

} // namespace dsv4c
