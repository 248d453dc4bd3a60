// SPDX-License-Identifier: Apache-2.0
// Azure ML style scoring: POST /api/v1/service/{service}/score with
// {"data": ...} (docs/protocols.md). Pure: no I/O.
//
// Request:
//  - one-input model: {"data": <array>}, or {"data": {"<input>": <array>}};
//  - several inputs:  {"data": {"a": <array>, "b": <array>}}.
// Shapes come from the nesting: a nested array's rank must equal the
// signature's rank and match every fixed dimension. One exception, for
// clients that send a flat list: a flat array for a signature of rank R > 1
// whose dims after the first are all fixed is reshaped to
// [n / prod(dims[1:]), dims[1:]...] (e.g. [-1, 4] takes 8 numbers as [2, 4]);
// n must divide evenly and a fixed first dim must match.
//
// Response: {"result": <nested array>} for a one-output model;
// {"result": {"<output>": <nested array>, ...}} for several.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "skiff/protocol/infer_request.h"
#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::protocol {

// Decodes and checks `body`; tensors come back in signature order. Client
// mistakes are kInvalidArgument naming the input and the fix.
// Threading: pure; safe to call concurrently.
StatusOr<std::vector<Tensor>> DecodeAzureScoreRequest(std::string_view body,
                                                      const Signature& signature,
                                                      const DecodeOptions& options = {});

// The response body described above; `outputs` in signature order.
std::string EncodeAzureScoreResponse(const std::vector<Tensor>& outputs);

}  // namespace skiff::protocol
