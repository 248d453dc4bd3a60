// SPDX-License-Identifier: Apache-2.0
// --dry-run through the AKS target: the config keys, and DeployService
// writing YAML without contacting anything.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aks_compute_target.h"
#include "aks_config.h"
#include "k8s/target_render.h"
#include "sample_specs.h"

namespace skiff::compute_aks::k8s {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const json kBase = {{"subscriptionId", "s"}, {"resourceGroup", "rg"}, {"location", "eastus"}};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ComputeAksK8sDryRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("skiff-dry-run-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ComputeAksK8sDryRun, ConfigKeys) {
  json c = kBase;
  c["kubernetes"] = {{"image", "reg.io/skiff/server:9"}};
  c["dryRunOutput"] = "/tmp/out.yaml";
  auto parsed = ParseAksConfig(c.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->kubernetes.image, "reg.io/skiff/server:9");
  EXPECT_EQ(parsed->dry_run_output, "/tmp/out.yaml");

  json attach = {
      {"configType", "attach"},
      {"resourceId",
       "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"},
      {"kubernetes", {{"modelClaim", "models"}}}};
  parsed = ParseAksConfig(attach.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->kubernetes.model_claim, "models");

  c["kubernetes"] = {{"imageName", "x"}};
  EXPECT_NE(ParseAksConfig(c.dump()).status().message().find("kubernetes.imageName"),
            std::string::npos);
}

TEST_F(ComputeAksK8sDryRun, DeployServiceWritesYamlAndContactsNothing) {
  json c = kBase;
  c["loadBalancerType"] = "InternalLoadBalancer";
  c["kubernetes"] = {{"image", "reg.io/skiff/server:9"}};
  c["dryRunOutput"] = (dir_ / "out.yaml").string();
  auto config = ParseAksConfig(c.dump());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  AksTargetOptions options;
  options.config = *config;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto target = AksComputeTarget::Create(std::move(options));
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  const std::string dc =
      json{{"keys",
            {{"primaryKey", testing::kPrimaryKey}, {"secondaryKey", testing::kSecondaryKey}}}}
          .dump();
  ASSERT_TRUE((*target)->DeployService(testing::MakeSpec("my-svc", dc)).ok());
  const std::string yaml = Slurp(dir_ / "out.yaml");
  EXPECT_NE(yaml.find("kind: Deployment"), std::string::npos);
  EXPECT_NE(yaml.find("image: reg.io/skiff/server:9"), std::string::npos);
  EXPECT_NE(yaml.find("azure-load-balancer-internal: \"true\""), std::string::npos);
  EXPECT_EQ(yaml.find(testing::kPrimaryKey), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "out.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Without dryRunOutput the target does not pretend to deploy.
  AksTargetOptions real;
  real.config = *ParseAksConfig(kBase.dump());
  auto plain = AksComputeTarget::Create(std::move(real));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->DeployService(testing::MakeSpec("my-svc", "{}")).ok());
}

TEST_F(ComputeAksK8sDryRun, TokenModeRedactsSigningKeys) {
  ServiceSpec spec =
      testing::MakeSpec("tok", R"({"authEnabled": false, "tokenAuthEnabled": true})");
  json server = json::parse(spec.server_config_json);
  server["auth"]["options"]["keysDir"] = (dir_ / "signing-keys").string();
  spec.server_config_json = server.dump();
  auto config = ParseAksConfig(kBase.dump());
  ASSERT_TRUE(config.ok());

  // No keys yet: a real render refuses, a dry run shows a placeholder.
  EXPECT_EQ(RenderForTarget(spec, *config).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteDryRun(spec, *config, (dir_ / "a.yaml").string()).ok());
  EXPECT_NE(Slurp(dir_ / "a.yaml").find("signing-keys.active: \"<redacted: "), std::string::npos);

  fs::create_directories(dir_ / "signing-keys");
  for (const auto& [name, contents] : testing::SampleSigningKeyFiles()) {
    std::ofstream(dir_ / "signing-keys" / name) << contents;
  }
  auto objects = RenderForTarget(spec, *config);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_NE(json(*objects).dump().find(testing::kHmacSecret), std::string::npos);
  ASSERT_TRUE(WriteDryRun(spec, *config, (dir_ / "b.yaml").string()).ok());
  const std::string yaml = Slurp(dir_ / "b.yaml");
  EXPECT_EQ(yaml.find(testing::kHmacSecret), std::string::npos);
  EXPECT_NE(yaml.find("signing-keys.kid0123456789abcdefghi.key.json: \"<redacted: "),
            std::string::npos);
}

// Issue 18 item 4: the dry run lists what each pod would pull, by digest.
TEST_F(ComputeAksK8sDryRun, ListsTheImageDigestsThePodsWouldRun) {
  ServiceSpec spec = testing::MakeSpec(
      "ep1", "{}", {{"v1", 90, true, false, "torch"}, {"v2", 10, false, true, "torch"}});
  const json server = json::parse(spec.server_config_json);
  const std::string image1 = "reg.example/skiff/server@sha256:" + std::string(64, '1');
  const std::string image2 = "reg.example/skiff/server@sha256:" + std::string(64, '2');
  json c = kBase;
  c["kubernetes"] = {{"image", "reg.example/skiff/server:9"},
                     {"modelSource", "image"},
                     {"modelImages",
                      {{server["versions"][0]["sha256"].get<std::string>(), image1},
                       {server["versions"][1]["sha256"].get<std::string>(), image2}}}};
  auto config = ParseAksConfig(c.dump());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(WriteDryRun(spec, *config, (dir_ / "d.yaml").string()).ok());
  const std::string yaml = Slurp(dir_ / "d.yaml");
  const size_t manifests = yaml.find("apiVersion:");
  ASSERT_NE(manifests, std::string::npos);
  const std::string summary = yaml.substr(0, manifests);
  EXPECT_NE(summary.find("# image: ep1-v1/"), std::string::npos) << summary;
  EXPECT_NE(summary.find(" runs " + image1 + "\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find(" runs " + image2 + "\n"), std::string::npos) << summary;
  // The router runs the configured image, by tag here, and says so.
  EXPECT_NE(summary.find(" runs reg.example/skiff/server:9 (by tag, not by digest)"),
            std::string::npos)
      << summary;
}

// Issue 18 item 4: another registry's credentials become one
// kubernetes.io/dockerconfigjson Secret that every pod template names; the
// dry run shows it redacted.
TEST_F(ComputeAksK8sDryRun, AnotherRegistryIsAnImagePullSecretOnEveryPod) {
  ServiceSpec spec = testing::MakeSpec(
      "ep1", "{}", {{"v1", 90, true, false, "torch"}, {"v2", 10, false, true, "torch"}});
  json c = kBase;
  c["registry"] = "reg.example:5000";
  c[kComputeOptionTargetName] = "aks1";
  c[kComputeOptionWorkspaceDir] = dir_.string();
  auto config = ParseAksConfig(c.dump());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  // Nothing kept (a target attached before --registry-config existed): a
  // real render says how to fix it.
  EXPECT_NE(RenderForTarget(spec, *config).status().message().find("--registry-config"),
            std::string::npos);
  const std::string secret =
      R"({"auths":{"reg.example:5000":{"auth":"dXNlcjE6cGFzczE=","password":"pass1","username":"user1"}}})";
  fs::create_directories(dir_ / "compute" / "aks1");
  std::ofstream(dir_ / "compute" / "aks1" / "registry-auth.json") << secret;
  auto objects = RenderForTarget(spec, *config);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  int deployments = 0, pull_secrets = 0;
  for (const json& o : *objects) {
    if (o["kind"] == "Deployment") {
      ++deployments;
      EXPECT_EQ(o["spec"]["template"]["spec"]["imagePullSecrets"],
                json::array({{{"name", "ep1-registry"}}}))
          << o["metadata"]["name"];
    }
    if (o["kind"] == "Secret" && o.value("type", "") == "kubernetes.io/dockerconfigjson") {
      ++pull_secrets;
      EXPECT_EQ(o["metadata"]["name"], "ep1-registry");
      EXPECT_EQ(o["stringData"][".dockerconfigjson"], secret);
      EXPECT_FALSE(o["metadata"]["labels"].empty());
    }
  }
  EXPECT_GE(deployments, 2);
  EXPECT_EQ(pull_secrets, 1);
  ASSERT_TRUE(WriteDryRun(spec, *config, (dir_ / "e.yaml").string()).ok());
  const std::string yaml = Slurp(dir_ / "e.yaml");
  EXPECT_EQ(yaml.find("pass1"), std::string::npos);
  EXPECT_EQ(yaml.find("dXNlcjE6cGFzczE="), std::string::npos);
  EXPECT_NE(yaml.find("kubernetes.io/dockerconfigjson"), std::string::npos);
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
