// SPDX-License-Identifier: Apache-2.0
// The security contexts of every skiff pod and container: non-root (the
// image's uid kRunAsUser), read-only root filesystem, no privilege
// escalation, no capabilities, the runtime's default seccomp profile.
#pragma once

#include <nlohmann/json.hpp>

namespace skiff::compute_aks::k8s {

nlohmann::json PodSecurityContext();
nlohmann::json ContainerSecurityContext();

}  // namespace skiff::compute_aks::k8s
