#include "skiff/sdk/compute_target.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "skiff/sdk/plugins.h"

namespace skiff::sdk {
namespace {

skiff::ComputeSpec SpecOf(const Workspace& ws, const store::ComputeTargetRecord& r) {
  return skiff::ComputeSpec{r.name, r.type, r.config_json, ws.dir()};
}

}  // namespace

StatusOr<std::shared_ptr<skiff::ComputeTarget>> ComputeTarget::plugin() const {
  std::string options = record_.config_json;
  if (record_.type == "local") {
    nlohmann::json o = {{"serverBinary", FindSkiffExecutable("skiff-server")},
                        {"supervisorBinary", FindSkiffExecutable("skiff-supervisor")},
                        {"workspaceDir", ws_.dir()}};
    if (const char* p = std::getenv("SKIFF_PLUGIN_PATH"); p != nullptr && *p != '\0') {
      o["pluginPath"] = p;
    }
    options = o.dump();
  }
  auto made = SharedPlugins().Create<skiff::ComputeTarget>(record_.type, options);
  if (!made.ok()) {
    return made.status().WithContext("compute target '" + record_.name + "' (type " +
                                     record_.type + ")");
  }
  return made;
}

StatusOr<ComputeTarget> ComputeTarget::create(const Workspace& ws, const std::string& name,
                                              const std::string& type,
                                              const std::string& config_json) {
  if (name.size() < 2 || name.size() > 32) {
    return InvalidArgument("compute target name '" + name + "' must be 2-32 characters");
  }
  store::ComputeTargetRecord record;
  record.name = name;
  record.type = type;
  record.config_json = config_json;
  record.state = "Creating";
  ComputeTarget target(ws, record);
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  SKIFF_RETURN_IF_ERROR(ws.store().CreateComputeTarget(record));
  Status provisioned = plugin->Provision(SpecOf(ws, record));
  target.record_.state = provisioned.ok() ? "Succeeded" : "Failed";
  SKIFF_RETURN_IF_ERROR(ws.store().UpdateComputeTarget(target.record_));
  SKIFF_RETURN_IF_ERROR(provisioned.WithContext("provisioning '" + name + "'"));
  return get(ws, name);
}

StatusOr<ComputeTarget> ComputeTarget::get(const Workspace& ws, const std::string& name) {
  auto record = ws.store().GetComputeTarget(name);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return NotFound("compute target '" + name +
                      "' does not exist; create it with `skiff computetarget create local -n " +
                      name + "`");
    }
    return record.status();
  }
  return ComputeTarget(ws, std::move(record).value());
}

StatusOr<std::vector<ComputeTarget>> ComputeTarget::list(const Workspace& ws) {
  SKIFF_ASSIGN_OR_RETURN(auto records, ws.store().ListComputeTargets());
  std::vector<ComputeTarget> out;
  for (auto& r : records) out.push_back(ComputeTarget(ws, std::move(r)));
  return out;
}

Status ComputeTarget::delete_target() const {
  SKIFF_ASSIGN_OR_RETURN(auto plugin, this->plugin());
  SKIFF_RETURN_IF_ERROR(ws_.store().DeleteComputeTarget(record_.name));
  return plugin->Delete(SpecOf(ws_, record_));
}

}  // namespace skiff::sdk
