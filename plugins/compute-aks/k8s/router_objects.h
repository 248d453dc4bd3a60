// SPDX-License-Identifier: Apache-2.0
// The front end: the router Deployment (skiff-server from the skiff image
// with the plan's router_server_config: auth, traffic split, limits, each
// version an `upstream`), its PodDisruptionBudget and the LoadBalancer
// Service named after the skiff service (internal per the compute target).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cluster_files.h"
#include "k8s/cluster_settings.h"
#include "k8s/render_options.h"
#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

std::string RouterName(const ServicePlan& plan);     // "<service>-router"
std::string ConfigMapName(const ServicePlan& plan);  // "<service>-config"

// Secret key of the router's server.json.
std::string RouterConfigKey();
// "<service>-tls": the router's certificate and key, type kubernetes.io/tls.
std::string RouterTlsSecretName(const ServicePlan& plan);
nlohmann::json RouterTlsSecret(const ServicePlan& plan, const TlsPair& pair);
// The router Service's annotation naming the certificate's host (sslCname);
// the target's status reads it back for https://<cname>/ scoring URIs.
inline constexpr const char* kSslCnameAnnotation = "skiff.io/ssl-cname";

// 2 replicas on FastProd clusters, 1 on DevTest. Routing and key-digest
// changes reach running routers through --watch-config; `keys_sha256` (the
// signing-key files' hash, token mode) is a pod-template annotation, since
// those are copied by an init container: a new key rolls the router.
nlohmann::json RouterDeployment(const ServicePlan& plan, const ClusterSettings& cluster,
                                const RenderOptions& options,
                                const std::vector<std::string>& signing_key_files,
                                const std::string& keys_sha256);
nlohmann::json RouterDisruptionBudget(const ServicePlan& plan);
// type LoadBalancer, port 80; with TLS (plan.router_server_config.tls) port
// 443 only, to the router's https port: port 80 is not exposed, so nothing
// answers there (no redirect: a redirect would invite clients to send their
// key in clear text first). InternalLoadBalancer adds
// service.beta.kubernetes.io/azure-load-balancer-internal: "true" and
// ...-internal-subnet (the subnet's name; default "aks-subnet").
nlohmann::json RouterService(const ServicePlan& plan, const ClusterSettings& cluster);

}  // namespace skiff::compute_aks::k8s
