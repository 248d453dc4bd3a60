// SPDX-License-Identifier: Apache-2.0
// The fixed model signature the protocol fuzzers decode against: several
// dtypes, a dynamic batch dimension, a fixed shape and a scalar-ish input.
#pragma once

#include "skiff/tensor.h"

namespace skiff::fuzz {

inline const Signature& FuzzSignature() {
  static const Signature signature = [] {
    Signature s;
    s.inputs = {
        {"x", DataType::kFp32, {-1, 4}},   {"ids", DataType::kInt64, {-1}},
        {"mask", DataType::kBool, {2, 2}}, {"h", DataType::kFp16, {-1, 2}},
        {"b", DataType::kUint8, {3}},      {"d", DataType::kFp64, {1}},
        {"s", DataType::kInt8, {-1, -1}},  {"i", DataType::kInt32, {2}},
    };
    s.outputs = {{"y", DataType::kFp32, {-1, 2}}, {"z", DataType::kInt64, {-1}}};
    return s;
  }();
  return signature;
}

// One input only: exercises Azure's bare-array form and its flat reshape.
inline const Signature& FuzzSingleInputSignature() {
  static const Signature signature = [] {
    Signature s;
    s.inputs = {{"x", DataType::kFp32, {-1, 4}}};
    s.outputs = {{"y", DataType::kFp32, {-1}}};
    return s;
  }();
  return signature;
}

}  // namespace skiff::fuzz
