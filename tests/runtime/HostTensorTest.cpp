//===- HostTensorTest.cpp -------------------------------------------------===//
#include "runtime/HostTensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace dsv4c;

TEST(HostTensor, ShapeAndStorage) {
  HostTensor t(ElementType::BF16, {4, 64});
  EXPECT_EQ(t.numElements(), 256);
  EXPECT_EQ(t.storage.size(), 512u);
  EXPECT_EQ(t.describe(), "4x64xbf16");
  HostTensor f4(ElementType::F4E2M1FN, {3, 3});
  EXPECT_EQ(f4.storage.size(), 5u);
  HostTensor s(ElementType::F32, {});
  EXPECT_EQ(s.numElements(), 1);
  EXPECT_EQ(s.describe(), "f32");
  for (uint8_t b : t.storage)
    EXPECT_EQ(b, 0);
}

TEST(HostTensor, FillRandomIsDeterministic) {
  HostTensor a(ElementType::F32, {1000}), b(ElementType::F32, {1000}),
      c(ElementType::F32, {1000});
  fillRandom(a, 42);
  fillRandom(b, 42);
  fillRandom(c, 43);
  EXPECT_EQ(a.storage, b.storage);
  EXPECT_NE(a.storage, c.storage);
  float lo = 1, hi = -1;
  for (int64_t i = 0; i < 1000; ++i) {
    float v = loadFloat(a.data(), a.type, i);
    ASSERT_GE(v, -1.0f);
    ASSERT_LT(v, 1.0f);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_LT(lo, -0.9f);
  EXPECT_GT(hi, 0.9f);
  // Pinned values: the generator and the mapping are ours, so these hold on
  // every standard library.
  HostTensor p(ElementType::F32, {2});
  fillRandom(p, 1);
  std::mt19937_64 gen(1);
  double u0 = double(gen() >> 11) * 0x1.0p-53;
  EXPECT_EQ(loadFloat(p.data(), p.type, 0), float(2 * u0 - 1));
}

TEST(HostTensor, FillRandomRangeRestartsTheGenerator) {
  // A range from `begin` draws what a whole fill draws from element 0, so
  // ranges with their own seeds can be filled side by side.
  HostTensor whole(ElementType::BF16, {64}), ranged(ElementType::BF16, {64});
  fillRandom(whole, 9);
  fillRandomRange(ranged, 9, 0, 32, 0, 15);
  fillRandomRange(ranged, 9, 32, 64, 0, 15);
  for (int64_t i = 0; i < 32; ++i) {
    EXPECT_EQ(loadFloat(ranged.data(), ranged.type, i),
              loadFloat(whole.data(), whole.type, i));
    EXPECT_EQ(loadFloat(ranged.data(), ranged.type, 32 + i),
              loadFloat(whole.data(), whole.type, i));
  }
  // e2m1 codes two a byte: an even begin touches only its own bytes.
  HostTensor f4(ElementType::F4E2M1FN, {8});
  fillRandomRange(f4, 3, 2, 4, 0, 15);
  EXPECT_EQ(f4.storage[0], 0);
  EXPECT_EQ(f4.storage[2], 0);
  EXPECT_EQ(f4.storage[3], 0);
}

TEST(HostTensor, FillRandomInts) {
  HostTensor t(ElementType::I32, {500});
  fillRandom(t, 7, -3, 5);
  bool sawLo = false, sawHi = false;
  for (int64_t i = 0; i < 500; ++i) {
    int64_t v = loadInt(t.data(), t.type, i);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 5);
    sawLo |= v == -3;
    sawHi |= v == 5;
  }
  EXPECT_TRUE(sawLo && sawHi);
  HostTensor m(ElementType::I1, {100});
  fillRandom(m, 7);
  for (uint8_t b : m.storage)
    ASSERT_LE(b, 1);
  HostTensor s(ElementType::F8E8M0FNU, {100});
  fillRandom(s, 7);
  for (int64_t i = 0; i < 100; ++i) {
    float v = loadFloat(s.data(), s.type, i);
    ASSERT_GE(v, 1.0f / 128);
    ASSERT_LE(v, 128.0f);
  }
}

TEST(HostTensor, MaxAbsDifference) {
  HostTensor a(ElementType::F32, {3}), b(ElementType::F32, {3});
  storeFloat(a.data(), a.type, 1, 1.5f);
  storeFloat(b.data(), b.type, 1, 1.0f);
  storeFloat(b.data(), b.type, 2, -0.25f);
  EXPECT_EQ(maxAbsDifference(a, b), 0.5);
  storeFloat(a.data(), a.type, 0, NAN);
  EXPECT_TRUE(std::isinf(maxAbsDifference(a, b)));
  storeFloat(b.data(), b.type, 0, NAN);
  EXPECT_EQ(maxAbsDifference(a, b), 0.5);
  HostTensor c(ElementType::F32, {4});
  EXPECT_TRUE(std::isinf(maxAbsDifference(a, c)));
}
