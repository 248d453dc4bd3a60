// SPDX-License-Identifier: Apache-2.0
// The PUT body for Microsoft.ContainerService/managedClusters, shaped like
// the official example ManagedClustersCreate_Update.json of api-version
// 2024-02-01 (Azure/azure-rest-api-specs, aks/stable/2024-02-01/examples),
// trimmed to what a skiff cluster needs. docs/compute-aks.md explains each
// field and what an internal load balancer and SSL change.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "aks_config.h"

namespace skiff::compute_aks {

inline constexpr const char* kApiVersion = "2024-02-01";
inline constexpr const char* kAgentPoolName = "agentpool";

// `cluster_name`: the Azure resource name (the config's or the target's).
nlohmann::json ManagedClusterBody(const AksProvisioningConfig& config,
                                  const std::string& cluster_name);

// A DNS prefix from the cluster name: lower case, [a-z0-9-], <= 54 chars,
// starting and ending with an alphanumeric.
std::string DnsPrefixFor(const std::string& cluster_name);

}  // namespace skiff::compute_aks
