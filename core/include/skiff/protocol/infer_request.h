// Open Inference Protocol v2 (KServe / Triton REST) request decoding:
// POST /v2/models/{model}[/versions/{v}]/infer with a JSON body
// (docs/protocols.md). Pure: no I/O.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff::protocol {

// A decoded, signature-checked inference request.
struct InferRequest {
  // The client's "id", echoed in the response.
  std::optional<std::string> id;
  // One tensor per signature input, in SIGNATURE order (not request order).
  std::vector<Tensor> inputs;
  // Names from "outputs", in request order; empty = all outputs.
  std::vector<std::string> requested_outputs;
  // The request's "parameters" object; null when absent.
  nlohmann::json parameters;
};

struct DecodeOptions {
  // Most tensor bytes (summed over all inputs, after decoding) one request may
  // carry. Checked against declared shapes before data is decoded and while
  // it is. Default 64 MiB.
  size_t max_input_bytes = size_t{64} << 20;
};

// Decodes and checks `body` against `signature`. Every client mistake
// (malformed JSON, unknown/missing/duplicate input, datatype or shape
// mismatch, ragged or out-of-range data, unknown requested output, too big)
// is kInvalidArgument with a message naming the field or input and the fix.
// Numbers are written straight into each tensor's buffer.
// Threading: pure; safe to call concurrently.
StatusOr<InferRequest> DecodeInferRequest(std::string_view body, const Signature& signature,
                                          const DecodeOptions& options = {});

// The request DecodeInferRequest reads: {"id"?: ..., "inputs": [{"name",
// "datatype", "shape", "data": [flat]}], "outputs"?: [{"name"}]}; "outputs"
// only when `requested_outputs` is not empty. Written straight into the
// returned string, numbers as EncodeInferResponse writes them (what a router
// sends its upstream). Threading: pure.
std::string EncodeInferRequest(const std::vector<Tensor>& inputs,
                               const std::optional<std::string>& id = std::nullopt,
                               const std::vector<std::string>& requested_outputs = {});

}  // namespace skiff::protocol
