// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "k8s/cluster_settings.h"
#include "k8s/dns_name.h"
#include "k8s/quantity.h"
#include "k8s/render_options.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

TEST(ComputeAksK8sNames, Dns1123Labels) {
  for (const std::string& ok :
       std::vector<std::string>{"a", "my-svc", "0abc", std::string(63, 'a')}) {
    EXPECT_TRUE(ValidateDns1123Label(ok, "x").ok()) << ok;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "-a", "a-", "A", "a_b", "a.b", std::string(64, 'a')}) {
    Status s = ValidateDns1123Label(bad, "namespace");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("namespace '"), std::string::npos);
  }
  EXPECT_FALSE(ValidateDns1035Label("0abc", "x").ok());
  EXPECT_EQ(ToLabelish("Model_V1.2"), "model-v1-2");
  auto name = ObjectName("svc", "v1", "x");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "svc-v1");
  EXPECT_NE(ObjectName(std::string(60, 'a'), "router", "router name")
                .status()
                .message()
                .find("router name"),
            std::string::npos);
}

// `<32-char service>-<32-char version>` is 65 characters: the version part is
// cut and ends in a stable hash, so the name fits and versions stay apart.
TEST(ComputeAksK8sNames, VersionObjectNamesFitSixtyThree) {
  auto short_name = VersionObjectName("svc", "v1", "x");
  ASSERT_TRUE(short_name.ok());
  EXPECT_EQ(*short_name, "svc-v1");
  const std::string service(32, 's');
  auto exact = VersionObjectName(service.substr(0, 31), std::string(31, 'v'), "x");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact, service.substr(0, 31) + "-" + std::string(31, 'v'));  // 63: as is

  const std::string v1 = std::string(31, 'v') + "1", v2 = std::string(31, 'v') + "2";
  auto a = VersionObjectName(service, v1, "x");
  auto b = VersionObjectName(service, v2, "x");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->size(), 63u);
  EXPECT_EQ(a->rfind(service + "-" + std::string(21, 'v') + "-", 0), 0u) << *a;
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(ValidateDns1035Label(*a, "x").ok()) << *a;
  EXPECT_EQ(*VersionObjectName(service, v1, "x"), *a);  // stable
}

TEST(ComputeAksK8sNames, Quantities) {
  EXPECT_EQ(CpuQuantity(0.1), "100m");
  EXPECT_EQ(CpuQuantity(2), "2000m");
  EXPECT_EQ(CpuQuantity(0.0001), "1m");
  EXPECT_EQ(MemoryQuantity(0.5), "512Mi");
  EXPECT_EQ(MemoryQuantity(1.5), "1536Mi");
  EXPECT_EQ(MemoryQuantity(0.1), "103Mi");
}

TEST(ComputeAksK8sOptions, DefaultsAndOverrides) {
  auto d = ParseRenderOptions(json());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->image, std::string("skiff/server:") + kSkiffVersion);
  EXPECT_EQ(d->model_claim, "skiff-models");
  auto o = ParseRenderOptions(json{{"image", "reg.azurecr.io/skiff/server:1"},
                                   {"imagePullPolicy", "Always"},
                                   {"fpgaResourceName", "amd.com/xilinx_u55c"},
                                   {"modelClaim", "models"}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->image, "reg.azurecr.io/skiff/server:1");
  EXPECT_EQ(o->image_pull_policy, "Always");
  EXPECT_EQ(o->fpga_resource_name, "amd.com/xilinx_u55c");
  EXPECT_EQ(o->model_claim, "models");
}

TEST(ComputeAksK8sOptions, RefusesBadValuesNamingTheKey) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json{{"imagee", "x"}}, "kubernetes.imagee"},
      {json{{"image", 3}}, "kubernetes.image"},
      {json{{"image", "a b"}}, "kubernetes.image"},
      {json{{"imagePullPolicy", "Sometimes"}}, "kubernetes.imagePullPolicy"},
      {json{{"fpgaResourceName", "fpga"}}, "kubernetes.fpgaResourceName"},
      {json{{"modelClaim", "Models"}}, "kubernetes.modelClaim"},
      {json::array(), "`kubernetes` must be an object"},
  };
  for (const auto& [config, field] : cases) {
    auto r = ParseRenderOptions(config);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << config;
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  }
}

TEST(ComputeAksK8sOptions, ClusterSettingsFromAksConfig) {
  AksConfig c;
  c.provisioning.load_balancer_type = "InternalLoadBalancer";
  c.provisioning.load_balancer_subnet = "sub";
  c.provisioning.cluster_purpose = "DevTest";
  ClusterSettings s = ClusterSettingsFrom(c);
  EXPECT_EQ(s.load_balancer_type, "InternalLoadBalancer");
  EXPECT_EQ(s.load_balancer_subnet, "sub");
  EXPECT_EQ(s.cluster_purpose, "DevTest");
  c.is_attach = true;
  c.attach.cluster_purpose = "DevTest";
  s = ClusterSettingsFrom(c);
  EXPECT_EQ(s.load_balancer_type, "PublicIp");
  EXPECT_EQ(s.cluster_purpose, "DevTest");
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
