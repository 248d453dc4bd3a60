// SPDX-License-Identifier: Apache-2.0
#include "k8s/metrics_objects.h"

#include "k8s/labels.h"
#include "k8s/pod_paths.h"

namespace skiff::compute_aks::k8s {

using nlohmann::json;

namespace {

// Selects the metrics Service itself (the ServiceMonitor's selector).
LabelSet MetricsLabels(const ServicePlan& plan) { return {plan.service, kComponentMetrics, ""}; }

}  // namespace

json MetricsContainerPort() {
  return {{"name", "metrics"}, {"containerPort", kMetricsPort}, {"protocol", "TCP"}};
}

void AddScrapeAnnotations(json* pod_template_metadata) {
  json& annotations = (*pod_template_metadata)["annotations"];
  annotations["prometheus.io/scrape"] = "true";
  annotations["prometheus.io/port"] = std::to_string(kMetricsPort);
  annotations["prometheus.io/path"] = "/metrics";
}

std::string MetricsObjectName(const ServicePlan& plan) { return plan.name_base + "-metrics"; }

json MetricsService(const ServicePlan& plan) {
  // Every pod of the service carries app.kubernetes.io/instance (labels.h).
  const json selector = {{"app.kubernetes.io/instance", plan.service}};
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", MetricsObjectName(plan)},
            {"namespace", plan.ns},
            {"labels", Labels(MetricsLabels(plan))}}},
          {"spec",
           {{"type", "ClusterIP"},
            {"selector", selector},
            {"ports",
             {{{"name", "metrics"},
               {"port", kMetricsPort},
               {"targetPort", "metrics"},
               {"protocol", "TCP"}}}}}}};
}

json MetricsServiceMonitor(const ServicePlan& plan) {
  return {{"apiVersion", "monitoring.coreos.com/v1"},
          {"kind", "ServiceMonitor"},
          {"metadata",
           {{"name", MetricsObjectName(plan)},
            {"namespace", plan.ns},
            {"labels", Labels(MetricsLabels(plan))}}},
          {"spec",
           {{"selector", {{"matchLabels", SelectorLabels(MetricsLabels(plan))}}},
            {"endpoints", {{{"port", "metrics"}, {"path", "/metrics"}, {"interval", "30s"}}}}}}};
}

}  // namespace skiff::compute_aks::k8s
