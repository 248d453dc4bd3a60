// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/compute_target.h"

#include <nlohmann/json.hpp>

#include "skiff/sdk/plugins.h"

namespace skiff::sdk {
namespace {

skiff::ComputeSpec SpecOf(const Workspace& ws, const store::ComputeTargetRecord& r) {
  return skiff::ComputeSpec{r.name, r.type, r.config_json, ws.dir()};
}

}  // namespace

StatusOr<std::shared_ptr<skiff::ComputeTarget>> ComputeTarget::plugin() const {
  // The record's config plus the host keys every compute plugin takes; the
  // rest of the options are the plugin's own business.
  nlohmann::json options = nlohmann::json::parse(
      record_.config_json.empty() ? "{}" : record_.config_json, nullptr, false);
  if (!options.is_object()) {
    return DataLoss("compute target '" + record_.name +
                    "' has a damaged config (not a JSON object); detach it and create or "
                    "attach it again");
  }
  options[kComputeOptionTargetName] = record_.name;
  options[kComputeOptionWorkspaceDir] = ws_.dir();
  auto made = SharedPlugins().Create<skiff::ComputeTarget>(record_.type, options.dump());
  if (!made.ok()) {
    return made.status().WithContext("compute target '" + record_.name + "' (type " +
                                     record_.type + ")");
  }
  return made;
}

StatusOr<std::shared_ptr<skiff::ComputeTarget>> ComputeTarget::dry_run_plugin(
    const std::string& output_path) const {
  if (record_.type != "aks") {
    return Unimplemented(
        "--dry-run renders Kubernetes objects, so it needs an aks compute target; '" +
        record_.name + "' is " + record_.type);
  }
  nlohmann::json options = nlohmann::json::parse(
      record_.config_json.empty() ? "{}" : record_.config_json, nullptr, false);
  if (!options.is_object()) {
    return DataLoss("compute target '" + record_.name + "' has a damaged config");
  }
  options["dryRunOutput"] = output_path;
  options["showOutput"] = false;
  auto made = SharedPlugins().Create<skiff::ComputeTarget>(record_.type, options.dump());
  if (!made.ok()) {
    return made.status().WithContext("compute target '" + record_.name + "' (type " + record_.type +
                                     ")");
  }
  return made;
}

StatusOr<std::pair<ComputeTarget, std::shared_ptr<skiff::ComputeTarget>>> ComputeTarget::Register(
    const Workspace& ws, const std::string& name, const std::string& type,
    const std::string& config_json, const std::string& state) {
  if (name.size() < 2 || name.size() > 32) {
    return InvalidArgument("compute target name '" + name + "' must be 2-32 characters");
  }
  store::ComputeTargetRecord record;
  record.name = name;
  record.type = type;
  record.config_json = config_json;
  record.state = state;
  ComputeTarget target(ws, record);
  SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
  SKIFF_RETURN_IF_ERROR(ws.store().CreateComputeTarget(record));
  return std::make_pair(std::move(target), std::move(plugin));
}

StatusOr<ComputeTarget> ComputeTarget::create(const Workspace& ws, const std::string& name,
                                              const std::string& type,
                                              const std::string& config_json) {
  // A create that failed before (no credentials, a request the cloud
  // refused) left a Failed record so that `show` tells why; the retry takes
  // it over instead of failing with "already exists".
  if (auto earlier = ws.store().GetComputeTarget(name);
      earlier.ok() && earlier->state == "Failed" && earlier->type == type) {
    SKIFF_RETURN_IF_ERROR(ws.store().DeleteComputeTarget(name));
  }
  SKIFF_ASSIGN_OR_RETURN(auto registered, Register(ws, name, type, config_json, "Creating"));
  auto& [target, plugin] = registered;
  Status provisioned = plugin->Provision(SpecOf(ws, target.record_));
  if (provisioned.code() == StatusCode::kInvalidArgument ||
      provisioned.code() == StatusCode::kAlreadyExists ||
      provisioned.code() == StatusCode::kUnauthenticated ||
      provisioned.code() == StatusCode::kPermissionDenied) {
    // Refused before anything was created: leave no Failed record behind.
    (void)ws.store().DeleteComputeTarget(name);
    return provisioned.WithContext("provisioning '" + name + "'");
  }
  // A create that did not wait (`--no-wait`) has only been accepted: the
  // record says Creating until refresh()/wait_for_completion() sees the end.
  const auto config = nlohmann::json::parse(config_json, nullptr, false);
  const bool waited = !config.is_object() || config.value("wait", true);
  target.record_.state = !provisioned.ok() ? "Failed" : (waited ? "Succeeded" : "Creating");
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
  Status deleted = plugin->Delete(SpecOf(ws_, record_));
  if (!deleted.ok()) (void)ws_.store().CreateComputeTarget(record_);  // still there: keep it known
  return deleted;
}

StatusOr<ComputeDescription> ComputeTarget::describe() const {
  SKIFF_ASSIGN_OR_RETURN(auto plugin, this->plugin());
  return plugin->Describe(SpecOf(ws_, record_));
}

Status ComputeTarget::refresh(bool wait, bool show_output) {
  SKIFF_ASSIGN_OR_RETURN(auto plugin, this->plugin());
  auto refreshed = plugin->Refresh(SpecOf(ws_, record_), RefreshOptions{wait, show_output});
  const Status status = refreshed.status().WithContext("refreshing '" + record_.name + "'");
  if (refreshed.ok()) {
    // A wait that ended well, or a look that found the infrastructure
    // ready: the record catches up with what a `--no-wait` create left.
    if (!wait && refreshed->state != "Succeeded") return OkStatus();
    record_.state = "Succeeded";
  } else if (status.code() == StatusCode::kAborted || status.code() == StatusCode::kNotFound) {
    record_.state = "Failed";
  } else {
    return status;
  }
  SKIFF_RETURN_IF_ERROR(ws_.store().UpdateComputeTarget(record_));
  return status;
}

// --- attach / detach (compute-aks) ---------------------------------------

StatusOr<ComputeTarget> ComputeTarget::attach(const Workspace& ws, const std::string& name,
                                              const std::string& type,
                                              const std::string& config_json) {
  SKIFF_ASSIGN_OR_RETURN(auto registered, Register(ws, name, type, config_json, "Attaching"));
  auto& [target, plugin] = registered;
  Status attached = plugin->Attach(SpecOf(ws, target.record_));
  if (!attached.ok()) {
    (void)ws.store().DeleteComputeTarget(name);  // nothing was attached
    return attached.WithContext("attaching '" + name + "'");
  }
  target.record_.state = "Succeeded";
  SKIFF_RETURN_IF_ERROR(ws.store().UpdateComputeTarget(target.record_));
  return get(ws, name);
}

Status ComputeTarget::detach() const {
  SKIFF_ASSIGN_OR_RETURN(auto plugin, this->plugin());
  SKIFF_RETURN_IF_ERROR(ws_.store().DeleteComputeTarget(record_.name));
  return plugin->Detach(SpecOf(ws_, record_));
}

std::string AksCompute::provisioning_configuration(const ProvisioningConfiguration& c) {
  nlohmann::json j = {{"configType", "provisioning"},
                      {"subscriptionId", c.subscription_id},
                      {"resourceGroup", c.resource_group},
                      {"location", c.location},
                      {"agentCount", c.agent_count},
                      {"vmSize", c.vm_size},
                      {"clusterPurpose", c.cluster_purpose},
                      {"loadBalancerType", c.load_balancer_type},
                      {"wait", c.wait},
                      {"showOutput", c.show_output}};
  if (c.vcpus > 0) j["vcpus"] = c.vcpus;
  if (!c.load_balancer_subnet.empty()) j["loadBalancerSubnet"] = c.load_balancer_subnet;
  if (!c.ssl_cname.empty()) j["sslCname"] = c.ssl_cname;
  if (!c.ssl_cert_pem_file.empty()) j["sslCertPemFile"] = c.ssl_cert_pem_file;
  if (!c.ssl_key_pem_file.empty()) j["sslKeyPemFile"] = c.ssl_key_pem_file;
  if (!c.ssl_leaf_domain_label.empty()) j["leafDomainLabel"] = c.ssl_leaf_domain_label;
  if (!c.cluster_name.empty()) j["clusterName"] = c.cluster_name;
  if (!c.registry.empty()) j["registry"] = c.registry;
  if (!c.registry_config.empty()) j["registryConfig"] = c.registry_config;
  return j.dump();
}

std::string AksCompute::attach_configuration(const std::string& resource_group,
                                             const std::string& cluster_name,
                                             const std::string& resource_id,
                                             const std::string& cluster_purpose,
                                             const std::string& subscription_id, bool show_output,
                                             const std::string& registry,
                                             const std::string& registry_config) {
  nlohmann::json j = {{"configType", "attach"}, {"clusterPurpose", cluster_purpose},
                      {"showOutput", show_output}};
  if (!resource_id.empty()) j["resourceId"] = resource_id;
  if (!resource_group.empty()) j["resourceGroup"] = resource_group;
  if (!cluster_name.empty()) j["clusterName"] = cluster_name;
  if (!subscription_id.empty()) j["subscriptionId"] = subscription_id;
  if (!registry.empty()) j["registry"] = registry;
  if (!registry_config.empty()) j["registryConfig"] = registry_config;
  return j.dump();
}

std::string KubernetesCompute::attach_configuration(const std::string& kubeconfig,
                                                    const std::string& context,
                                                    const std::string& cluster_purpose,
                                                    bool show_output, const std::string& registry,
                                                    const std::string& registry_config) {
  nlohmann::json j = {{"configType", "kubeconfig"},
                      {"kubeconfig", kubeconfig},
                      {"clusterPurpose", cluster_purpose},
                      {"showOutput", show_output}};
  if (!context.empty()) j["context"] = context;
  if (!registry.empty()) j["registry"] = registry;
  if (!registry_config.empty()) j["registryConfig"] = registry_config;
  return j.dump();
}

}  // namespace skiff::sdk
