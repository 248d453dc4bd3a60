// SPDX-License-Identifier: Apache-2.0
#include "arm/acr_pull.h"

#include <nlohmann/json.hpp>

#include "skiff/util/sha256.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

// A listing follows nextLink; ARM pages hold up to 1000 registries, so this
// bounds a misbehaving endpoint, not a real subscription.
constexpr int kMaxListPages = 100;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string StringAt(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

StatusOr<std::string> FindRegistryId(ArmClient& arm, const ClusterRef& cluster,
                                     const std::string& acr_name) {
  const std::string what = "Container Registry '" + acr_name + "'";
  const std::string in_group = "/subscriptions/" + cluster.subscription_id + "/resourceGroups/" +
                               cluster.resource_group +
                               "/providers/Microsoft.ContainerRegistry/registries/" + acr_name +
                               "?api-version=" + kRegistryApiVersion;
  SKIFF_ASSIGN_OR_RETURN(HttpResponse got, arm.Call("GET", in_group));
  if (got.status == 200) {
    const std::string id = StringAt(json::parse(got.body, nullptr, false), "id");
    if (id.empty()) return Internal("GET " + what + ": the reply has no `id`");
    return id;
  }
  if (got.status != 404) return ArmError(got, "GET " + what);
  std::string page =
      "/subscriptions/" + cluster.subscription_id +
      "/providers/Microsoft.ContainerRegistry/registries?api-version=" + kRegistryApiVersion;
  for (int pages = 0; !page.empty() && pages < kMaxListPages; ++pages) {
    SKIFF_ASSIGN_OR_RETURN(HttpResponse list, arm.Call("GET", page));
    if (list.status != 200) return ArmError(list, "list Container Registries");
    const json j = json::parse(list.body, nullptr, false);
    if (j.is_object() && j.contains("value") && j["value"].is_array()) {
      for (const json& r : j["value"]) {
        if (Lower(StringAt(r, "name")) == acr_name && !StringAt(r, "id").empty()) {
          return StringAt(r, "id");
        }
      }
    }
    page = StringAt(j, "nextLink");
  }
  return InvalidArgument("aks config: `registry` (--registry " + acr_name + "): no " + what +
                         " in subscription " + cluster.subscription_id +
                         " visible to these credentials; create it (az acr create -n " + acr_name +
                         "), grant the service principal Reader on it, or give another "
                         "registry's host");
}

StatusOr<std::string> KubeletObjectId(const std::string& cluster_json) {
  const json c = json::parse(cluster_json, nullptr, false);
  const json::json_pointer at("/properties/identityProfile/kubeletidentity/objectId");
  if (c.is_object() && c.contains(at) && c[at].is_string() && !c[at].get<std::string>().empty()) {
    return c[at].get<std::string>();
  }
  return FailedPrecondition(
      "the AKS cluster reports no kubelet identity (properties.identityProfile.kubeletidentity);"
      " AcrPull needs a cluster with managed identities (az aks update "
      "--enable-managed-identity), or use --registry with another registry's host");
}

std::string AcrPullAssignmentName(const std::string& registry_id, const std::string& principal_id) {
  std::string h = Sha256Hex("skiff-acrpull\n" + Lower(registry_id) + "\n" + Lower(principal_id) +
                            "\n" + kAcrPullRoleId)
                      .substr(0, 32);
  h[12] = '8';  // version 8: a custom (here SHA-256-based) UUID
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];  // RFC 9562 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

StatusOr<std::string> GrantAcrPull(ArmClient& arm, const std::string& subscription_id,
                                   const std::string& registry_id,
                                   const std::string& principal_id) {
  const std::string name = AcrPullAssignmentName(registry_id, principal_id);
  const std::string id = registry_id + "/providers/Microsoft.Authorization/roleAssignments/" + name;
  const std::string path = id + "?api-version=" + kRoleAssignmentApiVersion;
  const json body = {{"properties",
                      {{"roleDefinitionId",
                        "/subscriptions/" + subscription_id +
                            "/providers/Microsoft.Authorization/roleDefinitions/" + kAcrPullRoleId},
                       {"principalId", principal_id},
                       {"principalType", "ServicePrincipal"}}}};
  SKIFF_ASSIGN_OR_RETURN(HttpResponse put, arm.Call("PUT", path, body.dump()));
  if (put.status == 200 || put.status == 201) return id;
  // The same assignment under another name (made by az aks --attach-acr,
  // say): the cluster can pull, which is all that is asked; not skiff's to
  // remove later.
  if (put.status == 409 && ArmErrorDetail(put.body).rfind("RoleAssignmentExists", 0) == 0) {
    return std::string();
  }
  return ArmError(put, "PUT AcrPull role assignment on " + registry_id +
                           " (the service principal needs Owner or User Access Administrator "
                           "on the registry)");
}

Status RevokeAcrPull(ArmClient& arm, const std::string& assignment_id) {
  SKIFF_ASSIGN_OR_RETURN(
      HttpResponse del,
      arm.Call("DELETE", assignment_id + "?api-version=" + kRoleAssignmentApiVersion));
  // 204: not there (removed by hand, or with the registry): nothing to do.
  if (del.status == 200 || del.status == 204 || del.status == 404) return OkStatus();
  return ArmError(del, "DELETE AcrPull role assignment " + assignment_id +
                           " (the service principal needs Owner or User Access Administrator on "
                           "the registry; or remove it with `az role assignment delete --ids`)");
}

}  // namespace skiff::compute_aks
