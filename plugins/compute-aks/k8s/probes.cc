// SPDX-License-Identifier: Apache-2.0
#include "k8s/probes.h"

#include <algorithm>

namespace skiff::compute_aks::k8s {

using nlohmann::json;

ContainerProbes ServerProbes(const config::LivenessProbeRequirements& p) {
  const auto get = [](const char* path) { return json{{"path", path}, {"port", "http"}}; };
  ContainerProbes probes;
  // At least one try; enough tries to cover Azure's whole delay.
  const int startup_failures =
      std::max(1, (p.initial_delay_seconds + kStartupPeriodSeconds - 1) / kStartupPeriodSeconds);
  probes.startup = {{"httpGet", get("/v2/health/live")},
                    {"periodSeconds", kStartupPeriodSeconds},
                    {"timeoutSeconds", p.timeout_seconds},
                    {"successThreshold", 1},
                    {"failureThreshold", startup_failures}};
  probes.liveness = {{"httpGet", get("/v2/health/live")},
                     {"periodSeconds", p.period_seconds},
                     {"timeoutSeconds", p.timeout_seconds},
                     {"successThreshold", 1},
                     {"failureThreshold", p.failure_threshold}};
  probes.readiness = {{"httpGet", get("/v2/health/ready")},
                      {"periodSeconds", p.period_seconds},
                      {"timeoutSeconds", p.timeout_seconds},
                      {"successThreshold", p.success_threshold},
                      {"failureThreshold", p.failure_threshold}};
  return probes;
}

}  // namespace skiff::compute_aks::k8s
