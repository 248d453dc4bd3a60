// SPDX-License-Identifier: Apache-2.0
// The objects of one endpoint version: its Deployment of skiff-server pods
// and the ClusterIP Service the router proxies to.
#pragma once

#include <nlohmann/json.hpp>

#include "k8s/model_source.h"
#include "k8s/render_options.h"
#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

// Name of the Secret holding every pod's server.json and signing keys.
std::string SecretName(const ServicePlan& plan);
// Secret key of a version's server.json.
std::string ServerConfigKey(const VersionPlan& version);
// Secret key prefix of signing-key files ("signing-keys.<file>").
inline constexpr const char* kSigningKeyPrefix = "signing-keys.";

// The version's Deployment: requests/limits from containerResourceRequirements,
// nvidia.com/gpu for `gpu`, options.fpga_resource_name for accelerator "fpga",
// startup/liveness/readiness from livenessProbeRequirements (k8s/probes.h),
// the metrics port and prometheus.io/* annotations (k8s/metrics_objects.h),
// non-root with a
// read-only root filesystem; the image and whether the model claim is
// mounted (read-only) come from `model` (k8s/model_source.h). `replicas`
// only without autoscaling (the HPA owns it otherwise).
// `signing_key_files`: the Secret's signing-key file names (token mode).
// `config_sha256`: hash of the pod's server.json, a pod-template annotation so
// a config change rolls the pods.
nlohmann::json VersionDeployment(const ServicePlan& plan, const VersionPlan& version,
                                 const RenderOptions& options, const VersionModel& model,
                                 const std::vector<std::string>& signing_key_files,
                                 const std::string& config_sha256);

// Token mode: mounts the Secret's signing-key files and adds the init
// container that copies them 0600 into kSigningKeysDir (the auth plugin
// refuses Kubernetes' symlinked, group-readable mounts). Nothing when empty.
void AddSigningKeys(const ServicePlan& plan, const RenderOptions& options,
                    const std::vector<std::string>& signing_key_files, nlohmann::json* pod_spec);

// Ingress to the version pods' scoring port only from this service's router
// pods: the version servers run without auth behind it. Their metrics port
// takes any pod of the cluster (a scraper), nothing from outside it.
nlohmann::json VersionNetworkPolicy(const ServicePlan& plan);

// ClusterIP Service on port 80 -> the pods' kServerPort.
nlohmann::json VersionService(const ServicePlan& plan, const VersionPlan& version);

}  // namespace skiff::compute_aks::k8s
