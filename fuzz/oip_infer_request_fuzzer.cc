// SPDX-License-Identifier: Apache-2.0
// OIP v2 infer bodies (DecodeInferRequest) against a fixed signature with
// several dtypes; a small max_input_bytes keeps the size checks in reach.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_signature.h"
#include "skiff/protocol/infer_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  skiff::protocol::DecodeOptions options;
  options.max_input_bytes = 4096;
  for (const auto* signature :
       {&skiff::fuzz::FuzzSignature(), &skiff::fuzz::FuzzSingleInputSignature()}) {
    auto decoded = skiff::protocol::DecodeInferRequest(body, *signature, options);
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
