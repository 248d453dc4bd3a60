// SPDX-License-Identifier: Apache-2.0
// Managed-cluster resource IDs:
//   /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}
// Segment names and the provider are matched case-insensitively (ARM
// itself returns "resourcegroups" at times).
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks {

struct ClusterRef {
  std::string subscription_id;
  std::string resource_group;
  std::string name;

  // The canonical ID (the form above).
  std::string Id() const;
  // Id() + "?api-version=" + api_version (+ "/" + suffix before the query).
  std::string Path(const std::string& api_version, const std::string& suffix = "") const;
};

// InvalidArgument quoting the ID and the expected shape.
StatusOr<ClusterRef> ParseClusterId(const std::string& resource_id);

// Case-insensitive comparison of two IDs (ARM IDs are case-insensitive).
bool SameResourceId(const std::string& a, const std::string& b);

}  // namespace skiff::compute_aks
