// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace skiff::protocol {
namespace {

TEST(ProtocolFp16, ExactValues) {
  EXPECT_EQ(HalfFromDouble(1.0), 0x3C00);
  EXPECT_EQ(HalfFromDouble(-2.0), 0xC000);
  EXPECT_EQ(HalfFromDouble(0.5), 0x3800);
  EXPECT_EQ(HalfFromDouble(0.0), 0x0000);
  EXPECT_EQ(HalfFromDouble(-0.0), 0x8000);
  EXPECT_EQ(HalfFromDouble(65504.0), 0x7BFF);
  EXPECT_EQ(HalfFromDouble(0.1), 0x2E66);
  EXPECT_EQ(HalfFromDouble(1.0 / 3.0), 0x3555);
}

TEST(ProtocolFp16, Subnormals) {
  EXPECT_EQ(HalfFromDouble(std::ldexp(1.0, -24)), 0x0001);     // smallest subnormal
  EXPECT_EQ(HalfFromDouble(std::ldexp(1023.0, -24)), 0x03FF);  // largest subnormal
  EXPECT_EQ(HalfFromDouble(std::ldexp(1.0, -14)), 0x0400);     // smallest normal
  EXPECT_EQ(HalfFromDouble(-std::ldexp(5.0, -24)), 0x8005);
  // Halfway cases round to even.
  EXPECT_EQ(HalfFromDouble(std::ldexp(1.0, -25)), 0x0000);
  EXPECT_EQ(HalfFromDouble(std::ldexp(3.0, -25)), 0x0002);
  EXPECT_EQ(HalfFromDouble(std::ldexp(2047.0, -25)), 0x0400);  // carries into the normals
  EXPECT_EQ(HalfFromDouble(std::ldexp(1.0, -25) * 1.0000001), 0x0001);
  EXPECT_EQ(HalfFromDouble(std::ldexp(1.0, -26)), 0x0000);
  EXPECT_EQ(HalfFromDouble(-1e-30), 0x8000);
  EXPECT_EQ(HalfFromDouble(std::numeric_limits<double>::denorm_min()), 0x0000);
}

TEST(ProtocolFp16, RoundsToNearestEven) {
  EXPECT_EQ(HalfFromDouble(1.0 + std::ldexp(1.0, -11)), 0x3C00);         // tie, down to even
  EXPECT_EQ(HalfFromDouble(1.0 + std::ldexp(3.0, -11)), 0x3C02);         // tie, up to even
  EXPECT_EQ(HalfFromDouble(1.0 + std::ldexp(1.0, -11) + 1e-9), 0x3C01);  // above the tie
  // One rounding step: via float, 1 + 2^-11 + 2^-40 would first become the
  // tie 1 + 2^-11 and then round down to 0x3C00.
  EXPECT_EQ(HalfFromDouble(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3C01);
  EXPECT_EQ(HalfFromDouble(2047.5), 0x6800);  // 2048 after the carry
}

TEST(ProtocolFp16, OverflowAndSpecials) {
  EXPECT_EQ(HalfFromDouble(65519.0), 0x7BFF);
  EXPECT_EQ(HalfFromDouble(65520.0), 0x7C00);  // tie between 65504 and 65536 -> inf
  EXPECT_EQ(HalfFromDouble(1e6), 0x7C00);
  EXPECT_EQ(HalfFromDouble(-1e300), 0xFC00);
  EXPECT_EQ(HalfFromDouble(std::numeric_limits<double>::infinity()), 0x7C00);
  EXPECT_EQ(HalfFromDouble(-std::numeric_limits<double>::infinity()), 0xFC00);
  EXPECT_EQ(HalfFromDouble(std::nan("")) & 0x7E00, 0x7E00);
}

TEST(ProtocolFp16, ToFloat) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(HalfToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(HalfToFloat(0x2E66), 0.0999755859375f);
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
  EXPECT_EQ(HalfToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(HalfToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
}

TEST(ProtocolFp16, EveryHalfRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF)) continue;  // NaN payloads
    ASSERT_EQ(HalfFromDouble(HalfToFloat(h)), h) << std::hex << bits;
  }
}

}  // namespace
}  // namespace skiff::protocol
