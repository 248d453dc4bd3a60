// SPDX-License-Identifier: Apache-2.0
// OIP v2 infer bodies (DecodeInferRequest) against a fixed signature with
// several dtypes; a small max_input_bytes keeps the size checks in reach.
//
// Differential: the same body behind a UTF-8 BOM takes nlohmann's parser
// (the fast tokenizer, fast_sax.h, does not take a BOM; nlohmann skips it)
// and must decode to the same tensors or be refused with the same message
// (a syntax error's byte position moved by the BOM's three bytes aside).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_signature.h"
#include "skiff/protocol/infer_request.h"

namespace {

bool SameTensors(const std::vector<skiff::Tensor>& a, const std::vector<skiff::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].dtype != b[i].dtype || a[i].shape != b[i].shape ||
        a[i].data != b[i].data) {
      return false;
    }
  }
  return true;
}

bool IsSyntaxError(const std::string& message) {
  return message.find("JSON") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  skiff::protocol::DecodeOptions options;
  options.max_input_bytes = 4096;
  const bool starts_with_bom = body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF";
  const std::string behind_bom = "\xEF\xBB\xBF" + std::string(body);
  for (const auto* signature :
       {&skiff::fuzz::FuzzSignature(), &skiff::fuzz::FuzzSingleInputSignature()}) {
    auto decoded = skiff::protocol::DecodeInferRequest(body, *signature, options);
    if (!starts_with_bom) {
      auto slow = skiff::protocol::DecodeInferRequest(behind_bom, *signature, options);
      if (decoded.ok() != slow.ok()) __builtin_trap();
      if (decoded.ok()) {
        if (!SameTensors(decoded->inputs, slow->inputs) || decoded->id != slow->id ||
            decoded->parameters != slow->parameters ||
            decoded->requested_outputs != slow->requested_outputs ||
            decoded->binary_outputs != slow->binary_outputs) {
          __builtin_trap();
        }
      } else {
        const std::string& fast_message = decoded.status().message();
        const std::string& slow_message = slow.status().message();
        if (IsSyntaxError(fast_message) != IsSyntaxError(slow_message)) __builtin_trap();
        if (!IsSyntaxError(fast_message) && fast_message != slow_message) __builtin_trap();
      }
    }
    if (!decoded.ok()) continue;
    // What a decoder hands on must match what it checked.
    size_t total = 0;
    for (const auto& tensor : decoded->inputs) {
      if (tensor.data.size() !=
          static_cast<size_t>(tensor.NumElements()) * skiff::DataTypeSize(tensor.dtype))
        __builtin_trap();
      total += tensor.data.size();
    }
    if (total > options.max_input_bytes) __builtin_trap();
  }
  return 0;
}
