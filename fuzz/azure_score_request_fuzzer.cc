// SPDX-License-Identifier: Apache-2.0
// Azure ML style {"data": ...} bodies (DecodeAzureScoreRequest) against a
// multi-input signature and a one-input one (bare arrays, flat reshape).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_signature.h"
#include "skiff/protocol/azure_score.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  skiff::protocol::DecodeOptions options;
  options.max_input_bytes = 4096;
  for (const auto* signature :
       {&skiff::fuzz::FuzzSignature(), &skiff::fuzz::FuzzSingleInputSignature()}) {
    auto decoded = skiff::protocol::DecodeAzureScoreRequest(body, *signature, options);
    if (!decoded.ok()) continue;
    size_t total = 0;
    for (const auto& tensor : *decoded) {
      if (tensor.data.size() !=
          static_cast<size_t>(tensor.NumElements()) * skiff::DataTypeSize(tensor.dtype))
        __builtin_trap();
      total += tensor.data.size();
    }
    if (total > options.max_input_bytes) __builtin_trap();
    // Echoing the inputs back exercises the response encoder on odd shapes.
    (void)skiff::protocol::EncodeAzureScoreResponse(*decoded);
  }
  return 0;
}
