// SPDX-License-Identifier: Apache-2.0
// The OIP binary tensor extension's framing (issue 20): the JSON header's
// length from Inference-Header-Content-Length, each tensor's
// binary_data_size, BYTES length prefixes. Input: "<header value>\n<body>",
// or "!<body>" for a request without the header. Both decoders run
// (request and response); what they hand on must match what they checked,
// and a decoded request must survive a binary round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "skiff/signature_check.h"

namespace {

// Every datatype class the framing treats apart: fixed sizes, BOOL, BYTES.
const skiff::Signature& Signature() {
  static const skiff::Signature signature = [] {
    skiff::Signature s;
    s.inputs = {{"u", skiff::DataType::kUint32, {-1, 2}},
                {"m", skiff::DataType::kBool, {-1}},
                {"s", skiff::DataType::kBytes, {-1}},
                {"h", skiff::DataType::kBf16, {2}}};
    s.outputs = s.inputs;
    return s;
  }();
  return signature;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<std::string_view> header;
  std::string_view body;
  if (!input.empty() && input[0] == '!') {
    body = input.substr(1);
  } else {
    const size_t nl = input.find('\n');
    if (nl == std::string_view::npos) return 0;
    header = input.substr(0, nl);
    body = input.substr(nl + 1);
  }
  skiff::protocol::DecodeOptions options;
  options.max_input_bytes = 4096;
  auto request = skiff::protocol::DecodeInferRequest(body, Signature(), options, header);
  if (request.ok()) {
    size_t total = 0;
    for (const auto& t : request->inputs) total += t.data.size();
    if (total > options.max_input_bytes) __builtin_trap();
    if (!skiff::CheckInputs(Signature(), request->inputs).ok()) __builtin_trap();
    // Every tensor back as binary, then decoded: the same bytes.
    std::vector<std::string> all;
    for (const auto& spec : Signature().outputs) all.push_back(spec.name);
    auto encoded =
        skiff::protocol::EncodeInferResponse("m", "1", request->id, request->inputs, {}, all);
    std::optional<std::string_view> length;
    std::string length_text;
    if (encoded.json_length) {
      length_text = std::to_string(*encoded.json_length);
      length = length_text;
    }
    auto back = skiff::protocol::DecodeInferResponse(encoded.body, Signature(), {}, length);
    if (!back.ok()) __builtin_trap();
    for (size_t i = 0; i < back->outputs.size(); ++i) {
      if (back->outputs[i].data != request->inputs[i].data) __builtin_trap();
    }
  }
  auto response = skiff::protocol::DecodeInferResponse(body, Signature(), options, header);
  if (response.ok() && !skiff::CheckOutputs(Signature(), response->outputs).ok()) {
    __builtin_trap();
  }
  return 0;
}
