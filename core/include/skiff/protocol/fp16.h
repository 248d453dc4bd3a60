// SPDX-License-Identifier: Apache-2.0
// IEEE 754 binary16 ("half", OIP datatype FP16) conversions. JSON carries
// numbers as doubles, so the decoder converts from double directly (one
// rounding step; going through float would round twice).
#pragma once

#include <cstdint>

namespace skiff::protocol {

// Rounds `value` to the nearest half (ties to even). Values whose magnitude
// rounds past 65504 become +/-inf; NaN stays a (quiet) NaN; the sign of zero
// is kept; tiny values become half subnormals or zero.
uint16_t HalfFromDouble(double value);

// Exact: every half is representable as a float.
float HalfToFloat(uint16_t bits);

// bfloat16 (OIP BF16): the top half of a float, rounded to nearest even;
// NaN stays a quiet NaN. Widening back is exact.
uint16_t Bf16FromFloat(float value);
float Bf16ToFloat(uint16_t bits);

// Largest finite half, for range errors.
inline constexpr double kHalfMax = 65504.0;

}  // namespace skiff::protocol
