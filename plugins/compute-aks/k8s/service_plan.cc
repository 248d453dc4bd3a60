#include "k8s/service_plan.h"

#include <set>

#include "k8s/dns_name.h"
#include "k8s/pod_paths.h"
#include "skiff/util/service_name.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

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

  json server = json::parse(spec.server_config_json, nullptr, false);
  if (server.is_discarded() || !server.is_object()) {
    return InvalidArgument("server config of '" + spec.name + "' is not a JSON object");
  }
  if (!server.contains("versions") || !server["versions"].is_array() ||
      server["versions"].empty()) {
    return InvalidArgument("server config of '" + spec.name + "' has no `versions`");
  }
  json auth = server.value("auth", json::object());
  if (plan.auth_mode == "key") {
    if (!auth.contains("keySha256") || !auth["keySha256"].is_array() || auth["keySha256"].empty()) {
      return InvalidArgument("server config of '" + spec.name +
                             "': key auth is on but `auth.keySha256` is empty; regenerate the "
                             "service's keys");
    }
    for (const json& d : auth["keySha256"]) plan.key_sha256.push_back(d.get<std::string>());
  }
  json options = auth.value("options", json::object());
  options["keysDir"] = kSigningKeysDir;
  json pod_auth = {{"plugin", auth.value("plugin", "default")}, {"options", options}};
  if (plan.auth_mode == "key") pod_auth["keySha256"] = plan.key_sha256;

  // Raw keys never leave the workstation: the pods only get digests.
  json dc = config::ToJson(plan.deployment);
  dc.erase("keys");
  // Version pods serve only the router (in-cluster, NetworkPolicy): no auth.
  json version_dc = dc;
  version_dc["authEnabled"] = false;
  version_dc["tokenAuthEnabled"] = false;
  json router_versions = json::array();
  plan.drain_grace_ms = server.value("drainGraceMs", int64_t{30000});

  std::set<std::string> k8s_names;
  for (const json& v : server["versions"]) {
    VersionPlan vp;
    vp.name = v.value("name", "");
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
    SKIFF_ASSIGN_OR_RETURN(vp.object_name, ObjectName(plan.name_base, vp.k8s_name,
                                                      "object name for version '" + vp.name + "'"));
    vp.traffic_percentile = v.value("trafficPercentile", 0);
    vp.is_default = v.value("isDefault", false);
    vp.is_control = v.value("isControl", false);
    SKIFF_ASSIGN_OR_RETURN(vp.inference, config::ParseInferenceConfig(
                                             v.value("inferenceConfig", json::object()).dump()));
    SKIFF_ASSIGN_OR_RETURN(std::string artifact,
                           InContainerArtifactPath(v.value("artifactPath", ""), vp.name));
    json pod = {{"service", spec.name},
                {"generation", server.value("generation", int64_t{0})},
                {"address", "0.0.0.0"},
                {"port", kServerPort},
                {"ioThreads", server.value("ioThreads", 2)},
                {"deploymentConfig", version_dc},
                {"versions",
                 {{{"name", vp.name},
                   {"trafficPercentile", 100},
                   {"isDefault", true},
                   {"isControl", false},
                   {"artifactPath", artifact},
                   {"sha256", v.value("sha256", "")},
                   {"inferenceConfig", config::ToJson(vp.inference)}}}},
                {"drainGraceMs", plan.drain_grace_ms},
                {"routingSeed", server.value("routingSeed", uint64_t{0})}};
    if (!server.value("requestLog", "").empty()) {
      pod["requestLog"] = std::string(kDataDir) + "/requests.jsonl";
    }
    if (!server.value("dataCollectionDir", "").empty()) {
      pod["dataCollectionDir"] = std::string(kDataDir) + "/collected";
    }
    vp.server_config = std::move(pod);
    router_versions.push_back(
        {{"name", vp.name},
         {"trafficPercentile", vp.traffic_percentile},
         {"isDefault", vp.is_default},
         {"isControl", vp.is_control},
         {"upstream", "http://" + vp.object_name + "." + plan.ns + ".svc.cluster.local/v2/models/" +
                          spec.name + "/infer"},
         {"inferenceConfig", config::ToJson(vp.inference)}});
    plan.versions.push_back(std::move(vp));
  }
  plan.router_server_config = {{"service", spec.name},
                               {"generation", server.value("generation", int64_t{0})},
                               {"address", "0.0.0.0"},
                               {"port", kRouterPort},
                               {"ioThreads", server.value("ioThreads", 2)},
                               {"auth", pod_auth},
                               {"deploymentConfig", dc},
                               {"versions", router_versions},
                               {"drainGraceMs", plan.drain_grace_ms},
                               {"routingSeed", server.value("routingSeed", uint64_t{0})}};
  if (!server.value("requestLog", "").empty()) {
    plan.router_server_config["requestLog"] = std::string(kDataDir) + "/requests.jsonl";
  }
  // Two 63-character-bounded names that share the service prefix must also
  // leave room for the router's.
  SKIFF_ASSIGN_OR_RETURN(std::string router, ObjectName(plan.name_base, "router", "router name"));
  (void)router;
  return plan;
}

}  // namespace skiff::compute_aks::k8s
