// SPDX-License-Identifier: Apache-2.0
// Where a Kubernetes object lives in the REST API: the kinds skiff deploys
// (core v1, apps, autoscaling, policy, networking, rbac), their plural
// resource names, whether they are namespaced, and which API groups they
// belong to (a Deployment under "v1" is refused, as the API server would).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks::kube {

struct ObjectRef {
  std::string api_version;  // "v1", "apps/v1", "autoscaling/v2", ...
  std::string kind;         // "Deployment"
  std::string namespace_;   // "" for cluster-scoped kinds (Namespace)
  std::string name;
};

// "/api/v1/namespaces/ns/pods" or "/apis/apps/v1/namespaces/ns/deployments";
// InvalidArgument for an unknown kind, a kind in the wrong group, or a
// namespace missing (namespaced kind) or given (cluster-scoped kind).
StatusOr<std::string> CollectionPath(const std::string& api_version, const std::string& kind,
                                     const std::string& namespace_);
// CollectionPath + "/" + name (name required, a DNS-1123 subdomain).
StatusOr<std::string> ObjectPath(const ObjectRef& ref);

// apiVersion, kind, metadata.namespace (default_namespace when absent for a
// namespaced kind) and metadata.name of an object; InvalidArgument naming
// the missing field.
StatusOr<ObjectRef> RefOf(const nlohmann::json& object, const std::string& default_namespace);

// "Deployment ns/name" for messages.
std::string Describe(const ObjectRef& ref);

}  // namespace skiff::compute_aks::kube
