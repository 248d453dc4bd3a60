// SPDX-License-Identifier: Apache-2.0
#include "k8s/render.h"

#include "k8s/config_objects.h"
#include "k8s/labels.h"
#include "k8s/pod_paths.h"
#include "k8s/metrics_objects.h"
#include "k8s/router_objects.h"
#include "k8s/scaling_objects.h"
#include "k8s/service_plan.h"
#include "k8s/version_objects.h"
#include "skiff/util/sha256.h"

namespace skiff::compute_aks::k8s {
namespace {

Status CheckKeyFileName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 200 && name[0] != '.';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  }
  if (ok) return OkStatus();
  return InvalidArgument("signing key file '" + name +
                         "' cannot be a Secret key: use letters, digits, '-', '_' or '.'");
}

// Marks a Deployment (and, for the router, its pod template) with the
// generation it was rendered for (labels.h kGenerationAnnotation).
void MarkGeneration(int64_t generation, bool pod_template, nlohmann::json* deployment) {
  const std::string value = std::to_string(generation);
  (*deployment)["metadata"]["annotations"][kGenerationAnnotation] = value;
  if (pod_template) {
    (*deployment)["spec"]["template"]["metadata"]["annotations"][kGenerationAnnotation] = value;
  }
}

}  // namespace

StatusOr<std::vector<nlohmann::json>> RenderService(const RenderInput& input) {
  SKIFF_ASSIGN_OR_RETURN(ServicePlan plan, PlanService(input.spec));
  if (input.cluster.load_balancer_type != "PublicIp" &&
      input.cluster.load_balancer_type != "InternalLoadBalancer") {
    return InvalidArgument("aks config: `loadBalancerType` '" + input.cluster.load_balancer_type +
                           "' must be PublicIp or InternalLoadBalancer");
  }
  std::map<std::string, std::string> key_files;
  std::vector<std::string> key_names;
  if (plan.auth_mode == "token") {
    if (input.signing_key_files.empty()) {
      return InvalidArgument("service '" + plan.service +
                             "' uses token auth but no signing-key files were given; create a "
                             "token once (`skiff service get-token`) so the workspace has a key");
    }
    for (const auto& [name, contents] : input.signing_key_files) {
      SKIFF_RETURN_IF_ERROR(CheckKeyFileName(name));
      key_files[name] = contents;
      key_names.push_back(name);
    }
  }
  std::string keys_digest;
  for (const auto& [name, contents] : key_files) keys_digest += name + ":" + Sha256Hex(contents);

  if (input.tls.has_value() != !input.cluster.ssl_cname.empty()) {
    return InvalidArgument(
        "aks config: the front door's TLS needs `sslCname` and the target's certificate "
        "together (create the target with --ssl-cname, --ssl-cert-file and --ssl-key-file)");
  }
  if (input.tls) {
    // The router terminates TLS with the Secret's pair, mounted read-only.
    config::ServerTlsConfig tls;
    tls.cert_file = std::string(kRouterTlsDir) + "/tls.crt";
    tls.key_file = std::string(kRouterTlsDir) + "/tls.key";
    plan.router_server_config.tls = tls;
    plan.router_server_config.port = kRouterTlsPort;
  }

  std::vector<nlohmann::json> out;
  out.push_back(NamespaceObject(plan));
  out.push_back(ServerSecret(plan, key_files));
  if (input.tls) out.push_back(RouterTlsSecret(plan, *input.tls));
  out.push_back(ConfigConfigMap(plan));
  out.push_back(VersionNetworkPolicy(plan));
  for (const VersionPlan& v : plan.versions) {
    // Version pods run without auth (the router authenticates): no keys.
    const std::string config_sha = Sha256Hex(config::ToJson(v.server_config).dump());
    SKIFF_ASSIGN_OR_RETURN(VersionModel model, ResolveVersionModel(input.options, v));
    out.push_back(VersionDeployment(plan, v, input.options, model, {}, config_sha));
    MarkGeneration(plan.router_server_config.generation, /*pod_template=*/false, &out.back());
    out.push_back(VersionService(plan, v));
    if (auto hpa = VersionAutoscaler(plan, v)) out.push_back(std::move(*hpa));
    out.push_back(VersionDisruptionBudget(plan, v));
  }
  out.push_back(
      RouterDeployment(plan, input.cluster, input.options, key_names, Sha256Hex(keys_digest)));
  MarkGeneration(plan.router_server_config.generation, /*pod_template=*/true, &out.back());
  out.push_back(RouterDisruptionBudget(plan));
  out.push_back(RouterService(plan, input.cluster));
  if (input.options.service_monitor) {
    for (const VersionPlan& v : plan.versions) {
      if (v.object_name == MetricsObjectName(plan)) {
        return InvalidArgument("version '" + v.name + "' would share its Service's name '" +
                               v.object_name +
                               "' with the metrics Service of `kubernetes.serviceMonitor`; "
                               "rename the version or leave serviceMonitor off");
      }
    }
    out.push_back(MetricsService(plan));
    out.push_back(MetricsServiceMonitor(plan));
  }
  return out;
}

}  // namespace skiff::compute_aks::k8s
