// SPDX-License-Identifier: Apache-2.0
// Scaling and availability of a version's Deployment: an autoscaling/v2
// HorizontalPodAutoscaler from `autoScaler`, and a policy/v1
// PodDisruptionBudget.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

// With autoscaling on: minReplicas/maxReplicas from autoScaler, CPU
// averageUtilization = targetUtilization, and scale-up/down policies whose
// periodSeconds is refreshPeriodInSeconds (at most 1800, Kubernetes' limit).
// nullopt with autoscaling off (the Deployment has a fixed `replicas`:
// numReplicas, or 1).
std::optional<nlohmann::json> VersionAutoscaler(const ServicePlan& plan,
                                                const VersionPlan& version);

// maxUnavailable 1: voluntary disruptions (node drains, upgrades) take at
// most one replica at a time, yet a single-replica version can still drain.
nlohmann::json VersionDisruptionBudget(const ServicePlan& plan, const VersionPlan& version);

}  // namespace skiff::compute_aks::k8s
