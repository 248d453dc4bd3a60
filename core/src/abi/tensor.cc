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
  }
  return "UNKNOWN";
}

const std::vector<DataType>& AllDataTypes() {
  static const std::vector<DataType> kAll = {DataType::kFp32, DataType::kFp64, DataType::kFp16,
                                             DataType::kInt64, DataType::kInt32, DataType::kInt8,
                                             DataType::kUint8, DataType::kBool};
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
    case DataType::kInt64: return 8;
    case DataType::kFp32:
    case DataType::kInt32: return 4;
    case DataType::kFp16: return 2;
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kBool: return 1;
  }
  return 0;
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
