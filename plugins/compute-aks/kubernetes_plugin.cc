// SPDX-License-Identifier: Apache-2.0
// libskiff_compute_kubernetes.so: the "kubernetes" compute target, any
// Kubernetes cluster reached through the user's kubeconfig (exec plugins
// such as kubelogin included) and no Azure Resource Manager at all. It is
// AksComputeTarget in its kubeconfig mode, built from the same library: the
// renderer (k8s/), the client (kube/) and the service lifecycle are the
// ones the aks target uses, so both kinds of cluster run services the same
// way (docs/kubernetes.md § Any cluster).
// create() options: the compute record's config_json (ParseKubernetesConfig).
#include <memory>
#include <string>

#include "aks_compute_target.h"
#include "aks_config.h"
#include "skiff/plugin_export.h"

namespace {

skiff::StatusOr<std::unique_ptr<skiff::ComputeTarget>> MakeKubernetesComputeTarget(
    const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(auto config, skiff::compute_aks::ParseKubernetesConfig(options_json));
  skiff::compute_aks::AksTargetOptions options;
  options.config = std::move(config);
  SKIFF_ASSIGN_OR_RETURN(auto made,
                         skiff::compute_aks::AksComputeTarget::Create(std::move(options)));
  return std::unique_ptr<skiff::ComputeTarget>(std::move(made));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::ComputeTarget, "kubernetes", "0.1.0",
                    "Any Kubernetes cluster through a kubeconfig (exec credential plugins "
                    "included), without Azure Resource Manager",
                    MakeKubernetesComputeTarget)
