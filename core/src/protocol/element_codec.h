// SPDX-License-Identifier: Apache-2.0
// Converts between JSON scalars and tensor element bytes, one element at a
// time, so decoders write straight into a tensor's buffer and encoders read
// straight out of it.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "json_scalar.h"
#include "skiff/tensor.h"

namespace skiff::protocol {

// Writes `value` as one `dtype` element at `out` (DataTypeSize(dtype) bytes).
// On a type or range error returns false and sets *why to a sentence that
// names the value and the allowed range, e.g. "300 is out of range for UINT8
// (0 to 255)".
bool WriteElement(DataType dtype, const JsonScalar& value, uint8_t* out, std::string* why);

// The hot case of WriteElement (a JSON float into FP32), inline: returns
// false, writing nothing, where WriteElement would refuse (out of range),
// so the caller falls back to WriteElement for the message.
inline bool WriteFp32Fast(double value, uint8_t* out) {
  const float f = static_cast<float>(value);
  if (std::isinf(f)) return false;
  std::memcpy(out, &f, sizeof f);
  return true;
}

// Appends the element at `in` as JSON: shortest round-trip digits for floats
// (at the element's own precision; FP16 is widened to float), true/false for
// BOOL, and null for NaN/inf, which JSON cannot carry.
void AppendElementJson(DataType dtype, const uint8_t* in, std::string* out);

// "datatype 'X' ..." message for a name that ParseDataType() refused: names
// the supported types (every OIP datatype).
std::string UnsupportedDataTypeMessage(const std::string& name);

// "FP32, FP64, ..." in enum order.
std::string SupportedDataTypeList();

}  // namespace skiff::protocol
