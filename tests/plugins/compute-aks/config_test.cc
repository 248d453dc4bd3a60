// SPDX-License-Identifier: Apache-2.0
// Validation before any call, and the PUT body of each create variant
// against the fields of the official ManagedClustersCreate_Update.json.
#include <gtest/gtest.h>

#include "aks_config.h"
#include "arm/managed_cluster_body.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

json Base() {
  return {{"subscriptionId", "sub-1"}, {"resourceGroup", "rg-1"}, {"location", "eastus"}};
}

Status Parse(json j) { return ParseAksConfig(j.dump()).status(); }

TEST(ComputeAksConfigTest, DefaultsAreAValidFastProdCluster) {
  auto c = ParseAksConfig(Base().dump());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->is_attach);
  EXPECT_EQ(c->provisioning.agent_count, 3);
  EXPECT_EQ(c->provisioning.vm_size, "Standard_D3_v2");
  EXPECT_EQ(c->provisioning.cluster_purpose, "FastProd");
  EXPECT_TRUE(c->warnings.empty());
}

TEST(ComputeAksConfigTest, FastProdNeedsTwelveVcpusInAzureWording) {
  json j = Base();
  j["agentCount"] = 2;  // 2 x 4
  Status s = Parse(j);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("The number of nodes multiplied by the virtual machine's number of "
                             "cores (vCPUs) must be greater than or equal to 12"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << "one line";
  j["agentCount"] = 6;
  j["vmSize"] = "Standard_D2_v2";  // 6 x 2 = 12
  EXPECT_TRUE(Parse(j).ok());
}

TEST(ComputeAksConfigTest, UnknownVmSizeNeedsVcpus) {
  json j = Base();
  j["vmSize"] = "Standard_Q7_v9";
  Status s = Parse(j);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Standard_Q7_v9"), std::string::npos);
  EXPECT_NE(s.message().find("--vcpus"), std::string::npos);
  j["vcpus"] = 8;
  EXPECT_TRUE(Parse(j).ok());
  j["vcpus"] = 2;
  EXPECT_NE(Parse(j).message().find("greater than or equal to 12"), std::string::npos);
}

TEST(ComputeAksConfigTest, DevTestBelowTwoVcpusWarns) {
  json j = Base();
  j["clusterPurpose"] = "DevTest";
  j["agentCount"] = 1;
  j["vmSize"] = "Standard_B1s";
  auto c = ParseAksConfig(j.dump());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("fewer than 2 vCPUs"), std::string::npos);
}

TEST(ComputeAksConfigTest, RulesBeforeAnyCall) {
  json j = Base();
  j["sslCname"] = "www.contoso.com";
  EXPECT_NE(Parse(j).message().find("all three"), std::string::npos);
  j = Base();
  j["loadBalancerSubnet"] = "my-subnet";
  EXPECT_NE(Parse(j).message().find("only allowed with loadBalancerType InternalLoadBalancer"),
            std::string::npos);
  j = Base();
  j["agentCount"] = 0;
  EXPECT_NE(Parse(j).message().find("at least 1"), std::string::npos);
  j = Base();
  j["location"] = "";
  EXPECT_NE(Parse(j).message().find("`location` is required"), std::string::npos);
  j = Base();
  j["clusterPurpose"] = "Prod";
  EXPECT_EQ(Parse(j).code(), StatusCode::kInvalidArgument);
  j = Base();
  j["agentCount"] = "3";
  EXPECT_NE(Parse(j).message().find("`agentCount` must be an integer"), std::string::npos);
  j = Base();
  j["bogus"] = 1;
  EXPECT_NE(Parse(j).message().find("unknown key `bogus`"), std::string::npos);
  // Issue 17 item 2: the one typed reader names the closest key and refuses
  // duplicates (the private reader kept the last value).
  j = Base();
  j["vmSzie"] = "Standard_D3_v2";
  EXPECT_NE(Parse(j).message().find("unknown key `vmSzie`; did you mean `vmSize`?"),
            std::string::npos)
      << Parse(j).message();
  std::string dup = Base().dump();
  dup.insert(1, R"("location": "westus", )");
  auto dup_parsed = ParseAksConfig(dup);
  EXPECT_NE(dup_parsed.status().message().find("duplicate key \"location\""), std::string::npos)
      << dup_parsed.status().message();
  EXPECT_TRUE(ValidateTargetName("aks-1").ok());
  EXPECT_EQ(ValidateTargetName("ab").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTargetName(std::string(25, 'a')).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateTargetName(std::string(24, 'a')).ok());
  EXPECT_NE(ValidateTargetName("ab").message().find("3-24 characters"), std::string::npos);
}

TEST(ComputeAksConfigTest, AttachConfig) {
  auto c = ParseAksConfig(
      R"({"configType":"attach","resourceId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->is_attach);
  EXPECT_EQ(c->attach.cluster.name, "c");
  c = ParseAksConfig(
      R"({"configType":"attach","subscriptionId":"s","resourceGroup":"r","clusterName":"c"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->attach.cluster.resource_group, "r");
  EXPECT_EQ(ParseAksConfig(R"({"configType":"attach","resourceId":"/subscriptions/s/oops"})")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAksConfig(R"({"configType":"attach"})").status().code(),
            StatusCode::kInvalidArgument);
}

// The fields of the official example (api-version 2024-02-01) we send.
void ExpectOfficialShape(const json& body, const AksProvisioningConfig& c) {
  EXPECT_EQ(body["location"], c.location);
  EXPECT_TRUE(body["tags"].is_object());
  EXPECT_EQ(body["sku"], json({{"name", "Base"}, {"tier", "Free"}}));
  EXPECT_EQ(body["identity"], json({{"type", "SystemAssigned"}}));
  const json& p = body["properties"];
  EXPECT_TRUE(p["dnsPrefix"].is_string());
  EXPECT_EQ(p["enableRBAC"], true);
  ASSERT_EQ(p["agentPoolProfiles"].size(), 1u);
  const json& pool = p["agentPoolProfiles"][0];
  EXPECT_EQ(pool["name"], "agentpool");
  EXPECT_EQ(pool["count"], c.agent_count);
  EXPECT_EQ(pool["vmSize"], c.vm_size);
  EXPECT_EQ(pool["osType"], "Linux");
  EXPECT_EQ(pool["type"], "VirtualMachineScaleSets");
  EXPECT_EQ(pool["mode"], "System");
  EXPECT_EQ(p["networkProfile"]["loadBalancerSku"], "standard");
  EXPECT_EQ(p["networkProfile"]["outboundType"], "loadBalancer");
  EXPECT_FALSE(p.contains("servicePrincipalProfile"))
      << "a managed identity, no secrets in the body";
  EXPECT_FALSE(p.contains("windowsProfile"));
}

AksProvisioningConfig Config(json extra) {
  json j = Base();
  if (extra.is_object()) j.update(extra);
  auto c = ParseAksConfig(j.dump());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? c->provisioning : AksProvisioningConfig{};
}

TEST(ComputeAksBodyTest, FastProdDefault) {
  auto c = Config({});
  json body = ManagedClusterBody(c, "My-Aks1");
  ExpectOfficialShape(body, c);
  EXPECT_EQ(body["properties"]["dnsPrefix"], "my-aks1");
  EXPECT_EQ(body["tags"]["skiff-cluster-purpose"], "FastProd");
  EXPECT_EQ(body["tags"]["skiff-load-balancer-type"], "PublicIp");
  EXPECT_FALSE(body["properties"].contains("kubernetesVersion"));
}

TEST(ComputeAksBodyTest, DevTest) {
  auto c = Config({{"clusterPurpose", "DevTest"},
                   {"agentCount", 1},
                   {"vmSize", "Standard_D2s_v3"},
                   {"kubernetesVersion", "1.28.5"}});
  json body = ManagedClusterBody(c, "devtest1");
  ExpectOfficialShape(body, c);
  EXPECT_EQ(body["tags"]["skiff-cluster-purpose"], "DevTest");
  EXPECT_EQ(body["properties"]["kubernetesVersion"], "1.28.5");
}

TEST(ComputeAksBodyTest, InternalLoadBalancerWithSubnet) {
  auto c =
      Config({{"loadBalancerType", "InternalLoadBalancer"}, {"loadBalancerSubnet", "ilb-subnet"}});
  json body = ManagedClusterBody(c, "ilb1");
  ExpectOfficialShape(body, c);
  EXPECT_EQ(body["tags"]["skiff-load-balancer-type"], "InternalLoadBalancer");
  EXPECT_EQ(body["tags"]["skiff-load-balancer-subnet"], "ilb-subnet");
  EXPECT_FALSE(body["properties"]["agentPoolProfiles"][0].contains("vnetSubnetID"));

  const std::string subnet =
      "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/aks";
  c = Config({{"loadBalancerType", "InternalLoadBalancer"}, {"loadBalancerSubnet", subnet}});
  body = ManagedClusterBody(c, "ilb2");
  ExpectOfficialShape(body, c);
  EXPECT_EQ(body["properties"]["agentPoolProfiles"][0]["vnetSubnetID"], subnet);
  EXPECT_EQ(body["properties"]["networkProfile"]["networkPlugin"], "azure");
  EXPECT_EQ(body["properties"]["networkProfile"]["networkPolicy"], "azure");
  EXPECT_EQ(body["tags"]["skiff-load-balancer-subnet"], "aks");
}

// Version pods serve without auth behind the rendered NetworkPolicy, so a
// cluster skiff creates must enforce NetworkPolicy: without a policy engine
// any pod could score a version without a key.
TEST(ComputeAksBodyTest, ClustersEnforceNetworkPolicy) {
  json body = ManagedClusterBody(Config({}), "np1");
  EXPECT_EQ(body["properties"]["networkProfile"]["networkPolicy"], "calico");
  EXPECT_FALSE(body["properties"]["networkProfile"].contains("networkPlugin"));
}

TEST(ComputeAksBodyTest, Ssl) {
  auto c = Config(
      {{"sslCname", "www.contoso.com"}, {"sslCertPemFile", "/c.pem"}, {"sslKeyPemFile", "/k.pem"}});
  json body = ManagedClusterBody(c, "ssl1");
  ExpectOfficialShape(body, c);
  EXPECT_EQ(body["tags"]["skiff-ssl-cname"], "www.contoso.com");
  EXPECT_EQ(body.dump().find("k.pem"), std::string::npos) << "key material stays local";
}

// `registry` (--registry): an ACR name or host, or another registry's host.
TEST(ComputeAksConfigTest, RegistryIsAnAcrNameOrAHost) {
  auto acr = ParseRegistry("MyAcr");
  ASSERT_TRUE(acr.ok()) << acr.status().ToString();
  EXPECT_EQ(acr->acr_name, "myacr");
  EXPECT_EQ(acr->host, "myacr.azurecr.io");
  EXPECT_EQ(ParseRegistry("myacr.azurecr.io")->acr_name, "myacr");
  auto other = ParseRegistry("registry.example:5000");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->is_acr());
  EXPECT_EQ(other->host, "registry.example:5000");
  EXPECT_TRUE(ParseRegistry("")->empty());
  for (const char* bad : {"my_acr", "acr", "reg.example:5000/path", "https://reg.example"}) {
    Status s = ParseRegistry(bad).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("--registry"), std::string::npos) << s.message();
  }
  json j = Base();
  j["registry"] = "my_acr";
  EXPECT_EQ(Parse(j).code(), StatusCode::kInvalidArgument);
  // AcrPull needs the cluster's identity: a create that does not wait cannot grant it.
  j["registry"] = "myacr";
  j["wait"] = false;
  EXPECT_NE(Parse(j).message().find("--no-wait"), std::string::npos);
  json attach = {{"configType", "attach"},
                 {"resourceId",
                  "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/"
                  "managedClusters/c"},
                 {"registry", "reg.example"}};
  auto parsed = ParseAksConfig(attach.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->registry.host, "reg.example");
}

}  // namespace
}  // namespace skiff::compute_aks
