// SPDX-License-Identifier: Apache-2.0
#include "k8s/config_objects.h"

#include "k8s/labels.h"
#include "k8s/router_objects.h"
#include "k8s/version_objects.h"

namespace skiff::compute_aks::k8s {

using nlohmann::json;

json NamespaceObject(const ServicePlan& plan) {
  // Labelled for the record; delete never removes a namespace (others may
  // share it).
  return {
      {"apiVersion", "v1"},
      {"kind", "Namespace"},
      {"metadata", {{"name", plan.ns}, {"labels", Labels({plan.service, kComponentConfig, ""})}}}};
}

json ServerSecret(const ServicePlan& plan,
                  const std::map<std::string, std::string>& signing_key_files) {
  json data = json::object();
  for (const VersionPlan& v : plan.versions)
    data[ServerConfigKey(v)] = config::ToJson(v.server_config).dump(2) + "\n";
  data[RouterConfigKey()] = config::ToJson(plan.router_server_config).dump(2) + "\n";
  for (const auto& [file, contents] : signing_key_files) {
    data[std::string(kSigningKeyPrefix) + file] = contents;
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "Opaque"},
          {"metadata",
           {{"name", SecretName(plan)},
            {"namespace", plan.ns},
            {"labels", Labels({plan.service, kComponentConfig, ""})}}},
          {"stringData", data}};
}

json ConfigConfigMap(const ServicePlan& plan) {
  json data = json::object();
  json routing = {{"service", plan.service}, {"versions", json::array()}};
  bool shadows = false;
  for (const VersionPlan& v : plan.versions) {
    data["inference-" + v.k8s_name + ".json"] = config::ToJson(v.inference).dump(2) + "\n";
    json entry = {{"name", v.name},
                  {"trafficPercentile", v.traffic_percentile},
                  {"isDefault", v.is_default},
                  {"isControl", v.is_control},
                  {"kubernetesService", v.object_name}};
    // Shadow traffic (the router copies requests): shown where it is on.
    if (v.shadow_percentile > 0) {
      entry["shadowPercentile"] = v.shadow_percentile;
      shadows = true;
    }
    routing["versions"].push_back(std::move(entry));
  }
  if (shadows) {
    routing["shadowQueueSize"] = plan.router_server_config.deployment.shadow_queue_size;
  }
  // Sticky A/B (the router assigns): the key's name, never the salt.
  const config::RoutingConfig& sticky = plan.router_server_config.routing;
  if (sticky.sticky()) {
    routing["routingKey"] = sticky.key_header.empty() ? json{{"cookie", sticky.key_cookie}}
                                                      : json{{"header", sticky.key_header}};
    routing["exposureLog"] = sticky.exposure_log;
  }
  data["routing.json"] = routing.dump(2) + "\n";
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", ConfigMapName(plan)},
            {"namespace", plan.ns},
            {"labels", Labels({plan.service, kComponentConfig, ""})}}},
          {"data", data}};
}

}  // namespace skiff::compute_aks::k8s
