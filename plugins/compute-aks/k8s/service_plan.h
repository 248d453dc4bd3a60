// SPDX-License-Identifier: Apache-2.0
// ServicePlan: a ServiceSpec read and checked once for rendering: names
// derived and validated, one skiff-server config per version pod with
// in-container paths and without raw keys.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "skiff/compute_target.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/config/server_config.h"
#include "skiff/status.h"

namespace skiff::compute_aks::k8s {

struct VersionPlan {
  std::string name;         // the endpoint version's name, as clients pin it
  std::string k8s_name;     // ToLabelish(name), "model" when that is the service's
                            // name (a plain service): in labels and object names
  std::string object_name;  // "<service>-<k8s_name>": Deployment, Service, HPA, PDB
  int traffic_percentile = 0;
  int shadow_percentile = 0;  // the router copies this share of live requests to it
  bool is_default = false;
  bool is_control = false;
  config::InferenceConfig inference;
  // The pod's server.json: this version only (default, 100%), listening on
  // 0.0.0.0:kServerPort (metrics on 0.0.0.0:kMetricsPort), artifactPath under kModelsDir, keysDir kSigningKeysDir,
  // deploymentConfig without `keys`: the version's own (an endpoint version
  // created with --dc) or else the service's; its resources, replicas,
  // autoscaler and probes shape the version's Deployment and HPA.
  // Auth is off here: only the router reaches the version pods (a
  // NetworkPolicy says so), and the router authenticates.
  config::ServerConfig server_config;
};

struct ServicePlan {
  std::string service;                  // the skiff name, a DNS-1035 label
  std::string name_base;                // prefix of every object name (= service)
  std::string ns;                       // deploymentConfig.namespace, default "default"
  config::DeploymentConfig deployment;  // parsed; `keys` never rendered
  std::string auth_mode;                // "key", "token" or "none"
  std::vector<std::string> key_sha256;  // key mode: digests from the server config
  std::vector<VersionPlan> versions;    // server config order
  int64_t drain_grace_ms = 30000;
  // The router pod's server.json: auth (digests / keysDir), the deployment
  // config's limits, and every version with its `upstream` (the version
  // Service's in-cluster infer URL) and traffic split.
  config::ServerConfig router_server_config;
};

// Reads spec.deployment_config_json and spec.server_config_json (the
// versions, digests and auth options come from the server config, parsed
// with config::ParseServerConfig; the pod configs are derived from it).
// Errors name the field: a service, namespace or version name that is not a
// Kubernetes name, an artifact outside the workspace's artifacts/ folder,
// a key mode config without digests.
StatusOr<ServicePlan> PlanService(const ServiceSpec& spec);

}  // namespace skiff::compute_aks::k8s
