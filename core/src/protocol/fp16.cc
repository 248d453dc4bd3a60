// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/fp16.h"

#include <cmath>
#include <cstring>

namespace skiff::protocol {
namespace {

// v / 2^shift rounded to nearest, ties to even. 1 <= shift <= 63.
uint64_t ShiftRightRoundEven(uint64_t v, int shift) {
  const uint64_t q = v >> shift;
  const uint64_t rem = v & ((uint64_t{1} << shift) - 1);
  const uint64_t half = uint64_t{1} << (shift - 1);
  return (rem > half || (rem == half && (q & 1))) ? q + 1 : q;
}

}  // namespace

uint16_t HalfFromDouble(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 48) & 0x8000);
  const int exp_field = static_cast<int>((bits >> 52) & 0x7FF);
  const uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);

  if (exp_field == 0x7FF) return sign | (mantissa ? 0x7E00 : 0x7C00);  // NaN / inf
  const int e = exp_field - 1023;                                      // value = sig * 2^(e - 52)
  if (e < -25) return sign;          // < 2^-25: below half the smallest subnormal
  if (e > 15) return sign | 0x7C00;  // >= 65536
  const uint64_t sig = mantissa | (uint64_t{1} << 52);
  if (e < -14) {
    // Subnormal half: count units of 2^-24. A carry to 1024 yields the
    // smallest normal's encoding, which is what we want.
    return sign | static_cast<uint16_t>(ShiftRightRoundEven(sig, 28 - e));
  }
  // Normal: q in [1024, 2048] carries the implicit bit; adding it to the
  // exponent field one below the biased one folds the implicit bit in, and a
  // rounding carry (q == 2048) bumps the exponent, up to inf (0x7C00).
  const uint64_t q = ShiftRightRoundEven(sig, 42);
  return sign | static_cast<uint16_t>((static_cast<uint64_t>(e + 14) << 10) + q);
}

float HalfToFloat(uint16_t bits) {
  const bool negative = bits & 0x8000;
  const int exp_field = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  float magnitude;
  if (exp_field == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exp_field == 0x1F) {
    magnitude = mantissa ? std::nanf("") : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa + 1024), exp_field - 25);
  }
  return negative ? -magnitude : magnitude;
}

uint16_t Bf16FromFloat(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((bits >> 16) | 0x40);
  // Round to nearest even on the 16 bits dropped; a carry into the exponent
  // is right (it rounds up to the next binade, or to inf past the max).
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

float Bf16ToFloat(uint16_t bits) {
  const uint32_t wide = uint32_t{bits} << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

}  // namespace skiff::protocol
