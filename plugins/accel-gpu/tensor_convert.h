// Conversion between skiff::Tensor (raw host bytes) and at::Tensor.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::accel_gpu {

// The torch scalar type of a skiff dtype (FP16 is IEEE half, BOOL one byte).
at::ScalarType ToScalarType(DataType dtype);
// The skiff dtype of a torch scalar type; kFailedPrecondition for one skiff
// does not support (e.g. complex, bfloat16).
StatusOr<DataType> FromScalarType(at::ScalarType type);

// Copies `tensor` into a new at::Tensor on `device`. The shape and byte size
// must already have been checked (CheckInputs).
// Threading: safe to call concurrently.
at::Tensor ToTorch(const Tensor& tensor, const c10::Device& device);

// Copies `tensor` back to host memory as a contiguous skiff::Tensor named
// `name`. Errors: kFailedPrecondition for an unsupported dtype.
// Threading: safe to call concurrently.
StatusOr<Tensor> FromTorch(const at::Tensor& tensor, const std::string& name);

}  // namespace skiff::accel_gpu
