// SPDX-License-Identifier: Apache-2.0
// Conversion between skiff::Tensor (raw host bytes) and at::Tensor.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::accel_gpu {

// The torch scalar type of a skiff dtype (FP16 is IEEE half, BF16 bfloat16,
// BOOL one byte); nullopt where libtorch has none: UINT16/32/64 (libtorch
// before 2.3 has no unsigned type wider than a byte) and BYTES (which goes
// into a model as List[str]).
std::optional<at::ScalarType> ToScalarType(DataType dtype);
// The skiff dtype of a torch scalar type; kFailedPrecondition for one skiff
// does not support (e.g. complex).
StatusOr<DataType> FromScalarType(at::ScalarType type);

// `tensor` as an at::Tensor on `device`. On the CPU, a buffer aligned for its
// element type is wrapped, not copied (at::from_blob): `tensor` must outlive
// the returned tensor's use, and a model that writes into its input writes
// into `tensor`. Otherwise (a GPU, an unaligned buffer) the bytes are copied.
// The shape and byte size must already have been checked (CheckInputs).
// Threading: safe to call concurrently.
at::Tensor ToTorch(const Tensor& tensor, const c10::Device& device);

// A BYTES tensor as a TorchScript List[str], elements in row-major order.
c10::IValue ToTorchStrings(const Tensor& tensor);
// A List[str] a model returned as a BYTES tensor of shape [n] named `name`;
// kFailedPrecondition naming the output when `value` is not a list of str.
StatusOr<Tensor> FromTorchStrings(const c10::IValue& value, const std::string& name);

// Copies `tensor` back to host memory as a contiguous skiff::Tensor named
// `name`. Errors: kFailedPrecondition for an unsupported dtype.
// Threading: safe to call concurrently.
StatusOr<Tensor> FromTorch(const at::Tensor& tensor, const std::string& name);

}  // namespace skiff::accel_gpu
