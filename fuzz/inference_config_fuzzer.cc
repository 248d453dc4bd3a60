// SPDX-License-Identifier: Apache-2.0
// Inference config JSON (ParseInferenceConfig): a config that parses must
// print and parse back to the same JSON and give a signature.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "skiff/config/inference_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = skiff::config::ParseInferenceConfig(text);
  if (!parsed.ok()) return 0;
  const auto json = skiff::config::ToJson(*parsed);
  auto again = skiff::config::ParseInferenceConfig(json.dump());
  if (!again.ok() || skiff::config::ToJson(*again) != json) __builtin_trap();
  (void)skiff::config::ToSignature(*parsed);
  return 0;
}
