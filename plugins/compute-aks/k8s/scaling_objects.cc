// SPDX-License-Identifier: Apache-2.0
#include "k8s/scaling_objects.h"

#include <algorithm>

#include "k8s/labels.h"

namespace skiff::compute_aks::k8s {

using nlohmann::json;

std::optional<json> VersionAutoscaler(const ServicePlan& plan, const VersionPlan& version) {
  // The version's own autoscaler (per-version --dc), else the service's.
  const auto& s = version.server_config.deployment.auto_scaler;
  if (!s.autoscale_enabled) return std::nullopt;
  const LabelSet set{plan.service, kComponentModelVersion, version.k8s_name};
  const int period = std::clamp(s.refresh_period_in_seconds, 1, 1800);
  json up_policies = {{{"type", "Percent"}, {"value", 100}, {"periodSeconds", period}},
                      {{"type", "Pods"}, {"value", 4}, {"periodSeconds", period}}};
  json down_policies = {{{"type", "Percent"}, {"value", 100}, {"periodSeconds", period}}};
  return json{
      {"apiVersion", "autoscaling/v2"},
      {"kind", "HorizontalPodAutoscaler"},
      {"metadata",
       {{"name", version.object_name}, {"namespace", plan.ns}, {"labels", Labels(set)}}},
      {"spec",
       {{"scaleTargetRef",
         {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", version.object_name}}},
        {"minReplicas", s.min_replicas},
        {"maxReplicas", s.max_replicas},
        {"metrics",
         {{{"type", "Resource"},
           {"resource",
            {{"name", "cpu"},
             {"target",
              {{"type", "Utilization"}, {"averageUtilization", s.target_utilization}}}}}}}},
        {"behavior",
         {{"scaleUp",
           {{"stabilizationWindowSeconds", 0}, {"selectPolicy", "Max"}, {"policies", up_policies}}},
          {"scaleDown",
           {{"stabilizationWindowSeconds", 300},
            {"selectPolicy", "Max"},
            {"policies", down_policies}}}}}}}};
}

json VersionDisruptionBudget(const ServicePlan& plan, const VersionPlan& version) {
  const LabelSet set{plan.service, kComponentModelVersion, version.k8s_name};
  return {{"apiVersion", "policy/v1"},
          {"kind", "PodDisruptionBudget"},
          {"metadata",
           {{"name", version.object_name}, {"namespace", plan.ns}, {"labels", Labels(set)}}},
          {"spec", {{"maxUnavailable", 1}, {"selector", {{"matchLabels", SelectorLabels(set)}}}}}};
}

}  // namespace skiff::compute_aks::k8s
