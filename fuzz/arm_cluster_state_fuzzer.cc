// SPDX-License-Identifier: Apache-2.0
// ARM managed-cluster bodies (GET/PUT responses) -> MergeClusterState, the
// compute target's view of a cluster (plugins/compute-aks). Checks: no
// crash or exception whatever the JSON holds, and the merged info keeps the
// types the target reports (strings, an integer node count).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "aks_compute_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nlohmann::json;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const json cluster = json::parse(input, nullptr, false);
  json info = {{"name", "aks"}, {"computeType", "AKS"}};
  skiff::compute_aks::MergeClusterState(cluster, &info);
  for (const char* key : {"location", "provisioningState", "fqdn", "kubernetesVersion", "vmSize"}) {
    if (info.contains(key) && !info[key].is_string()) std::abort();
  }
  if (info.contains("agentCount") && !info["agentCount"].is_number_integer()) std::abort();
  (void)info.dump();
  return 0;
}
