// SPDX-License-Identifier: Apache-2.0
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
  // Appended (values never change): the rest of the OIP datatypes.
  kInt16 = 8,
  kUint16 = 9,
  kUint32 = 10,
  kUint64 = 11,
  kBf16 = 12,  // bfloat16: the top 16 bits of an FP32
  // Variable size: `Tensor::data` holds each element as a 4-byte
  // little-endian length followed by that many bytes, the serialization of
  // the OIP binary tensor extension (and Triton's), so a BYTES tensor crosses
  // the plugin boundary as one buffer like every other.
  kBytes = 13,
};

// "FP32", "INT64", ... (OIP v2 spelling).
const char* DataTypeName(DataType type);
// Parses an OIP v2 name; nullopt for an unknown one.
std::optional<DataType> ParseDataType(std::string_view name);
// Bytes per element (BOOL is one byte); 0 for BYTES, whose elements vary.
size_t DataTypeSize(DataType type);
// The fewest bytes one element takes: DataTypeSize, or 4 for BYTES (its
// length prefix). What size limits are checked against before data is read.
size_t MinElementSize(DataType type);
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
// bytes in host byte order; for BYTES, NumElements() length-prefixed
// elements (see DataType::kBytes and the helpers below).
struct Tensor {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  // Product of `shape` (1 for a scalar); -1 if any dimension is negative.
  int64_t NumElements() const;
};

// ---- BYTES elements (DataType::kBytes) ----
// Appends one element: its length (4 bytes, little-endian) then its bytes.
void AppendBytesElement(std::string_view element, std::vector<uint8_t>* data);
// The elements of a BYTES buffer, as views into it; nullopt when the buffer
// is not exactly a sequence of elements (a length running past its end).
std::optional<std::vector<std::string_view>> SplitBytesElements(const uint8_t* data, size_t size);
// Number of elements, or -1 where SplitBytesElements would fail.
int64_t CountBytesElements(const uint8_t* data, size_t size);

// Renders a shape as "[1, -1, 3]".
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace skiff
