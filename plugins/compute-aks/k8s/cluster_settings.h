// SPDX-License-Identifier: Apache-2.0
// ClusterSettings: what the rendered objects take from the compute target's
// config (aks_config.h): the front end's load balancer and the cluster's purpose.
#pragma once

#include <string>

#include "aks_config.h"

namespace skiff::compute_aks::k8s {

struct ClusterSettings {
  // "PublicIp" (a public LoadBalancer) or "InternalLoadBalancer" (the Azure
  // internal-LB annotations on the router Service).
  std::string load_balancer_type = "PublicIp";
  // The internal LB's subnet; empty: Azure's default (the nodes' subnet).
  std::string load_balancer_subnet;
  // "FastProd": 2 router replicas, rendered PDBs; "DevTest": 1 router replica.
  std::string cluster_purpose = "FastProd";
  // The host name the front door's certificate is for (sslCname); set: the
  // router serves https on 443 with the target's certificate, and scoring
  // URIs are https://<ssl_cname>/...
  std::string ssl_cname;
};

// From a parsed AKS config. An attached cluster's config has no load-balancer
// fields, so it gets PublicIp.
ClusterSettings ClusterSettingsFrom(const AksConfig& config);

}  // namespace skiff::compute_aks::k8s
