// SPDX-License-Identifier: Apache-2.0
// What a deployment config asks for that this machine must be able to give
// before the local target accepts it: the right computeType, and GPUs that
// are there. A request the target cannot honour is refused at deploy (and
// update) naming the field and the fix, never run without it.
#pragma once

#include <functional>

#include "skiff/config/deployment_config.h"
#include "skiff/status.h"

namespace skiff::compute_local {

// kInvalidArgument for `computeType` "aks"; kFailedPrecondition when
// containerResourceRequirements.gpu >= 1 and `count_gpus` finds fewer.
// `count_gpus` is CountCudaDevices in the target; it is asked only when a
// GPU is requested. Threading: any thread.
Status CheckLocalRequirements(const config::DeploymentConfig& deployment,
                              const std::function<StatusOr<int>()>& count_gpus);

}  // namespace skiff::compute_local
