// SPDX-License-Identifier: Apache-2.0
#include "k8s/router_objects.h"

#include "k8s/labels.h"
#include "k8s/metrics_objects.h"
#include "k8s/pod_paths.h"
#include "k8s/pod_security.h"
#include "k8s/probes.h"
#include "k8s/version_objects.h"

namespace skiff::compute_aks::k8s {

using nlohmann::json;

std::string RouterName(const ServicePlan& plan) { return plan.name_base + "-router"; }
std::string ConfigMapName(const ServicePlan& plan) { return plan.name_base + "-config"; }

std::string RouterConfigKey() { return "server-router.json"; }
std::string RouterTlsSecretName(const ServicePlan& plan) { return plan.name_base + "-tls"; }

json RouterTlsSecret(const ServicePlan& plan, const TlsPair& pair) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/tls"},
          {"metadata",
           {{"name", RouterTlsSecretName(plan)},
            {"namespace", plan.ns},
            {"labels", Labels({plan.service, kComponentRouter, ""})}}},
          {"stringData", {{"tls.crt", pair.cert_pem}, {"tls.key", pair.key_pem}}}};
}

json RouterDeployment(const ServicePlan& plan, const ClusterSettings& cluster,
                      const RenderOptions& options,
                      const std::vector<std::string>& signing_key_files,
                      const std::string& keys_sha256) {
  const LabelSet set{plan.service, kComponentRouter, ""};
  const bool tls = plan.router_server_config.tls.has_value();
  const char* port_name = tls ? "https" : "http";
  // The router loads no model: a minute to answer liveness once (startup),
  // then Azure's default period, timeout and failures; on the https port
  // when the front door is TLS (the kubelet does not verify the certificate).
  config::LivenessProbeRequirements router_probes;
  router_probes.initial_delay_seconds = 60;
  ContainerProbes probes = ServerProbes(router_probes);
  for (json* probe : {&probes.startup, &probes.liveness, &probes.readiness}) {
    (*probe)["httpGet"]["port"] = port_name;
    if (tls) (*probe)["httpGet"]["scheme"] = "HTTPS";
  }
  const std::string config_path = std::string(kRouterConfigDir) + "/server.json";
  json container = {
      {"name", "router"},
      {"image", options.image},
      {"imagePullPolicy", options.image_pull_policy},
      {"command", {kServerBinary}},
      // --watch-config: the Secret volume is updated in place when weights,
      // versions or keys change; the router reloads without a restart.
      {"args", {"--config", config_path, "--watch-config", "5"}},
      {"ports",
       {{{"name", port_name},
         {"containerPort", tls ? kRouterTlsPort : kRouterPort},
         {"protocol", "TCP"}},
        MetricsContainerPort()}},
      {"resources",
       {{"requests", {{"cpu", "250m"}, {"memory", "128Mi"}}}, {"limits", {{"memory", "512Mi"}}}}},
      {"startupProbe", probes.startup},
      {"livenessProbe", probes.liveness},
      {"readinessProbe", probes.readiness},
      {"securityContext", ContainerSecurityContext()},
      {"volumeMounts",
       {{{"name", "router-config"}, {"mountPath", kRouterConfigDir}, {"readOnly", true}},
        {{"name", "runtime"}, {"mountPath", kRuntimeDir}},
        {{"name", "data"}, {"mountPath", kDataDir}},
        {{"name", "tmp"}, {"mountPath", kTmpDir}}}},
  };
  json pod_spec = {
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext", PodSecurityContext()},
      {"terminationGracePeriodSeconds", plan.drain_grace_ms / 1000 + 5},
      {"containers", {container}},
      {"volumes",
       {{{"name", "router-config"},
         {"secret",
          {{"secretName", SecretName(plan)},
           {"defaultMode", 0440},
           {"items", {{{"key", RouterConfigKey()}, {"path", "server.json"}}}}}}},
        {{"name", "runtime"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "16Mi"}}}},
        {{"name", "data"}, {"emptyDir", {{"sizeLimit", "1Gi"}}}},
        {{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "256Mi"}}}}}},
  };
  if (tls) {
    // Updated in place when the Secret changes; the server re-reads it.
    pod_spec["containers"][0]["volumeMounts"].push_back(
        {{"name", "router-tls"}, {"mountPath", kRouterTlsDir}, {"readOnly", true}});
    pod_spec["volumes"].push_back(
        {{"name", "router-tls"},
         {"secret", {{"secretName", RouterTlsSecretName(plan)}, {"defaultMode", 0440}}}});
  }
  if (plan.router_server_config.grpc) {
    pod_spec["containers"][0]["ports"].push_back(
        {{"name", "grpc"}, {"containerPort", kGrpcPort}, {"protocol", "TCP"}});
  }
  AddSigningKeys(plan, options, signing_key_files, &pod_spec);
  json pod_metadata = {{"labels", Labels(set)},
                       {"annotations", {{"skiff.io/keys-sha256", keys_sha256}}}};
  AddScrapeAnnotations(&pod_metadata);
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", RouterName(plan)}, {"namespace", plan.ns}, {"labels", Labels(set)}}},
      {"spec",
       {{"replicas", cluster.cluster_purpose == "DevTest" ? 1 : 2},
        {"selector", {{"matchLabels", SelectorLabels(set)}}},
        {"strategy",
         {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
        {"template", {{"metadata", pod_metadata}, {"spec", pod_spec}}}}}};
}

json RouterDisruptionBudget(const ServicePlan& plan) {
  const LabelSet set{plan.service, kComponentRouter, ""};
  return {
      {"apiVersion", "policy/v1"},
      {"kind", "PodDisruptionBudget"},
      {"metadata", {{"name", RouterName(plan)}, {"namespace", plan.ns}, {"labels", Labels(set)}}},
      {"spec", {{"maxUnavailable", 1}, {"selector", {{"matchLabels", SelectorLabels(set)}}}}}};
}

json RouterService(const ServicePlan& plan, const ClusterSettings& cluster) {
  const LabelSet set{plan.service, kComponentRouter, ""};
  json metadata = {{"name", plan.name_base}, {"namespace", plan.ns}, {"labels", Labels(set)}};
  if (cluster.load_balancer_type == "InternalLoadBalancer") {
    std::string subnet =
        cluster.load_balancer_subnet.empty() ? "aks-subnet" : cluster.load_balancer_subnet;
    // A full subnet resource ID: the annotation takes the subnet's name.
    if (size_t slash = subnet.rfind('/'); slash != std::string::npos) {
      subnet = subnet.substr(slash + 1);
    }
    metadata["annotations"] = {
        {"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
        {"service.beta.kubernetes.io/azure-load-balancer-internal-subnet", subnet}};
  }
  const bool tls = plan.router_server_config.tls.has_value();
  if (tls) metadata["annotations"][kSslCnameAnnotation] = cluster.ssl_cname;
  const json port =
      tls ? json{{"name", "https"}, {"port", 443}, {"targetPort", "https"}, {"protocol", "TCP"}}
          : json{{"name", "http"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}};
  json ports = json::array({port});
  if (plan.router_server_config.grpc) {
    ports.push_back({{"name", "grpc"},
                     {"port", kGrpcServicePort},
                     {"targetPort", "grpc"},
                     {"protocol", "TCP"}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", metadata},
          {"spec",
           {{"type", "LoadBalancer"},
            {"selector", SelectorLabels(set)},
            {"ports", std::move(ports)}}}};
}

}  // namespace skiff::compute_aks::k8s
