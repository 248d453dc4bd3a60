// SPDX-License-Identifier: Apache-2.0
// Prometheus scraping of one service's pods (issue 19.3). Every
// skiff-server container serves GET /metrics on its own container port
// (kMetricsPort, named "metrics"); no Service the public load balancer
// fronts selects it, so metrics stay inside the cluster. Scrapers find the
// pods by their prometheus.io/* annotations or, with the
// `kubernetes.serviceMonitor` option, through a prometheus-operator
// ServiceMonitor over a ClusterIP Service. See docs/kubernetes.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

// The container port entry {"name": "metrics", "containerPort": kMetricsPort}.
nlohmann::json MetricsContainerPort();

// prometheus.io/scrape "true", prometheus.io/port, prometheus.io/path on a
// pod template's metadata.annotations (kept with the others there).
void AddScrapeAnnotations(nlohmann::json* pod_template_metadata);

// The name of the metrics Service and its ServiceMonitor: "<service>-metrics".
std::string MetricsObjectName(const ServicePlan& plan);

// ClusterIP Service over every pod of the service (router and versions),
// port "metrics" only. Rendered with the ServiceMonitor, which selects
// Services, not pods.
nlohmann::json MetricsService(const ServicePlan& plan);

// monitoring.coreos.com/v1 ServiceMonitor selecting MetricsService(plan):
// endpoint port "metrics", path /metrics, every 30 s.
nlohmann::json MetricsServiceMonitor(const ServicePlan& plan);

}  // namespace skiff::compute_aks::k8s
