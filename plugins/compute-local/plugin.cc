// SPDX-License-Identifier: Apache-2.0
// libskiff_compute_local.so: the C entry point for LocalComputeTarget.
// create() options: see options.h.
#include <memory>
#include <string>

#include "local_compute_target.h"
#include "options.h"
#include "skiff/plugin_export.h"

namespace {

skiff::StatusOr<std::unique_ptr<skiff::ComputeTarget>> MakeLocalComputeTarget(
    const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(auto options, skiff::compute_local::ParseOptions(options_json));
  SKIFF_ASSIGN_OR_RETURN(auto made,
                         skiff::compute_local::LocalComputeTarget::Create(std::move(options)));
  return std::unique_ptr<skiff::ComputeTarget>(std::move(made));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::ComputeTarget, "local", "0.1.0",
                    "services as supervised skiff-server processes on this machine",
                    MakeLocalComputeTarget)
