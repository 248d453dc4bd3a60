// SPDX-License-Identifier: Apache-2.0
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
  // The outputs to answer as binary data (the binary tensor extension): an
  // output's parameters.binary_data, else the request's
  // parameters.binary_data_output. In the model's order; empty = all JSON.
  std::vector<std::string> binary_outputs;
};

struct DecodeOptions {
  // Most tensor bytes (summed over all inputs, after decoding) one request may
  // carry. Checked against declared shapes before data is decoded and while
  // it is. Default 64 MiB.
  size_t max_input_bytes = size_t{64} << 20;
};

// ---- The binary tensor extension (Triton's; KServe's and tritonclient's
// Python clients send it by default) ----
// A body is a JSON header, this header giving its length, followed by the
// tensors whose parameters.binary_data_size say so, in list order:
// little-endian, row-major, BOOL one byte, BYTES each element a 4-byte
// length and its bytes (Tensor's own layout, so the bytes are copied once,
// straight into the tensor).
inline constexpr char kInferenceHeaderContentLength[] = "Inference-Header-Content-Length";

// The header's value as a length within a `body_size`-byte body; anything
// else (empty, a sign, not digits, past the body) is kInvalidArgument naming
// the header and the fix.
StatusOr<size_t> ParseInferenceHeaderLength(std::string_view value, size_t body_size);

// Decodes and checks `body` against `signature`. Every client mistake
// (malformed JSON, unknown/missing/duplicate input, datatype or shape
// mismatch, ragged or out-of-range data, unknown requested output, too big)
// is kInvalidArgument with a message naming the field or input and the fix.
// Numbers are written straight into each tensor's buffer.
// `inference_header`: the request's Inference-Header-Content-Length value,
// nullopt when it had none (then the whole body is JSON and no input may
// say binary_data_size). Every disagreement between the header, the sizes,
// the shapes and the body is kInvalidArgument naming the input.
// Threading: pure; safe to call concurrently.
StatusOr<InferRequest> DecodeInferRequest(
    std::string_view body, const Signature& signature, const DecodeOptions& options = {},
    std::optional<std::string_view> inference_header = std::nullopt);

// The same decode for a request whose binary tensors are held apart from
// its JSON (the gRPC listener's raw_input_contents): `json` is the whole
// JSON, and the inputs with parameters.binary_data_size take
// `binary_parts` in list order, one whole part each (a part of another
// size, or one left over, is kInvalidArgument). Each part is copied once,
// straight into its tensor, with every check of DecodeInferRequest; the
// parts are not used after this returns. Threading: pure.
StatusOr<InferRequest> DecodeInferRequestParts(std::string_view json,
                                               const std::vector<std::string_view>& binary_parts,
                                               const Signature& signature,
                                               const DecodeOptions& options = {});

// The request DecodeInferRequest reads: {"id"?: ..., "inputs": [{"name",
// "datatype", "shape", "data": [flat]}], "outputs"?: [{"name"}]}; "outputs"
// only when `requested_outputs` is not empty. Written straight into the
// returned string, numbers as EncodeInferResponse writes them (what a router
// sends its upstream). Threading: pure.
std::string EncodeInferRequest(const std::vector<Tensor>& inputs,
                               const std::optional<std::string>& id = std::nullopt,
                               const std::vector<std::string>& requested_outputs = {});

// A message body under the binary tensor extension.
struct EncodedBody {
  std::string body;
  // Length of the JSON at the start of `body`, the Inference-Header-Content-
  // Length to send; nullopt when no tensor went binary (all of it is JSON).
  std::optional<size_t> json_length;
};

// The request a router sends its upstream: every input as binary data and
// parameters.binary_data_output, so the answer comes back binary too.
// Threading: pure.
EncodedBody EncodeBinaryInferRequest(const std::vector<Tensor>& inputs);

}  // namespace skiff::protocol
