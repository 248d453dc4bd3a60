// SPDX-License-Identifier: Apache-2.0
// The service's configuration objects: its Namespace, the Secret with every
// version pod's server.json, the router's server.json (key digests, never
// raw keys) and the token signing-key files, and the ConfigMap with the
// inference configs and the routing table (for people and tools; the router
// reads its server.json).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "k8s/service_plan.h"

namespace skiff::compute_aks::k8s {

nlohmann::json NamespaceObject(const ServicePlan& plan);

// stringData: server-<version>.json per version, server-router.json,
// signing-keys.<file> per
// `signing_key_files` entry (file name -> contents).
nlohmann::json ServerSecret(const ServicePlan& plan,
                            const std::map<std::string, std::string>& signing_key_files);

// data: inference-<version>.json, routing.json ({"service", "versions":
// [{name, trafficPercentile, isDefault, isControl, kubernetesService}],
// with sticky A/B also "routingKey" ({"header"} or {"cookie"}) and
// "exposureLog"; never the salt, which only the Secret holds).
nlohmann::json ConfigConfigMap(const ServicePlan& plan);

}  // namespace skiff::compute_aks::k8s
