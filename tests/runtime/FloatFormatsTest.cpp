//===- FloatFormatsTest.cpp - bit-exact small float conversions -----------===//
#include "runtime/FloatFormats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace dsv4c;

namespace {
uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float floatOf(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
} // namespace

//===-- f8E4M3FN ----------------------------------------------------------===//

TEST(F8E4M3FN, AllCodesRoundTrip) {
  for (int c = 0; c < 256; ++c) {
    float v = f8E4M3FNToFloat(uint8_t(c));
    if ((c & 0x7F) == 0x7F) {
      EXPECT_TRUE(std::isnan(v)) << c;
      EXPECT_EQ(floatToF8E4M3FN(v), c) << c; // sign kept
      continue;
    }
    EXPECT_FALSE(std::isnan(v) || std::isinf(v)) << c;
    EXPECT_EQ(floatToF8E4M3FN(v), c) << "code " << c << " value " << v;
  }
}

TEST(F8E4M3FN, KnownValues) {
  EXPECT_EQ(f8E4M3FNToFloat(0x7E), 448.0f);
  EXPECT_EQ(f8E4M3FNToFloat(0xFE), -448.0f);
  EXPECT_EQ(f8E4M3FNToFloat(0x01), std::ldexp(1.0f, -9)); // min subnormal
  EXPECT_EQ(f8E4M3FNToFloat(0x07), 7 * std::ldexp(1.0f, -9));
  EXPECT_EQ(f8E4M3FNToFloat(0x08), std::ldexp(1.0f, -6)); // min normal
  EXPECT_EQ(f8E4M3FNToFloat(0x38), 1.0f);
  EXPECT_EQ(f8E4M3FNToFloat(0x80), 0.0f);
  EXPECT_TRUE(std::signbit(f8E4M3FNToFloat(0x80)));
}

TEST(F8E4M3FN, Rounding) {
  // 1.0 = 0x38, next is 1.125 = 0x39: the tie 1.0625 goes to even 0x38.
  EXPECT_EQ(floatToF8E4M3FN(1.0625f), 0x38);
  EXPECT_EQ(floatToF8E4M3FN(1.0626f), 0x39);
  // Tie between 1.125 (odd, 0x39) and 1.25 (0x3A) goes up to even.
  EXPECT_EQ(floatToF8E4M3FN(1.1875f), 0x3A);
  // Subnormals: half of the minimum subnormal ties to zero, above rounds up.
  float minSub = std::ldexp(1.0f, -9);
  EXPECT_EQ(floatToF8E4M3FN(minSub / 2), 0x00);
  EXPECT_EQ(floatToF8E4M3FN(minSub * 0.51f), 0x01);
  EXPECT_EQ(floatToF8E4M3FN(minSub * 1.5f), 0x02); // tie 1.5 -> 2
  EXPECT_EQ(floatToF8E4M3FN(minSub * 2.5f), 0x02); // tie 2.5 -> 2
  EXPECT_EQ(floatToF8E4M3FN(-minSub * 2.5f), 0x82);
  // Largest subnormal 7*2^-9 rounds up into the minimum normal at 7.5.
  EXPECT_EQ(floatToF8E4M3FN(7.5f * minSub), 0x08);
  EXPECT_EQ(floatToF8E4M3FN(1e-30f), 0x00);
  EXPECT_EQ(floatToF8E4M3FN(floatOf(1)), 0x00); // f32 denormal
}

TEST(F8E4M3FN, Saturation) {
  EXPECT_EQ(floatToF8E4M3FN(448.0f), 0x7E);
  EXPECT_EQ(floatToF8E4M3FN(464.0f), 0x7E); // would round to 480
  EXPECT_EQ(floatToF8E4M3FN(500.0f), 0x7E);
  EXPECT_EQ(floatToF8E4M3FN(1e30f), 0x7E);
  EXPECT_EQ(floatToF8E4M3FN(-1e30f), 0xFE);
  EXPECT_EQ(floatToF8E4M3FN(kInf), 0x7E);
  EXPECT_EQ(floatToF8E4M3FN(-kInf), 0xFE);
  EXPECT_EQ(floatToF8E4M3FN(kNaN), 0x7F);
}

//===-- f4E2M1FN ----------------------------------------------------------===//

TEST(F4E2M1FN, AllCodesRoundTrip) {
  const float values[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (int c = 0; c < 16; ++c) {
    float v = f4E2M1FNToFloat(uint8_t(c));
    EXPECT_EQ(v, (c & 8) ? -values[c & 7] : values[c & 7]) << c;
    EXPECT_EQ(floatToF4E2M1FN(v), c) << c;
    // High bits of the input byte are ignored.
    EXPECT_EQ(f4E2M1FNToFloat(uint8_t(c | 0xF0)), v);
  }
}

TEST(F4E2M1FN, RoundingAndSaturation) {
  EXPECT_EQ(floatToF4E2M1FN(0.25f), 0x0);  // tie 0 / 0.5 -> 0 (even)
  EXPECT_EQ(floatToF4E2M1FN(0.26f), 0x1);
  EXPECT_EQ(floatToF4E2M1FN(0.75f), 0x2);  // tie 0.5 / 1 -> 1 (even)
  EXPECT_EQ(floatToF4E2M1FN(1.25f), 0x2);  // tie 1 / 1.5 -> 1
  EXPECT_EQ(floatToF4E2M1FN(1.75f), 0x4);  // tie 1.5 / 2 -> 2
  EXPECT_EQ(floatToF4E2M1FN(2.5f), 0x4);   // tie 2 / 3 -> 2
  EXPECT_EQ(floatToF4E2M1FN(3.5f), 0x6);   // tie 3 / 4 -> 4
  EXPECT_EQ(floatToF4E2M1FN(5.0f), 0x6);   // tie 4 / 6 -> 4
  EXPECT_EQ(floatToF4E2M1FN(5.01f), 0x7);
  EXPECT_EQ(floatToF4E2M1FN(7.0f), 0x7);
  EXPECT_EQ(floatToF4E2M1FN(1e9f), 0x7);
  EXPECT_EQ(floatToF4E2M1FN(kInf), 0x7);
  EXPECT_EQ(floatToF4E2M1FN(-kInf), 0xF);
  EXPECT_EQ(floatToF4E2M1FN(-2.5f), 0xC);
  EXPECT_EQ(floatToF4E2M1FN(-0.0f), 0x8);
}

//===-- f8E8M0FNU ---------------------------------------------------------===//

TEST(F8E8M0FNU, AllCodesRoundTrip) {
  for (int c = 0; c < 255; ++c) {
    float v = f8E8M0FNUToFloat(uint8_t(c));
    EXPECT_EQ(v, std::ldexp(1.0f, c - 127)) << c;
    EXPECT_EQ(floatToF8E8M0FNU(v), c) << c;
  }
  EXPECT_TRUE(std::isnan(f8E8M0FNUToFloat(0xFF)));
  EXPECT_EQ(floatToF8E8M0FNU(kNaN), 0xFF);
}

TEST(F8E8M0FNU, Rounding) {
  EXPECT_EQ(floatToF8E8M0FNU(1.0f), 127);
  EXPECT_EQ(floatToF8E8M0FNU(1.49f), 127);
  EXPECT_EQ(floatToF8E8M0FNU(1.5f), 128); // tie goes up
  EXPECT_EQ(floatToF8E8M0FNU(1.99f), 128);
  EXPECT_EQ(floatToF8E8M0FNU(0.75f), 127);
  EXPECT_EQ(floatToF8E8M0FNU(0.74f), 126);
  EXPECT_EQ(floatToF8E8M0FNU(0.0f), 0xFF);
  EXPECT_EQ(floatToF8E8M0FNU(-0.0f), 0xFF);
  EXPECT_EQ(floatToF8E8M0FNU(-2.0f), 0xFF);
  EXPECT_EQ(floatToF8E8M0FNU(-kInf), 0xFF);
  EXPECT_EQ(floatToF8E8M0FNU(kInf), 254);     // clamps to 2^127
  EXPECT_EQ(floatToF8E8M0FNU(3.0e38f), 254);  // would round to 2^128
  EXPECT_EQ(floatToF8E8M0FNU(floatOf(1)), 0); // tiny: clamps to 2^-127
  EXPECT_EQ(floatToF8E8M0FNU(std::ldexp(1.0f, -127)), 0);
  EXPECT_EQ(floatToF8E8M0FNU(std::ldexp(1.49f, -127)), 0);
  EXPECT_EQ(floatToF8E8M0FNU(std::ldexp(1.5f, -127)), 1);
  EXPECT_EQ(floatToF8E8M0FNU(std::ldexp(1.0f, -126)), 1);
}

//===-- bf16 --------------------------------------------------------------===//

TEST(BF16, AllCodesRoundTrip) {
  for (int c = 0; c < 65536; ++c) {
    float v = bf16ToFloat(uint16_t(c));
    EXPECT_EQ(bitsOf(v), uint32_t(c) << 16);
    if (std::isnan(v))
      EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(v))));
    else
      ASSERT_EQ(floatToBf16(v), c) << c;
  }
}

TEST(BF16, Rounding) {
  EXPECT_EQ(floatToBf16(floatOf(0x3F808000)), 0x3F80); // tie -> even
  EXPECT_EQ(floatToBf16(floatOf(0x3F818000)), 0x3F82); // tie -> even (up)
  EXPECT_EQ(floatToBf16(floatOf(0x3F808001)), 0x3F81);
  EXPECT_EQ(floatToBf16(floatOf(0x3F807FFF)), 0x3F80);
  EXPECT_EQ(floatToBf16(floatOf(0x7F7FFFFF)), 0x7F80); // overflow -> inf
  EXPECT_EQ(floatToBf16(floatOf(0xFF7FFFFF)), 0xFF80);
  EXPECT_EQ(floatToBf16(kInf), 0x7F80);
  EXPECT_EQ(floatToBf16(floatOf(0x00008000)), 0x0000); // denormal tie
  EXPECT_EQ(floatToBf16(floatOf(0x00018000)), 0x0002);
  // A NaN whose payload is only in the low bits stays NaN.
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(floatOf(0x7F800001)))));
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(floatOf(0xFF800001)))));
}

//===-- f16 ---------------------------------------------------------------===//

TEST(F16, AllCodesRoundTrip) {
  for (int c = 0; c < 65536; ++c) {
    float v = f16ToFloat(uint16_t(c));
    bool isNaN = (c & 0x7C00) == 0x7C00 && (c & 0x3FF);
    EXPECT_EQ(std::isnan(v), isNaN) << c;
    if (isNaN)
      EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(v))));
    else
      ASSERT_EQ(floatToF16(v), c) << c;
  }
}

TEST(F16, KnownValuesAndRounding) {
  EXPECT_EQ(f16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(f16ToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(f16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16ToFloat(0x7C00), kInf);
  EXPECT_EQ(floatToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(floatToF16(65520.0f), 0x7C00); // tie rounds to even = inf
  EXPECT_EQ(floatToF16(1e10f), 0x7C00);
  EXPECT_EQ(floatToF16(-1e10f), 0xFC00);
  EXPECT_EQ(floatToF16(1.0f + std::ldexp(1.0f, -11)), 0x3C00); // tie
  EXPECT_EQ(floatToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  float minSub = std::ldexp(1.0f, -24);
  EXPECT_EQ(floatToF16(minSub / 2), 0x0000);
  EXPECT_EQ(floatToF16(minSub * 1.5f), 0x0002);
  EXPECT_EQ(floatToF16(minSub * 0.75f), 0x0001);
  EXPECT_EQ(floatToF16(1023.5f * minSub), 0x0400); // into min normal
  EXPECT_EQ(floatToF16(kNaN) & 0x7E00, 0x7E00);
}
