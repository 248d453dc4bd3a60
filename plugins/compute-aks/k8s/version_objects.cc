// SPDX-License-Identifier: Apache-2.0
#include "k8s/version_objects.h"

#include <algorithm>

#include "k8s/labels.h"
#include "k8s/metrics_objects.h"
#include "k8s/pod_paths.h"
#include "k8s/pod_security.h"
#include "k8s/probes.h"
#include "k8s/quantity.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

LabelSet VersionLabels(const ServicePlan& plan, const VersionPlan& version) {
  return {plan.service, kComponentModelVersion, version.k8s_name};
}

json Resources(const VersionPlan& version, const RenderOptions& options) {
  const auto& r = version.server_config.deployment.container_resource_requirements;
  json requests = {{"cpu", CpuQuantity(r.cpu)}, {"memory", MemoryQuantity(r.memory_in_gb)}};
  json limits = json::object();
  if (r.cpu_limit) limits["cpu"] = CpuQuantity(*r.cpu_limit);
  // Without memoryInGBLimit the request is the limit: a pod over its request
  // is the first to be OOM-killed anyway, and an unbounded one starves others.
  limits["memory"] = MemoryQuantity(r.memory_in_gb_limit.value_or(r.memory_in_gb));
  // Extended resources: requests must equal limits.
  if (r.gpu > 0) {
    requests["nvidia.com/gpu"] = std::to_string(r.gpu);
    limits["nvidia.com/gpu"] = std::to_string(r.gpu);
  }
  if (version.inference.accelerator == "fpga") {
    requests[options.fpga_resource_name] = "1";
    limits[options.fpga_resource_name] = "1";
  }
  return {{"requests", requests}, {"limits", limits}};
}

}  // namespace

std::string SecretName(const ServicePlan& plan) { return plan.name_base + "-server"; }

std::string ServerConfigKey(const VersionPlan& version) {
  return "server-" + version.k8s_name + ".json";
}

void AddSigningKeys(const ServicePlan& plan, const RenderOptions& options,
                    const std::vector<std::string>& signing_key_files, json* pod_spec_out) {
  json& pod_spec = *pod_spec_out;
  if (!signing_key_files.empty()) {
    json items = json::array();
    for (const std::string& f : signing_key_files) {
      items.push_back({{"key", std::string(kSigningKeyPrefix) + f}, {"path", f}});
    }
    pod_spec["volumes"].push_back(
        {{"name", "signing-keys"},
         {"secret", {{"secretName", SecretName(plan)}, {"defaultMode", 0440}, {"items", items}}}});
    // The auth plugin refuses key files that are symlinks or group-readable,
    // which is how Kubernetes mounts Secrets: copy them 0600 into the
    // runtime emptyDir first.
    pod_spec["initContainers"] = json::array(
        {{{"name", "install-signing-keys"},
          {"image", options.image},
          {"imagePullPolicy", options.image_pull_policy},
          {"command",
           {"/bin/sh", "-c",
            std::string("umask 077 && mkdir -p ") + kSigningKeysDir + " && cp -L " +
                kSigningKeysSourceDir + "/* " + kSigningKeysDir + "/"}},
          {"resources",
           {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}, {"limits", {{"memory", "32Mi"}}}}},
          {"securityContext", ContainerSecurityContext()},
          {"volumeMounts",
           {{{"name", "signing-keys"}, {"mountPath", kSigningKeysSourceDir}, {"readOnly", true}},
            {{"name", "runtime"}, {"mountPath", kRuntimeDir}}}}}});
  }
}

json VersionDeployment(const ServicePlan& plan, const VersionPlan& version,
                       const RenderOptions& options, const VersionModel& model,
                       const std::vector<std::string>& signing_key_files,
                       const std::string& config_sha256) {
  const LabelSet set = VersionLabels(plan, version);
  // The version's own deployment config (per-version --dc), else the service's.
  const config::DeploymentConfig& dc = version.server_config.deployment;
  const ContainerProbes probes = ServerProbes(dc.liveness_probe_requirements);

  json mounts = json::array({
      {{"name", "server-config"}, {"mountPath", kServerConfigDir}, {"readOnly", true}},
      {{"name", "runtime"}, {"mountPath", kRuntimeDir}},
      {{"name", "data"}, {"mountPath", kDataDir}},
      {{"name", "tmp"}, {"mountPath", kTmpDir}},
  });
  json volumes = json::array({
      {{"name", "server-config"},
       {"secret",
        {{"secretName", SecretName(plan)},
         {"defaultMode", 0440},
         {"items", {{{"key", ServerConfigKey(version)}, {"path", "server.json"}}}}}}},
      {{"name", "runtime"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "16Mi"}}}},
      {{"name", "data"}, {"emptyDir", {{"sizeLimit", "1Gi"}}}},
      {{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "256Mi"}}}},
  });
  // From an image, the model is already at kModelsDir (a layer); else the claim.
  if (model.mount_claim) {
    const json mount = {{"name", "models"}, {"mountPath", kModelsDir}, {"readOnly", true}};
    const json volume = {
        {"name", "models"},
        {"persistentVolumeClaim", {{"claimName", options.model_claim}, {"readOnly", true}}}};
    mounts.insert(mounts.begin() + 2, mount);
    volumes.insert(volumes.begin() + 2, volume);
  }

  json container = {
      {"name", "skiff-server"},
      {"image", model.image},
      {"imagePullPolicy", options.image_pull_policy},
      {"command", {kServerBinary}},
      {"args", {"--config", kServerConfigPath}},
      {"ports",
       {{{"name", "http"}, {"containerPort", kServerPort}, {"protocol", "TCP"}},
        MetricsContainerPort()}},
      {"resources", Resources(version, options)},
      {"startupProbe", probes.startup},
      {"livenessProbe", probes.liveness},
      {"readinessProbe", probes.readiness},
      {"securityContext", ContainerSecurityContext()},
      {"volumeMounts", mounts},
  };

  json pod_spec = {
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext", PodSecurityContext()},
      // The server drains in-flight requests for drainGraceMs after SIGTERM.
      {"terminationGracePeriodSeconds", plan.drain_grace_ms / 1000 + 5},
      {"containers", {container}},
      {"volumes", volumes},
  };
  AddSigningKeys(plan, options, signing_key_files, &pod_spec);
  if (dc.container_resource_requirements.gpu > 0) {
    // AKS GPU pools are commonly tainted so only GPU workloads land there.
    pod_spec["tolerations"] = {
        {{"key", "nvidia.com/gpu"}, {"operator", "Exists"}, {"effect", "NoSchedule"}},
        {{"key", "sku"}, {"operator", "Equal"}, {"value", "gpu"}, {"effect", "NoSchedule"}}};
  }

  json pod_metadata = {{"labels", Labels(set)},
                       {"annotations", {{"skiff.io/config-sha256", config_sha256}}}};
  AddScrapeAnnotations(&pod_metadata);
  json spec = {
      {"selector", {{"matchLabels", SelectorLabels(set)}}},
      {"strategy",
       {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
      {"template", {{"metadata", pod_metadata}, {"spec", pod_spec}}},
  };
  if (!dc.auto_scaler.autoscale_enabled) spec["replicas"] = dc.num_replicas.value_or(1);

  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata",
           {{"name", version.object_name}, {"namespace", plan.ns}, {"labels", Labels(set)}}},
          {"spec", spec}};
}

json VersionNetworkPolicy(const ServicePlan& plan) {
  const LabelSet versions{plan.service, kComponentModelVersion, ""};
  const LabelSet router{plan.service, kComponentRouter, ""};
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", plan.name_base + "-versions"},
            {"namespace", plan.ns},
            {"labels", Labels({plan.service, kComponentConfig, ""})}}},
          {"spec",
           {{"podSelector", {{"matchLabels", SelectorLabels(versions)}}},
            {"policyTypes", {"Ingress"}},
            {"ingress",
             {{{"from", {{{"podSelector", {{"matchLabels", SelectorLabels(router)}}}}}},
               {"ports", {{{"protocol", "TCP"}, {"port", kServerPort}}}}},
              // Metrics: any pod of the cluster (the scraper's namespace is
              // not known here), never from outside it.
              {{"from", {{{"namespaceSelector", json::object()}}}},
               {"ports", {{{"protocol", "TCP"}, {"port", kMetricsPort}}}}}}}}}};
}

json VersionService(const ServicePlan& plan, const VersionPlan& version) {
  const LabelSet set = VersionLabels(plan, version);
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", version.object_name}, {"namespace", plan.ns}, {"labels", Labels(set)}}},
          {"spec",
           {{"type", "ClusterIP"},
            {"selector", SelectorLabels(set)},
            {"ports",
             {{{"name", "http"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}}}}}}};
}

}  // namespace skiff::compute_aks::k8s
