#include "tensor_convert.h"

#include <ATen/ATen.h>

#include <cstring>

namespace skiff::accel_gpu {

at::ScalarType ToScalarType(DataType dtype) {
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
  }
  return at::kFloat;
}

StatusOr<DataType> FromScalarType(at::ScalarType type) {
  for (DataType d : AllDataTypes()) {
    if (ToScalarType(d) == type) return d;
  }
  return FailedPrecondition(std::string("the model produced a tensor of torch dtype ") +
                            c10::toString(type) + ", which skiff does not support");
}

at::Tensor ToTorch(const Tensor& tensor, const c10::Device& device) {
  at::Tensor host = at::empty(tensor.shape, at::TensorOptions().dtype(ToScalarType(tensor.dtype)));
  if (!tensor.data.empty()) std::memcpy(host.data_ptr(), tensor.data.data(), tensor.data.size());
  return device.is_cpu() ? host : host.to(device);
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
