// SPDX-License-Identifier: Apache-2.0
// `--dry-run`: the Kubernetes objects a deploy or update would apply,
// rendered by the aks plugin into a temporary file and returned as text.
#include "dry_run.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "deployment.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/config/server_config.h"
#include "skiff/sdk/webservice.h"
#include "skiff/util/file.h"
#include "skiff/util/sha256.h"

namespace skiff::sdk {
namespace internal {

std::optional<std::vector<std::string>> DryRunKeyDigests(const Workspace& ws,
                                                         const std::string& service,
                                                         const config::DeploymentConfig& dc) {
  if (!dc.auth_enabled || dc.token_auth_enabled) return std::nullopt;
  auto existing = ReadKeys(ws, service);
  const std::string primary = dc.keys.primary_key.value_or(existing.ok() ? existing->first : "");
  const std::string secondary =
      dc.keys.secondary_key.value_or(existing.ok() ? existing->second : "");
  return std::vector<std::string>{
      primary.empty() ? "<sha256 of the primary key generated at deploy>" : Sha256Hex(primary),
      secondary.empty() ? "<sha256 of the secondary key generated at deploy>"
                        : Sha256Hex(secondary)};
}

StatusOr<std::string> RenderDryRun(const ComputeTarget& target, const ServiceSpec& original,
                                   bool update) {
  // The routing salt is a secret: the printed objects show a placeholder.
  ServiceSpec spec = original;
  if (auto server = config::ParseServerConfig(spec.server_config_json);
      server.ok() && !server->routing.salt.empty()) {
    server->routing.salt = kRoutingSaltPlaceholder;
    spec.server_config_json = config::ToJson(*server).dump();
  }
  char path[] = "/tmp/skiff-dry-run-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return Internal("--dry-run: cannot create a temporary file in /tmp");
  ::close(fd);
  struct Unlink {
    const char* p;
    ~Unlink() { ::unlink(p); }
  } unlink_at_exit{path};

  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.dry_run_plugin(path));
  SKIFF_RETURN_IF_ERROR((update ? plugin->UpdateService(spec) : plugin->DeployService(spec))
                            .WithContext("--dry-run"));
  auto text = ReadFile(path);
  if (!text.ok() || text->empty()) {
    return Internal("--dry-run: the '" + target.type() + "' plugin wrote no objects");
  }
  return text;
}

}  // namespace internal

StatusOr<std::string> Webservice::render_dry_run(const Workspace& ws, const std::string& name,
                                                 const std::vector<Model>& models,
                                                 const std::string& inference_config_json,
                                                 const std::string& deployment_config_json,
                                                 const ComputeTarget& target) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(name));
  if (models.empty()) return InvalidArgument("deploy needs at least one model (-m NAME:VERSION)");
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(
                             deployment_config_json.empty() ? "{}" : deployment_config_json));
  SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                         config::ParseInferenceConfig(inference_config_json));
  std::vector<internal::VersionInput> versions = {
      {VersionSpec{name, 100, true, VersionType::kTreatment},
       store::ModelVersionRef{models.front().name(), models.front().version()},
       config::ToJson(ic).dump(), /*deployment_config_json=*/""}};
  SKIFF_ASSIGN_OR_RETURN(
      ServiceSpec spec,
      internal::BuildServiceSpec(ws, name, config::ToJson(dc).dump(), versions,
                                 /*generation=*/0, internal::DryRunKeyDigests(ws, name, dc)));
  return internal::RenderDryRun(target, spec, /*update=*/false);
}

StatusOr<std::string> AksEndpoint::render_dry_run(const Workspace& ws, const std::string& name,
                                                  const EndpointVersion& first,
                                                  const std::string& deployment_config_json,
                                                  const ComputeTarget& target) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(name));
  SKIFF_RETURN_IF_ERROR(ValidateVersionName(first.name));
  if (first.models.empty())
    return InvalidArgument("the first version needs a model (-m NAME:VERSION)");
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(
                             deployment_config_json.empty() ? "{}" : deployment_config_json));
  SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                         config::ParseInferenceConfig(first.inference_config_json));
  // As deploy(): the first version is the default and runs the endpoint's config.
  std::vector<internal::VersionInput> versions = {
      {VersionSpec{first.name, first.traffic_percentile.value_or(0), true,
                   first.is_control_version_type.value_or(false) ? VersionType::kControl
                                                                 : VersionType::kTreatment},
       store::ModelVersionRef{first.models.front().name(), first.models.front().version()},
       config::ToJson(ic).dump(), /*deployment_config_json=*/""}};
  SKIFF_ASSIGN_OR_RETURN(
      ServiceSpec spec,
      internal::BuildServiceSpec(ws, name, config::ToJson(dc).dump(), versions,
                                 /*generation=*/0, internal::DryRunKeyDigests(ws, name, dc)));
  return internal::RenderDryRun(target, spec, /*update=*/false);
}

}  // namespace skiff::sdk
