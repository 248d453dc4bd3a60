// SPDX-License-Identifier: Apache-2.0
#include "k8s/target_render.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cluster_files.h"
#include "k8s/cluster_settings.h"
#include "k8s/render.h"
#include "k8s/signing_key_files.h"
#include "k8s/version_objects.h"
#include "k8s/yaml_emitter.h"
#include "registry_pull_secret.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/server_config.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

bool TokenMode(const ServiceSpec& spec) {
  auto dc = config::ParseDeploymentConfig(spec.deployment_config_json);
  return dc.ok() && dc->token_auth_enabled;
}

// The signing-key set the service's auth plugin reads (its `keysDir`
// option), "" if the server config names none.
std::string KeysDir(const ServiceSpec& spec) {
  auto server = config::ParseServerConfig(spec.server_config_json);
  if (!server.ok()) return "";
  const auto dir = server->auth_options.find("keysDir");
  return dir != server->auth_options.end() && dir->is_string() ? dir->get<std::string>() : "";
}

StatusOr<std::vector<json>> Render(const ServiceSpec& spec, const AksConfig& config, bool dry_run) {
  RenderInput in;
  in.spec = spec;
  in.cluster = ClusterSettingsFrom(config);
  in.options = config.kubernetes;
  if (!in.cluster.ssl_cname.empty()) {
    // The copies create kept (cluster_files.h), not the paths it was given.
    auto pair = ReadTlsPair(config.workspace_dir, config.target_name);
    if (pair.ok()) {
      in.tls = std::move(pair).value();
    } else if (dry_run && pair.status().code() == StatusCode::kNotFound) {
      in.tls = TlsPair{"(from --ssl-cert-file)", "(from --ssl-key-file)"};
    } else {
      return pair.status().WithContext(
          "the front door's certificate (detach and create the target again with "
          "--ssl-cert-file and --ssl-key-file)");
    }
  }
  if (TokenMode(spec)) {
    const std::string dir = KeysDir(spec);
    auto files = ReadSigningKeyFiles(dir);
    if (files.ok()) {
      in.signing_key_files = std::move(files).value();
    } else if (dry_run && files.status().code() == StatusCode::kNotFound) {
      in.signing_key_files["active"] = "(the service's signing key, created on deploy)";
    } else {
      return files.status().WithContext("token auth for '" + spec.name + "'");
    }
  }
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> objects, RenderService(in));
  if (!config.registry.empty() && !config.registry.is_acr()) {
    // Another registry: the credentials create/attach kept become the pods'
    // imagePullSecret (docs/compute-aks.md § Pulling images).
    auto auth = ReadRegistryAuth(config.workspace_dir, config.target_name);
    if (!auth.ok() && !(dry_run && auth.status().code() == StatusCode::kNotFound)) {
      return auth.status().WithContext(
          "registry " + config.registry.host +
          " credentials (detach and attach the target again with --registry-config)");
    }
    AddPullSecret(spec.name, auth.ok() ? *auth : std::string("(from --registry-config)"), dry_run,
                  &objects);
  }
  return objects;
}

// One YAML comment line per Deployment container: what each pod would pull,
// so a reviewer sees the digests without reading the manifests. A reference
// without "@sha256:" is marked: the cluster resolves a tag at pull time.
std::string ImageSummary(const std::vector<json>& objects) {
  std::string out;
  const json::json_pointer containers_at("/spec/template/spec/containers");
  for (const json& o : objects) {
    if (o.value("kind", "") != "Deployment" || !o.contains(containers_at) ||
        !o[containers_at].is_array()) {
      continue;
    }
    const std::string name = o["metadata"].value("name", "");
    for (const json& c : o[containers_at]) {
      const std::string image = c.value("image", "");
      out += "# image: " + name + "/" + c.value("name", "") + " runs " + image +
             (image.find("@sha256:") == std::string::npos ? " (by tag, not by digest)" : "") + "\n";
    }
  }
  return out;
}

}  // namespace

StatusOr<std::vector<json>> RenderForTarget(const ServiceSpec& spec, const AksConfig& config) {
  return Render(spec, config, /*dry_run=*/false);
}

Status WriteDryRun(const ServiceSpec& spec, const AksConfig& config, const std::string& path) {
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> objects, Render(spec, config, /*dry_run=*/true));
  for (json& o : objects) {
    if (o["kind"] != "Secret") continue;
    for (auto& item : o["stringData"].items()) {
      if (item.key().rfind(kSigningKeyPrefix, 0) == 0 || item.key() == "tls.key") {
        item.value() =
            "<redacted: " + std::to_string(item.value().get<std::string>().size()) + " bytes>";
      }
    }
  }
  // Comments keep the output a valid manifest for `kubectl apply -f`.
  const std::string text = ImageSummary(objects) + ToYaml(objects);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("dry run: cannot write '" + path + "': " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return Internal("dry run: cannot write '" + path + "'");
  return OkStatus();
}

}  // namespace skiff::compute_aks::k8s
