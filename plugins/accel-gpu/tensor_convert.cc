// SPDX-License-Identifier: Apache-2.0
#include "tensor_convert.h"

#include <ATen/ATen.h>

#include <cstring>

namespace skiff::accel_gpu {

std::optional<at::ScalarType> ToScalarType(DataType dtype) {
  switch (dtype) {
    case DataType::kFp32:
      return at::kFloat;
    case DataType::kFp64:
      return at::kDouble;
    case DataType::kFp16:
      return at::kHalf;
    case DataType::kInt64:
      return at::kLong;
    case DataType::kInt32:
      return at::kInt;
    case DataType::kInt8:
      return at::kChar;
    case DataType::kUint8:
      return at::kByte;
    case DataType::kBool:
      return at::kBool;
    case DataType::kInt16:
      return at::kShort;
    case DataType::kBf16:
      return at::kBFloat16;
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64:
    case DataType::kBytes:
      return std::nullopt;
  }
  return std::nullopt;
}

StatusOr<DataType> FromScalarType(at::ScalarType type) {
  for (DataType d : AllDataTypes()) {
    if (ToScalarType(d) == type) return d;
  }
  return FailedPrecondition(std::string("the model produced a tensor of torch dtype ") +
                            c10::toString(type) + ", which skiff does not support");
}

at::Tensor ToTorch(const Tensor& tensor, const c10::Device& device) {
  const auto options = at::TensorOptions().dtype(*ToScalarType(tensor.dtype));
  const size_t size = DataTypeSize(tensor.dtype);
  if (device.is_cpu() && !tensor.data.empty() &&
      reinterpret_cast<uintptr_t>(tensor.data.data()) % size == 0) {
    // No copy: the request's bytes are the model's input (docs/protocols.md).
    return at::from_blob(const_cast<uint8_t*>(tensor.data.data()), tensor.shape, options);
  }
  at::Tensor host = at::empty(tensor.shape, options);
  if (!tensor.data.empty()) std::memcpy(host.data_ptr(), tensor.data.data(), tensor.data.size());
  return device.is_cpu() ? host : host.to(device);
}

c10::IValue ToTorchStrings(const Tensor& tensor) {
  c10::List<std::string> list;
  if (auto elements = SplitBytesElements(tensor.data.data(), tensor.data.size())) {
    list.reserve(elements->size());
    for (std::string_view e : *elements) list.push_back(std::string(e));
  }
  return c10::IValue(std::move(list));
}

StatusOr<Tensor> FromTorchStrings(const c10::IValue& value, const std::string& name) {
  Tensor out;
  out.name = name;
  out.dtype = DataType::kBytes;
  if (!value.isList()) {
    return FailedPrecondition(std::string("a ") + value.tagKind() +
                              ", not the List[str] a BYTES output needs");
  }
  const auto list = value.toListRef();
  for (const c10::IValue& e : list) {
    if (!e.isString()) {
      return FailedPrecondition(std::string("a list holding a ") + e.tagKind() +
                                ", not the List[str] a BYTES output needs");
    }
    AppendBytesElement(e.toStringRef(), &out.data);
  }
  out.shape = {static_cast<int64_t>(list.size())};
  return out;
}

StatusOr<Tensor> FromTorch(const at::Tensor& tensor, const std::string& name) {
  SKIFF_ASSIGN_OR_RETURN(DataType dtype, FromScalarType(tensor.scalar_type()));
  const at::Tensor host = tensor.to(at::kCPU).contiguous();
  Tensor out;
  out.name = name;
  out.dtype = dtype;
  out.shape.assign(host.sizes().begin(), host.sizes().end());
  out.data.resize(host.nbytes());
  if (!out.data.empty()) std::memcpy(out.data.data(), host.data_ptr(), out.data.size());
  return out;
}

}  // namespace skiff::accel_gpu
