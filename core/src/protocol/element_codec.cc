// SPDX-License-Identifier: Apache-2.0
#include "element_codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "skiff/protocol/fp16.h"

namespace skiff::protocol {
namespace {

std::string ScalarText(const JsonScalar& v) {
  switch (v.kind) {
    case JsonScalar::Kind::kInt:
      return std::to_string(v.i);
    case JsonScalar::Kind::kUint:
      return std::to_string(v.u);
    case JsonScalar::Kind::kBool:
      return v.b ? "true" : "false";
    case JsonScalar::Kind::kFloat: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.d);
      return std::string(buf, r.ptr);
    }
  }
  return "?";
}

template <typename T>
void Store(T value, uint8_t* out) {
  std::memcpy(out, &value, sizeof value);
}

template <typename T>
bool WriteInteger(DataType dtype, const JsonScalar& v, uint8_t* out, std::string* why) {
  constexpr auto kMin = std::numeric_limits<T>::min();
  constexpr auto kMax = std::numeric_limits<T>::max();
  auto out_of_range = [&] {
    *why = ScalarText(v) + " is out of range for " + DataTypeName(dtype) + " (" +
           std::to_string(kMin) + " to " + std::to_string(kMax) + ")";
    return false;
  };
  // Compared as the wider of int64/uint64 each side needs: UINT64's max is
  // no int64, INT64's min no uint64.
  switch (v.kind) {
    case JsonScalar::Kind::kInt:
      if constexpr (std::is_signed_v<T>) {
        if (v.i < static_cast<int64_t>(kMin) || v.i > static_cast<int64_t>(kMax)) {
          return out_of_range();
        }
      } else {
        if (v.i < 0 || static_cast<uint64_t>(v.i) > static_cast<uint64_t>(kMax)) {
          return out_of_range();
        }
      }
      Store(static_cast<T>(v.i), out);
      return true;
    case JsonScalar::Kind::kUint:
      if (v.u > static_cast<uint64_t>(kMax)) return out_of_range();
      Store(static_cast<T>(v.u), out);
      return true;
    case JsonScalar::Kind::kFloat: {
      if (std::trunc(v.d) != v.d) {
        *why = ScalarText(v) + " is not an integer, as " + DataTypeName(dtype) + " requires";
        return false;
      }
      // Compare in double; 2^63 and 2^64 are exact, so `< max + 1` is the
      // upper bound of INT64 and UINT64 too.
      const double lo = static_cast<double>(kMin);
      const double hi_exclusive = static_cast<double>(kMax) + 1.0;
      if (!(v.d >= lo && v.d < hi_exclusive)) return out_of_range();
      Store(static_cast<T>(v.d), out);
      return true;
    }
    case JsonScalar::Kind::kBool:
      *why = std::string(v.b ? "true" : "false") + " is not a number, as " + DataTypeName(dtype) +
             " requires";
      return false;
  }
  return false;
}

double AsDouble(const JsonScalar& v) {
  switch (v.kind) {
    case JsonScalar::Kind::kInt:
      return static_cast<double>(v.i);
    case JsonScalar::Kind::kUint:
      return static_cast<double>(v.u);
    case JsonScalar::Kind::kFloat:
      return v.d;
    case JsonScalar::Kind::kBool:
      return 0;
  }
  return 0;
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) {
      out->append("null");
      return;
    }
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, r.ptr);
  if constexpr (std::is_floating_point_v<T>) {
    // Like nlohmann: "1.0", not "1", so a float stays a float for clients
    // and -0.0 keeps its sign.
    if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e'; }) == r.ptr) {
      out->append(".0");
    }
  }
}

template <typename T>
T Load(const uint8_t* in) {
  T value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

}  // namespace

bool WriteElement(DataType dtype, const JsonScalar& v, uint8_t* out, std::string* why) {
  switch (dtype) {
    case DataType::kFp32:
    case DataType::kFp64:
    case DataType::kFp16:
    case DataType::kBf16: {
      if (v.kind == JsonScalar::Kind::kBool) {
        *why = std::string(v.b ? "true" : "false") + " is not a number, as " + DataTypeName(dtype) +
               " requires";
        return false;
      }
      const double d = AsDouble(v);
      if (dtype == DataType::kFp64) {
        Store(d, out);
        return true;
      }
      if (dtype == DataType::kFp32) {
        const float f = static_cast<float>(d);
        if (std::isinf(f)) {
          *why = ScalarText(v) + " is out of range for FP32 (magnitude at most 3.4028235e+38)";
          return false;
        }
        Store(f, out);
        return true;
      }
      if (dtype == DataType::kBf16) {
        const float f = static_cast<float>(d);
        const uint16_t b = Bf16FromFloat(f);
        if (std::isinf(f) || (b & 0x7FFF) == 0x7F80) {
          *why = ScalarText(v) + " is out of range for BF16 (magnitude at most 3.3895314e+38)";
          return false;
        }
        Store(b, out);
        return true;
      }
      const uint16_t h = HalfFromDouble(d);
      if ((h & 0x7FFF) == 0x7C00) {
        *why = ScalarText(v) + " is out of range for FP16 (magnitude at most 65504)";
        return false;
      }
      Store(h, out);
      return true;
    }
    case DataType::kInt64:
      return WriteInteger<int64_t>(dtype, v, out, why);
    case DataType::kInt32:
      return WriteInteger<int32_t>(dtype, v, out, why);
    case DataType::kInt8:
      return WriteInteger<int8_t>(dtype, v, out, why);
    case DataType::kUint8:
      return WriteInteger<uint8_t>(dtype, v, out, why);
    case DataType::kInt16:
      return WriteInteger<int16_t>(dtype, v, out, why);
    case DataType::kUint16:
      return WriteInteger<uint16_t>(dtype, v, out, why);
    case DataType::kUint32:
      return WriteInteger<uint32_t>(dtype, v, out, why);
    case DataType::kUint64:
      return WriteInteger<uint64_t>(dtype, v, out, why);
    case DataType::kBytes:
      *why = ScalarText(v) + " is not a string, as BYTES requires";
      return false;
    case DataType::kBool: {
      bool b;
      if (v.kind == JsonScalar::Kind::kBool) {
        b = v.b;
      } else if ((v.kind == JsonScalar::Kind::kInt && (v.i == 0 || v.i == 1)) ||
                 (v.kind == JsonScalar::Kind::kUint && v.u <= 1)) {
        b = v.kind == JsonScalar::Kind::kInt ? v.i == 1 : v.u == 1;
      } else {
        *why = ScalarText(v) + " is not a BOOL; send true/false (or 0/1)";
        return false;
      }
      *out = b ? 1 : 0;
      return true;
    }
  }
  *why = "unknown datatype";
  return false;
}

void AppendElementJson(DataType dtype, const uint8_t* in, std::string* out) {
  switch (dtype) {
    case DataType::kFp32:
      return AppendNumber(Load<float>(in), out);
    case DataType::kFp64:
      return AppendNumber(Load<double>(in), out);
    case DataType::kFp16:
      return AppendNumber(HalfToFloat(Load<uint16_t>(in)), out);
    case DataType::kInt64:
      return AppendNumber(Load<int64_t>(in), out);
    case DataType::kInt32:
      return AppendNumber(Load<int32_t>(in), out);
    case DataType::kInt8:
      return AppendNumber(static_cast<int>(Load<int8_t>(in)), out);
    case DataType::kUint8:
      return AppendNumber(static_cast<int>(*in), out);
    case DataType::kBool:
      out->append(*in ? "true" : "false");
      return;
    case DataType::kInt16:
      return AppendNumber(Load<int16_t>(in), out);
    case DataType::kUint16:
      return AppendNumber(Load<uint16_t>(in), out);
    case DataType::kUint32:
      return AppendNumber(Load<uint32_t>(in), out);
    case DataType::kUint64:
      return AppendNumber(Load<uint64_t>(in), out);
    case DataType::kBf16:
      return AppendNumber(Bf16ToFloat(Load<uint16_t>(in)), out);
    case DataType::kBytes:
      return;  // variable size: AppendFlatData writes BYTES as strings
  }
}

std::string SupportedDataTypeList() {
  std::string list;
  for (DataType t : AllDataTypes()) {
    if (!list.empty()) list += ", ";
    list += DataTypeName(t);
  }
  return list;
}

std::string UnsupportedDataTypeMessage(const std::string& name) {
  // Every OIP datatype is supported now; what is left is a misspelling.
  return "datatype '" + name +
         "' is not an Open Inference Protocol datatype; supported: " + SupportedDataTypeList();
}

}  // namespace skiff::protocol
