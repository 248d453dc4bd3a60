// SPDX-License-Identifier: Apache-2.0
// Lets an AKS cluster pull from an Azure Container Registry: the built-in
// AcrPull role for the cluster's kubelet identity, assigned at the
// registry's scope through ARM (what `az aks update --attach-acr` does).
#pragma once

#include <string>

#include "arm/arm_client.h"
#include "arm/resource_id.h"

namespace skiff::compute_aks {

inline constexpr const char* kRegistryApiVersion = "2023-07-01";
inline constexpr const char* kRoleAssignmentApiVersion = "2022-04-01";
// Azure's built-in role "AcrPull" (the same ID in every tenant).
inline constexpr const char* kAcrPullRoleId = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

// The registry's resource ID: `acr_name` in the cluster's resource group,
// else anywhere in its subscription. InvalidArgument naming --registry when
// ARM has no such registry (nothing else is created then).
StatusOr<std::string> FindRegistryId(ArmClient& arm, const ClusterRef& cluster,
                                     const std::string& acr_name);

// properties.identityProfile.kubeletidentity.objectId of a managedClusters
// GET body; FailedPrecondition when the cluster has none (a cluster with a
// service principal instead of managed identities).
StatusOr<std::string> KubeletObjectId(const std::string& cluster_json);

// The role assignment's name: a UUID derived from the registry, the
// principal and the role, so a retry PUTs the same one instead of adding a
// second (RFC 9562 version 8 layout over SHA-256).
std::string AcrPullAssignmentName(const std::string& registry_id, const std::string& principal_id);

// PUTs the AcrPull assignment for `principal_id` at `registry_id`. Its
// resource ID when ARM created or updated it (200/201): skiff's to remove
// on detach/delete; "" when ARM holds the same grant under another name
// (409 RoleAssignmentExists), which is someone else's.
StatusOr<std::string> GrantAcrPull(ArmClient& arm, const std::string& subscription_id,
                                   const std::string& registry_id, const std::string& principal_id);
// DELETEs the assignment GrantAcrPull made; OK when it is already gone.
Status RevokeAcrPull(ArmClient& arm, const std::string& assignment_id);

}  // namespace skiff::compute_aks
