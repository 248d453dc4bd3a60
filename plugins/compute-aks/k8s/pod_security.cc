// SPDX-License-Identifier: Apache-2.0
#include "k8s/pod_security.h"

#include "k8s/pod_paths.h"

namespace skiff::compute_aks::k8s {

nlohmann::json PodSecurityContext() {
  return {{"runAsNonRoot", true},
          {"runAsUser", kRunAsUser},
          {"runAsGroup", kRunAsUser},
          {"fsGroup", kRunAsUser},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

nlohmann::json ContainerSecurityContext() {
  return {{"runAsNonRoot", true},
          {"readOnlyRootFilesystem", true},
          {"allowPrivilegeEscalation", false},
          {"capabilities", {{"drop", {"ALL"}}}}};
}

}  // namespace skiff::compute_aks::k8s
