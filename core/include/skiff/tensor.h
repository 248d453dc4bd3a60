// Tensors and signatures exchanged between the data plane and accelerators.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

// Element types. Names follow the Open Inference Protocol v2 ("FP32", ...).
enum class DataType : int32_t {
  kFp32 = 0,
  kFp64 = 1,
  kFp16 = 2,
  kInt64 = 3,
  kInt32 = 4,
  kInt8 = 5,
  kUint8 = 6,
  kBool = 7,
};

// "FP32", "INT64", ... (OIP v2 spelling).
const char* DataTypeName(DataType type);
// Parses an OIP v2 name; nullopt for an unknown one.
std::optional<DataType> ParseDataType(std::string_view name);
// Bytes per element (BOOL is one byte).
size_t DataTypeSize(DataType type);
// All supported types, in enum order (for error messages and docs).
const std::vector<DataType>& AllDataTypes();

// Name, type and shape of one input or output. -1 in `shape` is a dynamic
// dimension.
struct TensorSpec {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
};

// A model's inputs and outputs, in order.
struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// A dense, row-major tensor. `data` holds NumElements() * DataTypeSize(dtype)
// bytes in host byte order.
struct Tensor {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  // Product of `shape` (1 for a scalar); -1 if any dimension is negative.
  int64_t NumElements() const;
};

// Renders a shape as "[1, -1, 3]".
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace skiff
