// SPDX-License-Identifier: Apache-2.0
#include "k8s/service_plan.h"

#include <set>

#include "k8s/dns_name.h"
#include "k8s/pod_paths.h"
#include "skiff/util/service_name.h"

namespace skiff::compute_aks::k8s {
namespace {

// "<anything>/artifacts/(sha256|materialized)/<rest>" -> kModelsDir/<kind>/<rest>.
StatusOr<std::string> InContainerArtifactPath(const std::string& path, const std::string& version) {
  for (const char* kind : {"/artifacts/sha256/", "/artifacts/materialized/"}) {
    const size_t at = path.rfind(kind);
    if (at == std::string::npos) continue;
    const std::string rest = path.substr(at + std::string("/artifacts").size());  // "/sha256/<hex>"
    const size_t kind_len = std::string(kind).size() - std::string("/artifacts").size();
    if (rest.find("/..") != std::string::npos || rest.size() <= kind_len) break;
    return std::string(kModelsDir) + rest;
  }
  return InvalidArgument("server config: versions[" + version + "].artifactPath '" + path +
                         "' is not in a workspace's artifacts/sha256 or artifacts/materialized "
                         "folder; register the model in the workspace and deploy it from there");
}

Status CheckVersionName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  }
  if (ok) return OkStatus();
  return InvalidArgument("version name '" + name +
                         "' cannot be deployed to Kubernetes: use 1-63 letters, digits, '-', '_' "
                         "or '.'");
}

}  // namespace

StatusOr<ServicePlan> PlanService(const ServiceSpec& spec) {
  ServicePlan plan;
  plan.service = spec.name;
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(spec.name));
  plan.name_base = spec.name;
  SKIFF_ASSIGN_OR_RETURN(plan.deployment,
                         config::ParseDeploymentConfig(spec.deployment_config_json));
  plan.ns = plan.deployment.kubernetes_namespace.value_or("default");
  SKIFF_RETURN_IF_ERROR(ValidateDns1123Label(plan.ns, "deployment config `namespace`"));
  if (plan.deployment.token_auth_enabled) {
    plan.auth_mode = "token";
  } else if (plan.deployment.auth_enabled) {
    plan.auth_mode = "key";
  } else {
    plan.auth_mode = "none";
  }

  auto parsed = config::ParseServerConfig(spec.server_config_json);
  if (!parsed.ok()) return parsed.status().WithContext("service '" + spec.name + "'");
  const config::ServerConfig& server = *parsed;
  if (server.versions.empty()) {
    return InvalidArgument("server config of '" + spec.name + "' has no versions");
  }
  if (plan.auth_mode == "key") {
    if (server.key_sha256.empty()) {
      return InvalidArgument("server config of '" + spec.name +
                             "': key auth is on but it holds no key digests; regenerate the "
                             "service's keys");
    }
    plan.key_sha256 = server.key_sha256;
  }
  plan.drain_grace_ms = server.drain_grace.count();

  // Raw keys never leave the workstation: the pods only get digests.
  config::DeploymentConfig dc = plan.deployment;
  dc.keys = {};
  // What every pod shares with the service's config: limits, timeouts,
  // drain grace, routing seed; each pod listens on all addresses in its
  // container and keeps nothing of the workstation's paths.
  config::ServerConfig base = server;
  base.address = "0.0.0.0";
  base.port_file.clear();
  // Metrics on their own container port, for the cluster's scraper only:
  // no Service the public load balancer fronts selects it (docs/kubernetes.md).
  base.metrics_address = "0.0.0.0";
  base.metrics_port = kMetricsPort;
  base.metrics_port_file.clear();
  base.versions.clear();
  base.request_log = server.request_log.empty() ? "" : std::string(kDataDir) + "/requests.jsonl";
  // Every answer as a JSON line on stdout (router and versions), where the
  // cluster's log collector reads it and `service get-logs` shows it.
  base.access_log = "stdout";
  base.data_collection_dir.clear();
  // Sticky A/B: the router assigns keys and writes the exposure log.
  base.routing.exposure_log =
      server.routing.sticky() ? std::string(kDataDir) + "/exposure.jsonl" : "";

  // Version pods serve only the router (in-cluster, NetworkPolicy): no auth.
  config::ServerConfig version_base = base;
  version_base.port = kServerPort;
  version_base.deployment = dc;
  version_base.deployment.auth_enabled = false;
  version_base.deployment.token_auth_enabled = false;
  version_base.auth_plugin = config::ServerConfig().auth_plugin;
  version_base.auth_options = nlohmann::json::object();
  version_base.key_sha256.clear();
  // A version pod serves one version: nothing to assign, and no salt.
  version_base.routing = {};
  // gRPC is the router's front door only (docs/kubernetes.md).
  version_base.grpc.reset();
  // The generation changes with every change of the service, a traffic
  // step included; in a version pod's server.json it would change the
  // pod template's config digest and restart every version's pods for a
  // change only the router makes (a progressive rollout restarted its
  // candidate, cold, at every step). The router carries it; the cluster
  // reports it from the Deployments' annotation (render.cc).
  version_base.generation = 0;
  if (!server.data_collection_dir.empty()) {
    version_base.data_collection_dir = std::string(kDataDir) + "/collected";
  }

  config::ServerConfig router = base;
  router.port = kRouterPort;
  router.deployment = dc;
  router.auth_options["keysDir"] = kSigningKeysDir;  // the auth plugin's option
  router.key_sha256 = plan.auth_mode == "key" ? plan.key_sha256 : std::vector<std::string>{};
  if (router.grpc) {
    router.grpc->port = kGrpcPort;
    router.grpc->port_file.clear();
  }

  std::set<std::string> k8s_names;
  std::set<std::string> object_names;
  for (const config::ServerVersionConfig& v : server.versions) {
    VersionPlan vp;
    vp.name = v.spec.name;
    SKIFF_RETURN_IF_ERROR(CheckVersionName(vp.name));
    vp.k8s_name = ToLabelish(vp.name);
    // A plain service's one version carries the service's name; "<s>-<s>"
    // would be long (up to 65 characters) and say nothing.
    if (vp.k8s_name == spec.name) vp.k8s_name = "model";
    SKIFF_RETURN_IF_ERROR(ValidateDns1123Label(vp.k8s_name, "version name '" + vp.name + "' as"));
    if (!k8s_names.insert(vp.k8s_name).second) {
      return InvalidArgument("versions '" + vp.name + "' and another one both become '" +
                             vp.k8s_name + "' in Kubernetes names; rename one of them");
    }
    SKIFF_ASSIGN_OR_RETURN(vp.object_name,
                           VersionObjectName(plan.name_base, vp.k8s_name,
                                             "object name for version '" + vp.name + "'"));
    // A shortened name could, in theory, equal another version's full one.
    if (!object_names.insert(vp.object_name).second) {
      return InvalidArgument("versions '" + vp.name + "' and another one both become '" +
                             vp.object_name + "' as Kubernetes object names; rename one of them");
    }
    vp.traffic_percentile = v.spec.traffic_percentile;
    vp.shadow_percentile = v.shadow_percentile;
    vp.is_default = v.spec.is_default;
    vp.is_control = v.spec.type == VersionType::kControl;
    vp.inference = v.inference;
    SKIFF_ASSIGN_OR_RETURN(std::string artifact, InContainerArtifactPath(v.artifact_path, vp.name));

    config::ServerVersionConfig pod_version = v;
    pod_version.spec = {vp.name, 100, /*is_default=*/true, VersionType::kTreatment};
    // The router sends the shadow copies (its versions keep the share); the
    // pod serves whatever reaches it.
    pod_version.shadow_percentile = 0;
    pod_version.artifact_path = artifact;
    vp.server_config = version_base;
    if (pod_version.deployment) {
      // An endpoint version's own --dc sizes its pods (resources, replicas,
      // autoscaler, probes); auth stays off as for every version pod.
      vp.server_config.deployment = *pod_version.deployment;
      vp.server_config.deployment.keys = {};
      vp.server_config.deployment.auth_enabled = false;
      vp.server_config.deployment.token_auth_enabled = false;
      pod_version.deployment.reset();
    }
    vp.server_config.versions = {pod_version};

    config::ServerVersionConfig routed = v;
    routed.artifact_path.clear();
    routed.sha256.clear();
    routed.upstream = "http://" + vp.object_name + "." + plan.ns + ".svc.cluster.local/v2/models/" +
                      spec.name + "/infer";
    router.versions.push_back(std::move(routed));
    plan.versions.push_back(std::move(vp));
  }
  plan.router_server_config = std::move(router);
  // Two 63-character-bounded names that share the service prefix must also
  // leave room for the router's.
  SKIFF_ASSIGN_OR_RETURN(std::string router_name,
                         ObjectName(plan.name_base, "router", "router name"));
  (void)router_name;
  return plan;
}

}  // namespace skiff::compute_aks::k8s
