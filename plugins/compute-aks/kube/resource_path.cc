// SPDX-License-Identifier: Apache-2.0
#include "resource_path.h"

#include <cctype>

namespace skiff::compute_aks::kube {
namespace {

struct KindInfo {
  const char* kind;
  const char* group;  // "" for the core group
  const char* plural;
  bool namespaced;
};

constexpr KindInfo kKinds[] = {
    {"Namespace", "", "namespaces", false},
    {"Pod", "", "pods", true},
    {"Service", "", "services", true},
    {"Secret", "", "secrets", true},
    {"ConfigMap", "", "configmaps", true},
    {"ServiceAccount", "", "serviceaccounts", true},
    {"Event", "", "events", true},
    {"Deployment", "apps", "deployments", true},
    {"ReplicaSet", "apps", "replicasets", true},
    {"StatefulSet", "apps", "statefulsets", true},
    {"DaemonSet", "apps", "daemonsets", true},
    {"HorizontalPodAutoscaler", "autoscaling", "horizontalpodautoscalers", true},
    {"PodDisruptionBudget", "policy", "poddisruptionbudgets", true},
    {"Ingress", "networking.k8s.io", "ingresses", true},
    {"NetworkPolicy", "networking.k8s.io", "networkpolicies", true},
    {"Role", "rbac.authorization.k8s.io", "roles", true},
    {"RoleBinding", "rbac.authorization.k8s.io", "rolebindings", true},
    // prometheus-operator's CRD (kubernetes.serviceMonitor).
    {"ServiceMonitor", "monitoring.coreos.com", "servicemonitors", true},
};

// RFC 1123 subdomain: lower-case alphanumerics, '-' and '.', at most 253.
bool IsDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(s.front())) &&
         std::isalnum(static_cast<unsigned char>(s.back()));
}

}  // namespace

StatusOr<std::string> CollectionPath(const std::string& api_version, const std::string& kind,
                                     const std::string& namespace_) {
  const size_t slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string version =
      slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  if (version.empty() || version.find('/') != std::string::npos) {
    return InvalidArgument("apiVersion '" + api_version + "' is not GROUP/VERSION or v1");
  }
  for (const KindInfo& info : kKinds) {
    if (kind != info.kind) continue;
    if (group != info.group) {
      return InvalidArgument("kind " + kind + " belongs to API group '" + info.group +
                             "', not apiVersion '" + api_version + "'");
    }
    std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    if (info.namespaced) {
      if (namespace_.empty())
        return InvalidArgument(kind + " is namespaced: metadata.namespace is required");
      if (!IsDnsSubdomain(namespace_)) {
        return InvalidArgument("metadata.namespace '" + namespace_ + "' is not a DNS-1123 label");
      }
      path += "/namespaces/" + namespace_;
    } else if (!namespace_.empty()) {
      return InvalidArgument(kind + " is cluster-scoped: metadata.namespace must not be set");
    }
    return path + "/" + info.plural;
  }
  return InvalidArgument(
      "kind '" + kind +
      "' is not one skiff manages (Namespace, Service, Secret, "
      "ConfigMap, Deployment, HorizontalPodAutoscaler, PodDisruptionBudget, ...)");
}

StatusOr<std::string> ObjectPath(const ObjectRef& ref) {
  if (!IsDnsSubdomain(ref.name)) {
    return InvalidArgument("metadata.name '" + ref.name + "' of " + ref.kind +
                           " must be a lower-case DNS-1123 subdomain");
  }
  SKIFF_ASSIGN_OR_RETURN(std::string collection,
                         CollectionPath(ref.api_version, ref.kind, ref.namespace_));
  return collection + "/" + ref.name;
}

StatusOr<ObjectRef> RefOf(const nlohmann::json& object, const std::string& default_namespace) {
  if (!object.is_object()) return InvalidArgument("a Kubernetes object must be a JSON object");
  const auto str = [&](const nlohmann::json& parent, const char* key) -> std::string {
    auto it = parent.find(key);
    return it != parent.end() && it->is_string() ? it->get<std::string>() : "";
  };
  ObjectRef ref;
  ref.api_version = str(object, "apiVersion");
  ref.kind = str(object, "kind");
  if (ref.api_version.empty()) return InvalidArgument("apiVersion is required (a string)");
  if (ref.kind.empty()) return InvalidArgument("kind is required (a string)");
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return InvalidArgument(ref.kind + ": metadata is required (an object with name)");
  }
  ref.name = str(*meta, "name");
  if (ref.name.empty()) return InvalidArgument(ref.kind + ": metadata.name is required");
  ref.namespace_ = str(*meta, "namespace");
  if (ref.namespace_.empty() && ref.kind != "Namespace") ref.namespace_ = default_namespace;
  return ref;
}

std::string Describe(const ObjectRef& ref) {
  return ref.kind + " " + (ref.namespace_.empty() ? "" : ref.namespace_ + "/") + ref.name;
}

}  // namespace skiff::compute_aks::kube
