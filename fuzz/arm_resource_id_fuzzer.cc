// SPDX-License-Identifier: Apache-2.0
// Managed-cluster resource IDs (plugins/compute-aks arm/resource_id.h). Checks:
// an ID that parses has non-empty parts, its canonical form parses to the
// same parts and names the same resource (case-insensitively).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "arm/resource_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using skiff::compute_aks::ParseClusterId;
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto ref = ParseClusterId(input);
  if (!ref.ok()) return 0;
  if (ref->subscription_id.empty() || ref->resource_group.empty() || ref->name.empty()) {
    std::abort();
  }
  auto again = ParseClusterId(ref->Id());
  if (!again.ok() || again->subscription_id != ref->subscription_id ||
      again->resource_group != ref->resource_group || again->name != ref->name) {
    std::abort();
  }
  if (!skiff::compute_aks::SameResourceId(ref->Id(), input)) std::abort();
  (void)ref->Path("2024-02-01", "listClusterUserCredential");
  return 0;
}
