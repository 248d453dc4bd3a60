// SPDX-License-Identifier: Apache-2.0
// For a `registry` that is not an ACR: the nodes pull with the user's own
// credentials, taken from a docker config.json at create/attach, kept in the
// target's folder (cluster_files.h, 0600) and rendered as a
// kubernetes.io/dockerconfigjson Secret that every pod template names in
// `imagePullSecrets`. Only that registry's entry travels.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "registry_ref.h"
#include "skiff/status.h"

namespace skiff::compute_aks {

// `{"auths": {"<host>": {"username", "password", "auth"}}}` for
// `registry.host` from the docker config at `config_path` ("" : $DOCKER_CONFIG
// or ~/.docker/config.json). InvalidArgument naming the file, the host and
// the fix when it holds no username/password for the host (an identity
// token alone cannot be used by the kubelet). Never puts a secret in a message.
StatusOr<std::string> PullSecretFromDockerConfig(const RegistryRef& registry,
                                                 const std::string& config_path);

// Appends the Secret `<service>-registry` (labels and namespace of the
// service's Deployments) and names it in every Deployment's pod template.
// `redact`: the data shows as "<redacted: N bytes>" (--dry-run).
void AddPullSecret(const std::string& service, const std::string& dockerconfigjson, bool redact,
                   std::vector<nlohmann::json>* objects);

}  // namespace skiff::compute_aks
