// SPDX-License-Identifier: Apache-2.0
// One JSON scalar as a SAX parser reports it, before it is known (or
// checked) which tensor element type it must become.
#pragma once

#include <cstdint>

namespace skiff::protocol {

struct JsonScalar {
  enum class Kind : uint8_t { kInt, kUint, kFloat, kBool };
  Kind kind = Kind::kInt;
  union {
    int64_t i;
    uint64_t u;
    double d;
    bool b;
  };

  static JsonScalar Int(int64_t v) {
    JsonScalar s;
    s.kind = Kind::kInt;
    s.i = v;
    return s;
  }
  static JsonScalar Uint(uint64_t v) {
    JsonScalar s;
    s.kind = Kind::kUint;
    s.u = v;
    return s;
  }
  static JsonScalar Float(double v) {
    JsonScalar s;
    s.kind = Kind::kFloat;
    s.d = v;
    return s;
  }
  static JsonScalar Bool(bool v) {
    JsonScalar s;
    s.kind = Kind::kBool;
    s.b = v;
    return s;
  }

  JsonScalar() : i(0) {}
};

}  // namespace skiff::protocol
