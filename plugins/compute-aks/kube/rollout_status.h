// SPDX-License-Identifier: Apache-2.0
// Rollout status as a pure function of a Deployment and its pods, the way
// `kubectl rollout status` judges it, plus the pod problems that mean the
// rollout will not finish by itself.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace skiff::compute_aks::kube {

enum class RolloutPhase {
  kProgressing,  // not done yet, nothing known to be wrong
  kComplete,     // observedGeneration >= generation, updated == available == replicas
  kUnhealthy,    // a pod cannot be scheduled (PodScheduled=False, Unschedulable)
  kFailed,       // a container is in CrashLoopBackOff / ImagePullBackOff / ErrImagePull /
                 // CreateContainerConfigError / InvalidImageName, or the
                 // deployment's progress deadline passed (observedGeneration
                 // >= generation: not a condition left from the last rollout)
};

struct RolloutStatus {
  RolloutPhase phase = RolloutPhase::kProgressing;
  std::string reason;   // Kubernetes' reason: "Unschedulable", "CrashLoopBackOff", ...
  std::string message;  // for people: names the pod and container and the cause
  int64_t generation = 0, observed_generation = 0;
  int64_t replicas = 0;                                        // desired (spec.replicas, default 1)
  int64_t current = 0, updated = 0, ready = 0, available = 0;  // from status
};

// `deployment`: an apps/v1 Deployment; `pods`: a PodList (or null: no pod
// checks). Tolerates missing and ill-typed fields (fuzzed:
// fuzz/kube_response_fuzzer.cc). Pod problems are only reported while the
// rollout is not complete.
RolloutStatus EvaluateRollout(const nlohmann::json& deployment, const nlohmann::json& pods);

// "2/3 updated, 1/3 available (observed generation 4 of 5)".
std::string ProgressText(const RolloutStatus& status);

}  // namespace skiff::compute_aks::kube
