// SPDX-License-Identifier: Apache-2.0
#include "arm/managed_cluster_body.h"

#include <cctype>

namespace skiff::compute_aks {

std::string DnsPrefixFor(const std::string& cluster_name) {
  std::string out;
  for (unsigned char c : cluster_name) {
    if (std::isalnum(c))
      out += static_cast<char>(std::tolower(c));
    else if (c == '-' && !out.empty())
      out += '-';
  }
  if (out.size() > 54) out.resize(54);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "skiff" : out;
}

nlohmann::json ManagedClusterBody(const AksProvisioningConfig& c, const std::string& cluster_name) {
  using nlohmann::json;
  json pool = {{"name", kAgentPoolName},
               {"count", c.agent_count},
               {"vmSize", c.vm_size},
               {"osType", "Linux"},
               {"type", "VirtualMachineScaleSets"},
               {"mode", "System"}};
  json network = {{"loadBalancerSku", "standard"}, {"outboundType", "loadBalancer"}};
  json tags = {{"skiff-cluster-purpose", c.cluster_purpose},
               {"skiff-load-balancer-type", c.load_balancer_type}};
  if (c.load_balancer_type == "InternalLoadBalancer") {
    const std::string& subnet =
        c.load_balancer_subnet.empty() ? "aks-subnet" : c.load_balancer_subnet;
    // A subnet resource ID puts the nodes in that VNet (Azure CNI), so an
    // internal load balancer there is reachable; a bare subnet name is for
    // the scoring front end's Service annotation at deployment time.
    if (subnet.rfind("/subscriptions/", 0) == 0) {
      pool["vnetSubnetID"] = subnet;
      network["networkPlugin"] = "azure";
      tags["skiff-load-balancer-subnet"] = subnet.substr(subnet.rfind('/') + 1);
    } else {
      tags["skiff-load-balancer-subnet"] = subnet;
    }
  }
  // Version pods run without auth: only the router's pods may reach them,
  // which the rendered NetworkPolicy says and only a policy engine enforces
  // (docs/kubernetes.md). Azure Network Policy Manager needs Azure CNI;
  // Calico works with either plugin.
  network["networkPolicy"] = network.value("networkPlugin", "") == "azure" ? "azure" : "calico";
  if (!c.ssl_cname.empty()) tags["skiff-ssl-cname"] = c.ssl_cname;
  json properties = {
      {"dnsPrefix", c.dns_prefix.empty() ? DnsPrefixFor(cluster_name) : c.dns_prefix},
      {"enableRBAC", true},
      {"agentPoolProfiles", json::array({pool})},
      {"networkProfile", network}};
  if (!c.kubernetes_version.empty()) properties["kubernetesVersion"] = c.kubernetes_version;
  return json{{"location", c.location},
              {"tags", tags},
              {"sku", {{"name", "Base"}, {"tier", "Free"}}},
              {"identity", {{"type", "SystemAssigned"}}},
              {"properties", properties}};
}

}  // namespace skiff::compute_aks
