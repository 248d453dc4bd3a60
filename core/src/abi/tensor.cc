// SPDX-License-Identifier: Apache-2.0
#include "skiff/tensor.h"

#include <sstream>

namespace skiff {

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kFp32: return "FP32";
    case DataType::kFp64: return "FP64";
    case DataType::kFp16: return "FP16";
    case DataType::kInt64: return "INT64";
    case DataType::kInt32: return "INT32";
    case DataType::kInt8: return "INT8";
    case DataType::kUint8: return "UINT8";
    case DataType::kBool: return "BOOL";
    case DataType::kInt16: return "INT16";
    case DataType::kUint16: return "UINT16";
    case DataType::kUint32: return "UINT32";
    case DataType::kUint64: return "UINT64";
    case DataType::kBf16: return "BF16";
    case DataType::kBytes: return "BYTES";
  }
  return "UNKNOWN";
}

const std::vector<DataType>& AllDataTypes() {
  static const std::vector<DataType> kAll = {DataType::kFp32, DataType::kFp64, DataType::kFp16,
                                             DataType::kInt64, DataType::kInt32, DataType::kInt8,
                                             DataType::kUint8, DataType::kBool, DataType::kInt16,
                                             DataType::kUint16, DataType::kUint32,
                                             DataType::kUint64, DataType::kBf16, DataType::kBytes};
  return kAll;
}

std::optional<DataType> ParseDataType(std::string_view name) {
  for (DataType t : AllDataTypes()) {
    if (name == DataTypeName(t)) return t;
  }
  return std::nullopt;
}

size_t DataTypeSize(DataType type) {
  switch (type) {
    case DataType::kFp64:
    case DataType::kInt64:
    case DataType::kUint64: return 8;
    case DataType::kFp32:
    case DataType::kInt32:
    case DataType::kUint32: return 4;
    case DataType::kFp16:
    case DataType::kInt16:
    case DataType::kUint16:
    case DataType::kBf16: return 2;
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kBool: return 1;
    case DataType::kBytes: return 0;
  }
  return 0;
}

size_t MinElementSize(DataType type) {
  return type == DataType::kBytes ? 4 : DataTypeSize(type);
}

void AppendBytesElement(std::string_view element, std::vector<uint8_t>* data) {
  const auto n = static_cast<uint32_t>(element.size());
  const uint8_t prefix[4] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
                             static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 24)};
  data->insert(data->end(), prefix, prefix + 4);
  data->insert(data->end(), element.begin(), element.end());
}

namespace {

// Calls visit(view) per element; false on a malformed buffer.
template <typename Visit>
bool ForEachBytesElement(const uint8_t* data, size_t size, Visit visit) {
  size_t at = 0;
  while (at < size) {
    if (size - at < 4) return false;
    const uint32_t n = uint32_t{data[at]} | uint32_t{data[at + 1]} << 8 |
                       uint32_t{data[at + 2]} << 16 | uint32_t{data[at + 3]} << 24;
    at += 4;
    if (n > size - at) return false;
    visit(std::string_view(reinterpret_cast<const char*>(data + at), n));
    at += n;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string_view>> SplitBytesElements(const uint8_t* data, size_t size) {
  std::vector<std::string_view> out;
  if (!ForEachBytesElement(data, size, [&](std::string_view e) { out.push_back(e); })) {
    return std::nullopt;
  }
  return out;
}

int64_t CountBytesElements(const uint8_t* data, size_t size) {
  int64_t n = 0;
  if (!ForEachBytesElement(data, size, [&](std::string_view) { ++n; })) return -1;
  return n;
}

int64_t Tensor::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

}  // namespace skiff
