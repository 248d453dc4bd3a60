// SPDX-License-Identifier: Apache-2.0
// What the AKS target keeps locally, per target, in
// <workspace>/compute/<name>/ (0700):
//   cluster.json  the link and the last description (0600): resourceId,
//                 attached, clusterPurpose, provisioningState,
//                 kubernetesVersion, agentCount, vmSize, ... (read by
//                 `skiff computetarget show`)
//   kubeconfig    the cluster user kubeconfig (0600)
//   registry-auth.json  for `registry` other than an ACR: a docker
//                 config.json holding only that registry's `auths` entry
//                 (0600), rendered as the pods' imagePullSecret
//   tls.crt, tls.key  copies of --ssl-cert-file/--ssl-key-file (0600), read
//                 at every deploy and rendered as the router's TLS Secret
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks {

std::string ClusterDir(const std::string& workspace_dir, const std::string& name);

Status WriteClusterInfo(const std::string& workspace_dir, const std::string& name,
                        const nlohmann::json& info);
// kNotFound when the target has no cluster.json.
StatusOr<nlohmann::json> ReadClusterInfo(const std::string& workspace_dir, const std::string& name);
Status WriteKubeconfig(const std::string& workspace_dir, const std::string& name,
                       const std::string& kubeconfig);
Status WriteRegistryAuth(const std::string& workspace_dir, const std::string& name,
                         const std::string& dockerconfigjson);
// kNotFound when the target keeps none.
StatusOr<std::string> ReadRegistryAuth(const std::string& workspace_dir, const std::string& name);
// The front door's certificate chain and key (PEM), kept at create.
struct TlsPair {
  std::string cert_pem, key_pem;
};
Status WriteTlsPair(const std::string& workspace_dir, const std::string& name, const TlsPair& pair);
// kNotFound when the target keeps none.
StatusOr<TlsPair> ReadTlsPair(const std::string& workspace_dir, const std::string& name);
bool KubeconfigExists(const std::string& workspace_dir, const std::string& name);
// Removes <ws>/compute/<name>/ (no error when it is not there).
Status RemoveClusterFiles(const std::string& workspace_dir, const std::string& name);

// The target (other than `except`) whose cluster.json links `resource_id`.
std::optional<std::string> FindTargetLinking(const std::string& workspace_dir,
                                             const std::string& resource_id,
                                             const std::string& except);

}  // namespace skiff::compute_aks
