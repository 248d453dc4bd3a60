// SPDX-License-Identifier: Apache-2.0
#include "local_requirements.h"

#include <string>

namespace skiff::compute_local {

Status CheckLocalRequirements(const config::DeploymentConfig& deployment,
                              const std::function<StatusOr<int>()>& count_gpus) {
  if (deployment.compute_type != config::ComputeType::kLocal) {
    return InvalidArgument(std::string("deployment config: `computeType` is \"") +
                           config::ComputeTypeName(deployment.compute_type) +
                           "\" but the service is being deployed to a local compute target; set "
                           "`computeType` to \"local\" (or leave it out), or deploy to an " +
                           config::ComputeTypeName(deployment.compute_type) + " compute target");
  }
  const int32_t wanted = deployment.container_resource_requirements.gpu;
  if (wanted <= 0) return OkStatus();
  auto have = count_gpus();
  const std::string ask = "deployment config: `containerResourceRequirements.gpu` is " +
                          std::to_string(wanted) + " but ";
  const std::string fix =
      "; set `gpu` to 0 to run on the CPU, or deploy to a compute target with GPUs";
  if (!have.ok()) return FailedPrecondition(ask + have.status().message() + fix);
  if (*have < wanted) {
    return FailedPrecondition(ask + "this machine shows " + std::to_string(*have) +
                              " CUDA device(s) (CUDA_VISIBLE_DEVICES applies)" + fix);
  }
  return OkStatus();
}

}  // namespace skiff::compute_local
