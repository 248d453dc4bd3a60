// SPDX-License-Identifier: Apache-2.0
#include "aks_config.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>

#include "arm/vm_sizes.h"
#include "k8s/render_options.h"
#include "skiff/compute_target.h"
#include "skiff/config/json_reader.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

// The CLI writes an option it was not given as null: absent.
const json* Present(config::ObjectReader& r, std::string_view key) {
  const json* value = r.Get(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

void Field(config::ObjectReader& r, const char* key, std::string* out) {
  if (const json* v = Present(r, key)) *out = config::ReadString(*v, r.PathOf(key));
}

void Field(config::ObjectReader& r, const char* key, int* out) {
  if (const json* v = Present(r, key)) {
    *out = static_cast<int>(config::ReadInt(*v, r.PathOf(key), -1000000, 1000000));
  }
}

void Field(config::ObjectReader& r, const char* key, bool* out) {
  if (const json* v = Present(r, key)) *out = config::ReadBool(*v, r.PathOf(key));
}

// What ParseAksConfig reads from the JSON before checking it as a whole.
struct ReadFields {
  AksConfig out;
  std::string type = "provisioning";
  std::string id, sub, rg, name;  // attach
  std::string registry;           // ParseRegistry reads it
  json kubernetes;                // k8s::ParseRenderOptions reads it
};

// Reads the keys of `type`; any other key is refused (with the closest one).
ReadFields ReadJson(const std::string& config_json, bool kubernetes_plugin) {
  const json j = config::ParseJsonText(config_json.empty() ? "{}" : config_json);
  config::ObjectReader r(j, config::kOptionsRoot);
  ReadFields f;
  if (kubernetes_plugin) f.type = "kubeconfig";
  Field(r, "configType", &f.type);
  if (kubernetes_plugin && f.type != "kubeconfig") {
    config::Fail("`configType` '" + f.type +
                 "' is not one of the kubernetes target's: it has kubeconfig only (an AKS "
                 "cluster through Azure is `attach aks`)");
  }
  if (!kubernetes_plugin && f.type != "provisioning" && f.type != "attach") {
    config::Fail("`configType` '" + f.type + "' must be provisioning or attach");
  }
  AksConfig& out = f.out;
  out.is_kubeconfig = f.type == "kubeconfig";
  out.is_attach = f.type == "attach" || out.is_kubeconfig;
  Field(r, "showOutput", &out.show_output);
  Field(r, "dryRunOutput", &out.dry_run_output);
  Field(r, "registry", &f.registry);
  Field(r, "registryConfig", &out.registry_config);
  Field(r, kComputeOptionTargetName, &out.target_name);
  Field(r, kComputeOptionWorkspaceDir, &out.workspace_dir);
  if (const json* k = r.Get("kubernetes")) f.kubernetes = *k;
  if (out.is_kubeconfig) {
    Field(r, "kubeconfig", &out.kubeconfig.kubeconfig);
    Field(r, "context", &out.kubeconfig.context);
    Field(r, "clusterPurpose", &out.attach.cluster_purpose);
  } else if (out.is_attach) {
    Field(r, "resourceId", &f.id);
    Field(r, "subscriptionId", &f.sub);
    Field(r, "resourceGroup", &f.rg);
    Field(r, "clusterName", &f.name);
    Field(r, "clusterPurpose", &out.attach.cluster_purpose);
  } else {
    AksProvisioningConfig& c = out.provisioning;
    Field(r, "subscriptionId", &c.subscription_id);
    Field(r, "resourceGroup", &c.resource_group);
    Field(r, "location", &c.location);
    Field(r, "clusterName", &c.cluster_name);
    Field(r, "agentCount", &c.agent_count);
    Field(r, "vmSize", &c.vm_size);
    Field(r, "vcpus", &c.vcpus);
    Field(r, "clusterPurpose", &c.cluster_purpose);
    Field(r, "loadBalancerType", &c.load_balancer_type);
    Field(r, "loadBalancerSubnet", &c.load_balancer_subnet);
    Field(r, "sslCname", &c.ssl_cname);
    Field(r, "sslCertPemFile", &c.ssl_cert_pem_file);
    Field(r, "sslKeyPemFile", &c.ssl_key_pem_file);
    // Azure ML's Microsoft-issued certificate (<label>.<region>.cloudapp.
    // azure.com): only Azure ML's own front end can obtain one.
    for (const char* key : {"leafDomainLabel", "overwriteExistingDomain"}) {
      if (r.Get(key) != nullptr) {
        config::Fail("`" + r.PathOf(key) +
                     "` (a certificate Microsoft issues for an Azure ML front end) is not "
                     "supported: skiff's router serves your own certificate; give --ssl-cert-file, "
                     "--ssl-key-file and --ssl-cname instead (docs/compute-aks.md, TLS)");
      }
    }
    Field(r, "kubernetesVersion", &c.kubernetes_version);
    Field(r, "dnsPrefix", &c.dns_prefix);
    Field(r, "wait", &c.wait);
  }
  r.RejectUnknownKeys();  // the keys of this configType only (docs/compute-aks.md)
  return f;
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

}  // namespace

Status CheckAttachedCapacity(const std::string& cluster_purpose, const std::string& cluster_json) {
  if (cluster_purpose != "FastProd") return OkStatus();
  const nlohmann::json cluster = nlohmann::json::parse(cluster_json, nullptr, false);
  const nlohmann::json* pools = nullptr;
  if (cluster.is_object() && cluster.contains("properties") && cluster["properties"].is_object() &&
      cluster["properties"].contains("agentPoolProfiles")) {
    pools = &cluster["properties"]["agentPoolProfiles"];
  }
  if (pools == nullptr || !pools->is_array()) return OkStatus();  // nothing to judge by
  int64_t total = 0;
  std::string described;
  for (const nlohmann::json& pool : *pools) {
    if (!pool.is_object() || !pool.contains("count") || !pool["count"].is_number_integer() ||
        !pool.contains("vmSize") || !pool["vmSize"].is_string()) {
      return OkStatus();
    }
    const int64_t count = pool["count"].get<int64_t>();
    const std::string vm_size = pool["vmSize"].get<std::string>();
    auto vcpus = VcpusOf(vm_size);
    if (!vcpus || count < 0 || count > 100000) return OkStatus();
    total += count * *vcpus;
    described += (described.empty() ? "" : " + ") + std::to_string(count) + " x " +
                 std::to_string(*vcpus) + " vCPUs of " + vm_size;
  }
  if (total >= 12) return OkStatus();
  return InvalidArgument(std::string(kFastProdRule) + " (the attached cluster has " + described +
                         " = " + std::to_string(total) +
                         " for clusterPurpose FastProd; add nodes to the cluster, or attach it "
                         "with --cluster-purpose DevTest)");
}

namespace {

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

namespace {

StatusOr<AksConfig> Parse(const std::string& config_json, bool kubernetes_plugin) {
  SKIFF_ASSIGN_OR_RETURN(
      ReadFields f, config::ReadConfig(kubernetes_plugin ? "kubernetes config" : "aks config",
                                       [&] { return ReadJson(config_json, kubernetes_plugin); }));
  AksConfig& out = f.out;
  SKIFF_ASSIGN_OR_RETURN(out.kubernetes, k8s::ParseRenderOptions(f.kubernetes));
  SKIFF_ASSIGN_OR_RETURN(out.registry, ParseRegistry(f.registry));
  if (!out.registry_config.empty() && (out.registry.empty() || out.registry.is_acr())) {
    return InvalidArgument(
        "aks config: `registryConfig` (--registry-config) is for a `registry` host other than "
        "an ACR (an ACR is reached with AcrPull); give --registry HOST or drop it");
  }
  if (out.is_kubeconfig) {
    SKIFF_RETURN_IF_ERROR(CheckPurpose(out.attach.cluster_purpose));
    if (out.kubeconfig.kubeconfig.empty()) {
      return InvalidArgument("kubernetes config: `kubeconfig` is required (--kubeconfig FILE)");
    }
    if (out.kubeconfig.kubeconfig.front() != '/') {
      return InvalidArgument("kubernetes config: `kubeconfig` '" + out.kubeconfig.kubeconfig +
                             "' must be an absolute path (it is read from any directory later)");
    }
    if (out.registry.is_acr()) {
      return InvalidArgument(
          "kubernetes config: `registry` " + out.registry.acr_name +
          " is an Azure Container Registry, and granting a cluster AcrPull goes through ARM, "
          "which a kubeconfig target never calls; grant it yourself (az aks update "
          "--attach-acr) and drop --registry, or attach the AKS cluster with `attach aks`");
    }
    return out;
  }
  if (out.is_attach) {
    SKIFF_RETURN_IF_ERROR(CheckPurpose(out.attach.cluster_purpose));
    std::string id = f.id;
    if (id.empty()) {
      if (f.sub.empty() || f.rg.empty() || f.name.empty()) {
        return InvalidArgument(
            "aks attach config: give `resourceId` (-i), or `subscriptionId`, `resourceGroup` "
            "and `clusterName` (--subscription, --resource-group, --cluster-name)");
      }
      id = ClusterRef{f.sub, f.rg, f.name}.Id();
    } else if (!f.rg.empty() || !f.name.empty()) {
      return InvalidArgument(
          "aks attach config: give `resourceId` or `resourceGroup` + "
          "`clusterName`, not both");
    }
    SKIFF_ASSIGN_OR_RETURN(out.attach.cluster, ParseClusterId(id));
    return out;
  }
  SKIFF_RETURN_IF_ERROR(ValidateProvisioning(out.provisioning, &out.warnings));
  if (out.registry.is_acr() && !out.provisioning.wait) {
    // AcrPull goes to the kubelet identity, which exists only once the
    // cluster does; a create that does not wait could not grant it.
    return InvalidArgument(
        "aks config: `registry` " + out.registry.acr_name +
        " (--registry) needs the cluster to exist to grant it AcrPull; drop --no-wait, or "
        "create without --registry and grant it later (az aks update --attach-acr)");
  }
  return out;
}

}  // namespace

StatusOr<AksConfig> ParseAksConfig(const std::string& config_json) {
  return Parse(config_json, false);
}

StatusOr<AksConfig> ParseKubernetesConfig(const std::string& config_json) {
  return Parse(config_json, true);
}

}  // namespace skiff::compute_aks
