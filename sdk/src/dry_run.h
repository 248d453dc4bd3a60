// SPDX-License-Identifier: Apache-2.0
// Internal: what `model deploy --dry-run` and `service update --dry-run`
// share: key digests without creating keys, and rendering through the aks
// plugin into a temporary file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "skiff/compute_target.h"
#include "skiff/config/deployment_config.h"
#include "skiff/sdk/compute_target.h"
#include "skiff/sdk/workspace.h"

namespace skiff::sdk::internal {

// Key mode: digests of the keys `dc` sets, else of the service's keys file,
// else placeholders naming the key a deploy would generate. nullopt otherwise.
std::optional<std::vector<std::string>> DryRunKeyDigests(const Workspace& ws,
                                                         const std::string& service,
                                                         const config::DeploymentConfig& dc);

// The YAML the target's plugin renders for `spec` (DeployService, or
// UpdateService when `update`), without contacting anything.
StatusOr<std::string> RenderDryRun(const ComputeTarget& target, const ServiceSpec& spec,
                                   bool update);

}  // namespace skiff::sdk::internal
