// SPDX-License-Identifier: Apache-2.0
// The probes of a skiff-server container, from Azure ML's
// livenessProbeRequirements (issue 19.6; docs/kubernetes.md, "Probes").
//
// Azure's initialDelaySeconds (default 310) is the time a container gets
// before liveness counts. skiff-server answers GET /v2/health/live as soon
// as it listens, before its models load (readiness waits for them), so the
// delay becomes a startupProbe instead: the container has up to
// initialDelaySeconds to answer liveness once, probed every
// kStartupPeriodSeconds, and liveness runs from then on with no delay. A
// container that hangs after it started is restarted after
// periodSeconds x failureThreshold (30 s by default), not after five
// minutes; one that never answers still gets Azure's whole delay.
#pragma once

#include <nlohmann/json.hpp>

#include "skiff/config/deployment_config.h"

namespace skiff::compute_aks::k8s {

inline constexpr int kStartupPeriodSeconds = 2;

struct ContainerProbes {
  nlohmann::json startup;    // GET /v2/health/live, every kStartupPeriodSeconds,
                             // ceil(initialDelaySeconds / period) failures allowed
  nlohmann::json liveness;   // GET /v2/health/live: period, timeout, failures;
                             // successThreshold 1 (Kubernetes requires it)
  nlohmann::json readiness;  // GET /v2/health/ready: period, timeout, failures, successes
};

// The probes on the container port named "http".
ContainerProbes ServerProbes(const config::LivenessProbeRequirements& requirements);

}  // namespace skiff::compute_aks::k8s
