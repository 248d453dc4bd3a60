// SPDX-License-Identifier: Apache-2.0
// Open Inference Protocol v2 response and error bodies (docs/protocols.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/protocol/infer_request.h"
#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::protocol {

// {"model_name": ..., "model_version": ..., "id"?: ..., "outputs": [{"name",
// "datatype", "shape", "data": [flat, row-major]}]}.
// Only the outputs named in `requested_outputs` are written, in the model's
// order; empty = all. "id" is present only when `id` is. Floats are printed
// with the shortest digits that round-trip at the element's precision (FP16
// decoded to float); BOOL as true/false; NaN and inf as null.
// Writes straight into the returned string (no JSON DOM).
std::string EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                const std::optional<std::string>& id,
                                const std::vector<Tensor>& outputs,
                                const std::vector<std::string>& requested_outputs = {});

// The same with the outputs named in `binary_outputs` as binary data: in
// the JSON, parameters.binary_data_size instead of data; their bytes after
// it, in output order (infer_request.h, the binary tensor extension).
EncodedBody EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                const std::optional<std::string>& id,
                                const std::vector<Tensor>& outputs,
                                const std::vector<std::string>& requested_outputs,
                                const std::vector<std::string>& binary_outputs);

// `[{"name","datatype","shape","data"}, ...]`: the tensor list of both
// messages, for records that quote tensors (data collection).
std::string EncodeTensorList(const std::vector<Tensor>& tensors);

// A decoded, signature-checked inference response (what an upstream
// skiff-server answered).
struct InferResponse {
  std::string model_name, model_version;  // empty when absent
  std::optional<std::string> id;
  // One tensor per signature OUTPUT, in signature order.
  std::vector<Tensor> outputs;
};

// Reads what EncodeInferResponse writes, checked against `signature`'s
// outputs exactly as DecodeInferRequest checks a request's inputs (every
// output present once, datatype and shape, data that fits, at most
// options.max_input_bytes). Mistakes are kInvalidArgument naming the output.
// Threading: pure; safe to call concurrently.
// `inference_header` as for DecodeInferRequest (binary outputs).
StatusOr<InferResponse> DecodeInferResponse(
    std::string_view body, const Signature& signature, const DecodeOptions& options = {},
    std::optional<std::string_view> inference_header = std::nullopt);

// {"error":"<message>"}: the one error body of the data plane (OIP v2's
// shape, also used by the Azure route and by HttpServer's own refusals).
std::string EncodeError(std::string_view message);

}  // namespace skiff::protocol
