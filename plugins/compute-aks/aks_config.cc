#include "aks_config.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "k8s/render_options.h"
#include "vm_sizes.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

const std::set<std::string> kProvisioningKeys = {
    "configType",         "subscriptionId", "resourceGroup",  "location",       "clusterName",
    "agentCount",         "vmSize",         "vcpus",          "clusterPurpose", "loadBalancerType",
    "loadBalancerSubnet", "sslCname",       "sslCertPemFile", "sslKeyPemFile",  "kubernetesVersion",
    "dnsPrefix",          "wait",           "showOutput",     "kubernetes",     "dryRunOutput",
    "targetName",         "workspaceDir"};
const std::set<std::string> kAttachKeys = {
    "configType", "resourceId", "subscriptionId", "resourceGroup", "clusterName", "clusterPurpose",
    "showOutput", "kubernetes", "dryRunOutput",   "targetName",    "workspaceDir"};
const std::set<std::string> kRefreshKeys = {"configType", "wait", "showOutput"};

Status Field(const json& j, const char* key, std::string* out) {
  if (!j.contains(key) || j[key].is_null()) return OkStatus();
  if (!j[key].is_string())
    return InvalidArgument(std::string("aks config: `") + key + "` must be a string");
  *out = j[key].get<std::string>();
  return OkStatus();
}

Status Field(const json& j, const char* key, int* out) {
  if (!j.contains(key) || j[key].is_null()) return OkStatus();
  if (!j[key].is_number_integer()) {
    return InvalidArgument(std::string("aks config: `") + key + "` must be an integer");
  }
  const auto v = j[key].get<int64_t>();
  if (v < -1000000 || v > 1000000)
    return InvalidArgument(std::string("aks config: `") + key + "` is out of range");
  *out = static_cast<int>(v);
  return OkStatus();
}

Status Field(const json& j, const char* key, bool* out) {
  if (!j.contains(key) || j[key].is_null()) return OkStatus();
  if (!j[key].is_boolean())
    return InvalidArgument(std::string("aks config: `") + key + "` must be true or false");
  *out = j[key].get<bool>();
  return OkStatus();
}

Status Required(const std::string& value, const char* key, const char* flag) {
  if (!value.empty()) return OkStatus();
  return InvalidArgument(std::string("aks config: `") + key + "` is required (" + flag + ")");
}

Status CheckPurpose(const std::string& purpose) {
  if (purpose == "FastProd" || purpose == "DevTest") return OkStatus();
  return InvalidArgument("aks config: `clusterPurpose` '" + purpose +
                         "' must be FastProd or DevTest");
}

Status ValidateProvisioning(AksProvisioningConfig& c, std::vector<std::string>* warnings) {
  SKIFF_RETURN_IF_ERROR(Required(c.subscription_id, "subscriptionId", "--subscription"));
  SKIFF_RETURN_IF_ERROR(Required(c.resource_group, "resourceGroup", "--resource-group"));
  SKIFF_RETURN_IF_ERROR(Required(c.location, "location", "--location, e.g. eastus"));
  if (!c.cluster_name.empty()) SKIFF_RETURN_IF_ERROR(ValidateTargetName(c.cluster_name));
  SKIFF_RETURN_IF_ERROR(CheckPurpose(c.cluster_purpose));
  if (c.agent_count < 1) {
    return InvalidArgument("aks config: `agentCount` is " + std::to_string(c.agent_count) +
                           "; it must be at least 1");
  }
  if (c.vcpus < 0) return InvalidArgument("aks config: `vcpus` must be positive");
  if (c.vm_size.empty()) return InvalidArgument("aks config: `vmSize` is empty");
  int vcpus = c.vcpus;
  if (vcpus == 0) {
    auto known = VcpusOf(c.vm_size);
    if (!known) {
      return InvalidArgument("aks config: VM size '" + c.vm_size +
                             "' is not in skiff's table of vCPU counts; check the name (e.g. "
                             "Standard_D3_v2) or give its vCPUs with --vcpus");
    }
    vcpus = *known;
  }
  const int64_t total = int64_t{vcpus} * c.agent_count;
  if (c.cluster_purpose == "FastProd" && total < 12) {
    return InvalidArgument(std::string(kFastProdRule) + " (agentCount " +
                           std::to_string(c.agent_count) + " x " + std::to_string(vcpus) +
                           " vCPUs of " + c.vm_size + " = " + std::to_string(total) +
                           " for clusterPurpose FastProd; raise --agent-count, pick a larger "
                           "--vm-size, or use --cluster-purpose DevTest)");
  }
  if (c.cluster_purpose == "DevTest" && total < 2) {
    warnings->push_back("DevTest cluster with " + std::to_string(total) +
                        " vCPU in total: fewer than 2 vCPUs may not fit the system pods and "
                        "a service");
  }
  if (c.load_balancer_type != "PublicIp" && c.load_balancer_type != "InternalLoadBalancer") {
    return InvalidArgument("aks config: `loadBalancerType` '" + c.load_balancer_type +
                           "' must be PublicIp or InternalLoadBalancer");
  }
  if (!c.load_balancer_subnet.empty() && c.load_balancer_type != "InternalLoadBalancer") {
    return InvalidArgument(
        "aks config: `loadBalancerSubnet` is only allowed with loadBalancerType "
        "InternalLoadBalancer (add --load-balancer-type InternalLoadBalancer)");
  }
  const int ssl = !c.ssl_cname.empty() + !c.ssl_cert_pem_file.empty() + !c.ssl_key_pem_file.empty();
  if (ssl != 0 && ssl != 3) {
    return InvalidArgument(
        "aks config: SSL needs all three of sslCname, sslCertPemFile and sslKeyPemFile "
        "(--ssl-cname, --ssl-cert-file, --ssl-key-file) or none");
  }
  return OkStatus();
}

}  // namespace

Status ValidateTargetName(const std::string& name) {
  const bool chars_ok = !name.empty() && std::isalpha(static_cast<unsigned char>(name[0])) &&
                        std::all_of(name.begin(), name.end(),
                                    [](unsigned char c) { return std::isalnum(c) || c == '-'; });
  if (name.size() < 3 || name.size() > 24 || !chars_ok) {
    return InvalidArgument("AKS compute name '" + name +
                           "' must be 3-24 characters: letters, digits and '-', starting with "
                           "a letter");
  }
  return OkStatus();
}

StatusOr<AksConfig> ParseAksConfig(const std::string& config_json) {
  json j = json::parse(config_json.empty() ? "{}" : config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("aks config is not a JSON object");
  AksConfig out;
  std::string type = "provisioning";
  SKIFF_RETURN_IF_ERROR(Field(j, "configType", &type));
  if (type != "provisioning" && type != "attach" && type != "refresh") {
    return InvalidArgument("aks config: `configType` '" + type +
                           "' must be provisioning, attach or refresh");
  }
  out.is_attach = type == "attach";
  out.is_refresh = type == "refresh";
  const auto& allowed =
      out.is_attach ? kAttachKeys : (out.is_refresh ? kRefreshKeys : kProvisioningKeys);
  for (const auto& item : j.items()) {
    if (!allowed.count(item.key())) {
      return InvalidArgument("aks config: unknown key `" + item.key() + "` for a " + type +
                             " configuration (see docs/compute-aks.md)");
    }
  }
  SKIFF_RETURN_IF_ERROR(Field(j, "showOutput", &out.show_output));
  if (out.is_refresh) {
    SKIFF_RETURN_IF_ERROR(Field(j, "wait", &out.refresh_wait));
    return out;
  }
  SKIFF_RETURN_IF_ERROR(Field(j, "dryRunOutput", &out.dry_run_output));
  SKIFF_RETURN_IF_ERROR(Field(j, "targetName", &out.target_name));
  SKIFF_RETURN_IF_ERROR(Field(j, "workspaceDir", &out.workspace_dir));
  SKIFF_ASSIGN_OR_RETURN(
      out.kubernetes, k8s::ParseRenderOptions(j.contains("kubernetes") ? j["kubernetes"] : json()));
  if (out.is_attach) {
    std::string id, sub, rg, name;
    SKIFF_RETURN_IF_ERROR(Field(j, "resourceId", &id));
    SKIFF_RETURN_IF_ERROR(Field(j, "subscriptionId", &sub));
    SKIFF_RETURN_IF_ERROR(Field(j, "resourceGroup", &rg));
    SKIFF_RETURN_IF_ERROR(Field(j, "clusterName", &name));
    SKIFF_RETURN_IF_ERROR(Field(j, "clusterPurpose", &out.attach.cluster_purpose));
    SKIFF_RETURN_IF_ERROR(CheckPurpose(out.attach.cluster_purpose));
    if (id.empty()) {
      if (sub.empty() || rg.empty() || name.empty()) {
        return InvalidArgument(
            "aks attach config: give `resourceId` (-i), or `subscriptionId`, `resourceGroup` "
            "and `clusterName` (--subscription, --resource-group, --cluster-name)");
      }
      id = ClusterRef{sub, rg, name}.Id();
    } else if (!rg.empty() || !name.empty()) {
      return InvalidArgument(
          "aks attach config: give `resourceId` or `resourceGroup` + "
          "`clusterName`, not both");
    }
    SKIFF_ASSIGN_OR_RETURN(out.attach.cluster, ParseClusterId(id));
    return out;
  }
  AksProvisioningConfig& c = out.provisioning;
  SKIFF_RETURN_IF_ERROR(Field(j, "subscriptionId", &c.subscription_id));
  SKIFF_RETURN_IF_ERROR(Field(j, "resourceGroup", &c.resource_group));
  SKIFF_RETURN_IF_ERROR(Field(j, "location", &c.location));
  SKIFF_RETURN_IF_ERROR(Field(j, "clusterName", &c.cluster_name));
  SKIFF_RETURN_IF_ERROR(Field(j, "agentCount", &c.agent_count));
  SKIFF_RETURN_IF_ERROR(Field(j, "vmSize", &c.vm_size));
  SKIFF_RETURN_IF_ERROR(Field(j, "vcpus", &c.vcpus));
  SKIFF_RETURN_IF_ERROR(Field(j, "clusterPurpose", &c.cluster_purpose));
  SKIFF_RETURN_IF_ERROR(Field(j, "loadBalancerType", &c.load_balancer_type));
  SKIFF_RETURN_IF_ERROR(Field(j, "loadBalancerSubnet", &c.load_balancer_subnet));
  SKIFF_RETURN_IF_ERROR(Field(j, "sslCname", &c.ssl_cname));
  SKIFF_RETURN_IF_ERROR(Field(j, "sslCertPemFile", &c.ssl_cert_pem_file));
  SKIFF_RETURN_IF_ERROR(Field(j, "sslKeyPemFile", &c.ssl_key_pem_file));
  SKIFF_RETURN_IF_ERROR(Field(j, "kubernetesVersion", &c.kubernetes_version));
  SKIFF_RETURN_IF_ERROR(Field(j, "dnsPrefix", &c.dns_prefix));
  SKIFF_RETURN_IF_ERROR(Field(j, "wait", &c.wait));
  SKIFF_RETURN_IF_ERROR(ValidateProvisioning(c, &out.warnings));
  return out;
}

}  // namespace skiff::compute_aks
