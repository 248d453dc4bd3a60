// Checks shared by the OIP and Azure decoders: a decoded input against its
// signature entry. Every failure is kInvalidArgument and names the input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::protocol {

// Index of the spec called `name`, or -1.
int FindSpec(const std::vector<TensorSpec>& specs, std::string_view name);

// "a, b, c" (the names, in order), for "expected one of" messages.
std::string SpecNames(const std::vector<TensorSpec>& specs);

// "'x' (FP32 [-1, 3])".
std::string DescribeSpec(const TensorSpec& spec);

// `dtype` must equal the spec's.
Status CheckDataType(const TensorSpec& spec, DataType dtype);

// `shape` must have the spec's rank and equal it wherever the spec's dim is
// not -1.
Status CheckShape(const TensorSpec& spec, const std::vector<int64_t>& shape);

// Product of `shape` times the element size, refusing negative dims and
// anything over `max_bytes` (which also rules out overflow). `what` names the
// tensor in messages ("input 'x'").
StatusOr<size_t> CheckedByteSize(const std::string& what, const std::vector<int64_t>& shape,
                                 DataType dtype, size_t max_bytes);

}  // namespace skiff::protocol
