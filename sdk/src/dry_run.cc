// Webservice::render_dry_run: the Kubernetes objects a deploy would create,
// rendered by the aks plugin into a temporary file and returned as text.
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "deployment.h"
#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/sdk/webservice.h"

namespace skiff::sdk {

StatusOr<std::string> Webservice::render_dry_run(const Workspace& ws, const std::string& name,
                                                 const std::vector<Model>& models,
                                                 const std::string& inference_config_json,
                                                 const std::string& deployment_config_json,
                                                 const ComputeTarget& target) {
  SKIFF_RETURN_IF_ERROR(internal::ValidateServiceName(name));
  if (models.empty()) return InvalidArgument("deploy needs at least one model (-m NAME:VERSION)");
  SKIFF_ASSIGN_OR_RETURN(config::DeploymentConfig dc,
                         config::ParseDeploymentConfig(
                             deployment_config_json.empty() ? "{}" : deployment_config_json));
  SKIFF_ASSIGN_OR_RETURN(config::InferenceConfig ic,
                         config::ParseInferenceConfig(inference_config_json));

  // Digests of the keys a deploy would use; none are generated or stored.
  std::optional<std::vector<std::string>> digests;
  if (dc.auth_enabled && !dc.token_auth_enabled) {
    auto existing = internal::ReadKeys(ws, name);
    std::string primary = dc.keys.primary_key.value_or(existing.ok() ? existing->first : "");
    std::string secondary = dc.keys.secondary_key.value_or(existing.ok() ? existing->second : "");
    digests = std::vector<std::string>{
        primary.empty() ? "<sha256 of the primary key generated at deploy>"
                        : internal::Sha256Hex(primary),
        secondary.empty() ? "<sha256 of the secondary key generated at deploy>"
                          : internal::Sha256Hex(secondary)};
  }
  std::vector<internal::VersionInput> versions = {
      {VersionSpec{name, 100, true, VersionType::kTreatment},
       store::ModelVersionRef{models.front().name(), models.front().version()},
       config::ToJson(ic).dump()}};
  SKIFF_ASSIGN_OR_RETURN(ServiceSpec spec,
                         internal::BuildServiceSpec(ws, name, config::ToJson(dc).dump(), versions,
                                                    /*generation=*/0, digests));

  char path[] = "/tmp/skiff-dry-run-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return Internal("--dry-run: cannot create a temporary file in /tmp");
  ::close(fd);
  struct Unlink {
    const char* p;
    ~Unlink() { ::unlink(p); }
  } unlink_at_exit{path};

  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.dry_run_plugin(path));
  SKIFF_RETURN_IF_ERROR(plugin->DeployService(spec).WithContext("--dry-run"));
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty()) {
    return Internal("--dry-run: the '" + target.type() + "' plugin wrote no objects");
  }
  return text.str();
}

}  // namespace skiff::sdk
