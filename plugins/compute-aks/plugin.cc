// SPDX-License-Identifier: Apache-2.0
// libskiff_compute_aks.so: the C entry point for AksComputeTarget.
// create() options: the compute record's config_json (aks_config.h),
// validated here so a bad configuration is refused before anything is
// stored or sent.
#include <memory>
#include <string>

#include "aks_compute_target.h"
#include "aks_config.h"
#include "skiff/plugin_export.h"

namespace {

skiff::StatusOr<std::unique_ptr<skiff::ComputeTarget>> MakeAksComputeTarget(
    const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(auto config, skiff::compute_aks::ParseAksConfig(options_json));
  skiff::compute_aks::AksTargetOptions options;
  options.config = std::move(config);
  SKIFF_ASSIGN_OR_RETURN(auto made,
                         skiff::compute_aks::AksComputeTarget::Create(std::move(options)));
  return std::unique_ptr<skiff::ComputeTarget>(std::move(made));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::ComputeTarget, "aks", "0.1.0",
                    "Azure Kubernetes Service clusters through Azure Resource Manager",
                    MakeAksComputeTarget)
