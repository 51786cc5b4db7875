//===- ElementTypeTest.cpp ------------------------------------------------===//
#include "runtime/ElementType.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace dsv4c;

namespace {
const ElementType kAll[] = {
    ElementType::I1,  ElementType::I8,       ElementType::I32,
    ElementType::I64, ElementType::F16,      ElementType::BF16,
    ElementType::F32, ElementType::F8E4M3FN, ElementType::F4E2M1FN,
    ElementType::F8E8M0FNU};
}

TEST(ElementType, NamesRoundTrip) {
  for (ElementType t : kAll) {
    auto parsed = parseElementType(elementTypeName(t));
    ASSERT_TRUE(parsed.has_value()) << elementTypeName(t);
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_STREQ(elementTypeName(ElementType::F8E4M3FN), "f8E4M3FN");
  EXPECT_STREQ(elementTypeName(ElementType::F8E8M0FNU), "f8E8M0FNU");
  EXPECT_STREQ(elementTypeName(ElementType::BF16), "bf16");
  EXPECT_FALSE(parseElementType("f64").has_value());
  EXPECT_FALSE(parseElementType("F32").has_value());
  EXPECT_FALSE(parseElementType("").has_value());
}

TEST(ElementType, Classification) {
  EXPECT_FALSE(isFloatType(ElementType::I1));
  EXPECT_FALSE(isFloatType(ElementType::I64));
  EXPECT_TRUE(isFloatType(ElementType::F4E2M1FN));
  EXPECT_TRUE(isFloatType(ElementType::F8E8M0FNU));
  EXPECT_EQ(storageBytes(ElementType::F4E2M1FN, 7), 4);
  EXPECT_EQ(storageBytes(ElementType::F4E2M1FN, 8), 4);
  EXPECT_EQ(storageBytes(ElementType::I1, 5), 5);
  EXPECT_EQ(storageBytes(ElementType::BF16, 3), 6);
  EXPECT_EQ(storageBytes(ElementType::I64, 3), 24);
  EXPECT_EQ(storageBytes(ElementType::F8E8M0FNU, 3), 3);
}

TEST(ElementType, F4PackingKeepsOtherNibble) {
  std::vector<uint8_t> mem(2, 0);
  storeFloat(mem.data(), ElementType::F4E2M1FN, 0, 1.0f); // code 2
  storeFloat(mem.data(), ElementType::F4E2M1FN, 1, -6.0f); // code 0xF
  EXPECT_EQ(mem[0], 0xF2);
  storeFloat(mem.data(), ElementType::F4E2M1FN, 0, 0.5f); // code 1
  EXPECT_EQ(mem[0], 0xF1);
  storeFloat(mem.data(), ElementType::F4E2M1FN, 3, 3.0f); // code 5, high
  EXPECT_EQ(mem[1], 0x50);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F4E2M1FN, 0), 0.5f);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F4E2M1FN, 1), -6.0f);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F4E2M1FN, 2), 0.0f);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F4E2M1FN, 3), 3.0f);
}

TEST(ElementType, IntsAndConversions) {
  std::vector<uint8_t> mem(64, 0);
  storeInt(mem.data(), ElementType::I8, 1, -3);
  EXPECT_EQ(loadInt(mem.data(), ElementType::I8, 1), -3);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::I8, 1), -3.0f);
  storeInt(mem.data(), ElementType::I8, 2, 0x1FF); // truncates to -1
  EXPECT_EQ(loadInt(mem.data(), ElementType::I8, 2), -1);
  storeInt(mem.data(), ElementType::I32, 1, -123456);
  EXPECT_EQ(loadInt(mem.data(), ElementType::I32, 1), -123456);
  storeInt(mem.data(), ElementType::I64, 2, int64_t(1) << 40);
  EXPECT_EQ(loadInt(mem.data(), ElementType::I64, 2), int64_t(1) << 40);
  // i1: one byte each, 0/1.
  storeInt(mem.data(), ElementType::I1, 0, 1);
  storeInt(mem.data(), ElementType::I1, 1, 0);
  EXPECT_EQ(mem[0], 1);
  EXPECT_EQ(mem[1], 0);
  EXPECT_EQ(loadInt(mem.data(), ElementType::I1, 0), 1);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::I1, 0), 1.0f);
  // float -> int truncates toward zero.
  storeFloat(mem.data(), ElementType::I32, 0, -2.7f);
  EXPECT_EQ(loadInt(mem.data(), ElementType::I32, 0), -2);
  storeFloat(mem.data(), ElementType::F32, 0, 2.9f);
  EXPECT_EQ(loadInt(mem.data(), ElementType::F32, 0), 2);
  storeFloat(mem.data(), ElementType::F32, 0, NAN);
  EXPECT_EQ(loadInt(mem.data(), ElementType::F32, 0), 0); // no UB
  // int -> float rounds to nearest even.
  storeInt(mem.data(), ElementType::F32, 0, (int64_t(1) << 24) + 1);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F32, 0), 16777216.0f);
  storeInt(mem.data(), ElementType::BF16, 1, 257);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::BF16, 1), 256.0f);
}

TEST(ElementType, FloatStoreRoundsPerType) {
  std::vector<uint8_t> mem(16, 0);
  storeFloat(mem.data(), ElementType::BF16, 0, 1.00390625f); // tie
  EXPECT_EQ(loadFloat(mem.data(), ElementType::BF16, 0), 1.0f);
  storeFloat(mem.data(), ElementType::F16, 1, 0.1f);
  EXPECT_NEAR(loadFloat(mem.data(), ElementType::F16, 1), 0.1f, 1e-4);
  storeFloat(mem.data(), ElementType::F8E4M3FN, 4, 1000.0f);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F8E4M3FN, 4), 448.0f);
  storeFloat(mem.data(), ElementType::F8E8M0FNU, 5, 3.0f);
  EXPECT_EQ(loadFloat(mem.data(), ElementType::F8E8M0FNU, 5), 4.0f);
}
