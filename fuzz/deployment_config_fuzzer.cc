// SPDX-License-Identifier: Apache-2.0
// Deployment config JSON (ParseDeploymentConfig, ApplyDeploymentUpdate): a
// config that parses must validate, print and parse back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "skiff/config/deployment_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = skiff::config::ParseDeploymentConfig(text);
  // The same text as an update over the defaults (partial documents allowed).
  auto updated = skiff::config::ApplyDeploymentUpdate(skiff::config::DeploymentConfig{}, text);
  if (!parsed.ok()) return 0;
  const auto json = skiff::config::ToJson(*parsed);
  auto again = skiff::config::ParseDeploymentConfig(json.dump());
  if (!again.ok() || skiff::config::ToJson(*again) != json) __builtin_trap();
  (void)updated;
  return 0;
}
