// SPDX-License-Identifier: Apache-2.0
#include "registry_pull_secret.h"

#include "skiff/oci/registry_auth.h"
#include "skiff/util/base64.h"

namespace skiff::compute_aks {

using nlohmann::json;

StatusOr<std::string> PullSecretFromDockerConfig(const RegistryRef& registry,
                                                 const std::string& config_path) {
  const bool given = !config_path.empty();
  const std::string path = given ? config_path : oci::DefaultDockerConfigPath();
  auto read = oci::CredentialsFromDockerConfig(path, registry.host, given);
  if (!read.ok()) {
    // A file the user named that is missing or malformed is a bad argument:
    // refused before anything is created, so no record is left for it.
    return InvalidArgument("aks config: `registryConfig` (--registry-config): " +
                           read.status().message());
  }
  const oci::RegistryCredentials& creds = *read;
  if (creds.username.empty() || creds.password.empty()) {
    return InvalidArgument("aks config: `registry` " + registry.host +
                           " (--registry): the docker config " + path +
                           " has no username and password for it (the kubelet cannot use an "
                           "identity token); run `docker login " +
                           registry.host + "` or give --registry-config FILE");
  }
  const json entry = {
      {"username", creds.username},
      {"password", creds.password},
      {"auth", Base64Encode(creds.username + ":" + creds.password, Base64Alphabet::kStandard)}};
  return json{{"auths", {{registry.host, entry}}}}.dump();
}

void AddPullSecret(const std::string& service, const std::string& dockerconfigjson, bool redact,
                   std::vector<json>* objects) {
  const std::string name = service + "-registry";
  json metadata = {{"name", name}};
  bool any = false;
  const json::json_pointer pod_spec("/spec/template/spec");
  for (json& o : *objects) {
    if (o.value("kind", "") != "Deployment" || !o.contains(pod_spec)) continue;
    if (!any) {
      // The service's labels: the lifecycle prunes and deletes by them.
      for (const char* key : {"namespace", "labels"}) {
        if (o["metadata"].contains(key)) metadata[key] = o["metadata"][key];
      }
      any = true;
    }
    o[pod_spec]["imagePullSecrets"] = json::array({{{"name", name}}});
  }
  if (!any) return;
  const std::string value =
      redact ? "<redacted: " + std::to_string(dockerconfigjson.size()) + " bytes>"
             : dockerconfigjson;
  objects->push_back({{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", metadata},
                      {"type", "kubernetes.io/dockerconfigjson"},
                      {"stringData", {{".dockerconfigjson", value}}}});
}

}  // namespace skiff::compute_aks
