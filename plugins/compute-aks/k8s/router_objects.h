// The front end: the router Deployment (nginx from the skiff image, config
// from the ConfigMap), its PodDisruptionBudget and the LoadBalancer Service
// named after the skiff service (internal per the compute target).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "k8s/cluster_settings.h"
#include "k8s/render_options.h"
#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

std::string RouterName(const ServicePlan& plan);     // "<service>-router"
std::string ConfigMapName(const ServicePlan& plan);  // "<service>-config"

// 2 replicas on FastProd clusters, 1 on DevTest. `conf_sha256` is the
// nginx.conf hash (a pod-template annotation: a new split rolls the router).
nlohmann::json RouterDeployment(const ServicePlan& plan, const ClusterSettings& cluster,
                                const RenderOptions& options, const std::string& conf_sha256);
nlohmann::json RouterDisruptionBudget(const ServicePlan& plan);
// type LoadBalancer, port 80. InternalLoadBalancer adds
// service.beta.kubernetes.io/azure-load-balancer-internal: "true" and
// ...-internal-subnet (the subnet's name; default "aks-subnet").
nlohmann::json RouterService(const ServicePlan& plan, const ClusterSettings& cluster);

}  // namespace skiff::compute_aks::k8s
