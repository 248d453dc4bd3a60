// SPDX-License-Identifier: Apache-2.0
// Checks tensors against a model signature: the one place for it, in
// skiff_abi (std only), so the data plane's decoders, the batcher, the
// accelerator plugins and third-party plugins share the rules and messages.
// Every failure names the tensor and what to send instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff {

// ---- Whole tensor lists (a batch going into or coming out of a model) ----

// OK when `inputs` match `signature.inputs` in count and, position by
// position, in name (an empty tensor name is accepted), dtype, rank, every
// fixed dimension (-1 in the spec matches any size >= 0) and byte size.
// Otherwise kInvalidArgument naming the input, e.g.
//   "input 'x': expected shape [-1, 4], got [2, 5]".
// Threading: pure function; safe to call concurrently.
Status CheckInputs(const Signature& signature, const std::vector<Tensor>& inputs);

// Same checks for a model's outputs against `signature.outputs`. A mismatch
// means the model does not do what its config says: kFailedPrecondition
// naming the output.
// Threading: pure function; safe to call concurrently.
Status CheckOutputs(const Signature& signature, const std::vector<Tensor>& outputs);

// ---- One input as a request decoder meets it (before its data is read) ----
// Every failure is kInvalidArgument and names the input. Pure functions.

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

// Product of `shape` times the element size (MinElementSize: for BYTES the
// 4-byte length prefixes, the least such a tensor takes), refusing negative
// dims and anything over `max_bytes` (which also rules out overflow). `what` names the
// tensor in messages ("input 'x'").
StatusOr<size_t> CheckedByteSize(const std::string& what, const std::vector<int64_t>& shape,
                                 DataType dtype, size_t max_bytes);

// ---- Two signatures (an endpoint's versions) ----

// OK when `candidate` declares the same inputs and outputs as `reference`,
// in the same order, each with the same name, dtype and shape (-1 equal
// only to -1). Otherwise kFailedPrecondition naming the first tensor that
// differs, in `reference_name`'s and `candidate_name`'s terms, e.g.
//   "input 'x': FP32 [-1, 4] in version 'v1', FP32 [-1, 5] in version 'v2'"
//   "output 'p' (FP32 [-1]) of version 'v2' is not in version 'v1'".
// Threading: pure function; safe to call concurrently.
Status CompareSignatures(const Signature& reference, const std::string& reference_name,
                         const Signature& candidate, const std::string& candidate_name);

}  // namespace skiff
