// SPDX-License-Identifier: Apache-2.0
// The AKS target's front door and TLS (issue 19 item 2) through the plugin
// object against FakeKubeApi: a target created with sslCname and the
// certificate renders the router's TLS Secret from the pair it keeps, the
// Service exposes 443 only and the scoring URI is https://CNAME/...;
// leafDomainLabel is refused; a service with auth behind a public load
// balancer without TLS gets one warning line on deploy.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "aks_compute_target.h"
#include "cluster_files.h"
#include "fake_kube_api.h"
#include "sample_specs.h"

namespace skiff::compute_aks {
namespace {

using kube::testing::FakeKubeApi;
using nlohmann::json;
namespace fs = std::filesystem;
using k8s::testing::MakeSpec;
using k8s::testing::SampleVersion;

constexpr char kCname[] = "www.contoso.com";

class ComputeAksFrontDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-aks-tls-XXXXXX").string();
    ws_ = ::mkdtemp(tmpl.data());
    fs::create_directories(ws_ + "/compute/aks1");
    std::ofstream(ws_ + "/compute/aks1/kubeconfig")
        << api_.KubeconfigYaml(FakeKubeApi::Auth::kToken);
  }
  void TearDown() override { fs::remove_all(ws_); }

  // A target as `create aks` leaves it: with SSL settings, the pair it kept.
  std::unique_ptr<AksComputeTarget> Target(bool tls) {
    json config = {{"subscriptionId", "s"},
                   {"resourceGroup", "r"},
                   {"location", "eastus"},
                   {"targetName", "aks1"},
                   {"workspaceDir", ws_},
                   // The user's own image: these tests are about the front
                   // door, not the no-registry warning of a deploy.
                   {"kubernetes", {{"image", "reg.example:5000/skiff/server:mine"}}}};
    if (tls) {
      config["sslCname"] = kCname;
      config["sslCertPemFile"] = "/given/cert.pem";
      config["sslKeyPemFile"] = "/given/key.pem";
      EXPECT_TRUE(WriteTlsPair(ws_, "aks1", {"CERT PEM", "KEY PEM"}).ok());
    }
    AksTargetOptions o;
    o.config = ParseAksConfig(config.dump()).value();
    o.progress = [this](const std::string& line) { progress_.push_back(line); };
    return AksComputeTarget::Create(std::move(o)).value();
  }
  void RolledOut(const std::string& ns, const std::vector<std::string>& deployments) {
    for (const auto& d : deployments) {
      json current = *api_.Object("/apis/apps/v1/namespaces/" + ns + "/deployments/" + d);
      const int64_t replicas = current["spec"].value("replicas", 1);
      api_.SetDeploymentStatus(ns, d,
                               {{"observedGeneration", current["metadata"].value("generation", 1)},
                                {"replicas", replicas},
                                {"updatedReplicas", replicas},
                                {"readyReplicas", replicas},
                                {"availableReplicas", replicas}});
    }
    api_.SetStatus("/api/v1/namespaces/" + ns + "/services/svc",
                   {{"loadBalancer", {{"ingress", {{{"ip", "20.1.2.3"}}}}}}});
  }
  int Warnings() const {
    int n = 0;
    for (const auto& l : progress_) n += l.rfind("warning: ", 0) == 0;
    return n;
  }

  FakeKubeApi api_;
  std::string ws_;
  std::vector<std::string> progress_;
};

TEST_F(ComputeAksFrontDoorTest, ATargetWithACertificateServesHttpsOn443ByItsCname) {
  auto target = Target(/*tls=*/true);
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}});
  Status deployed = target->DeployService(spec);
  ASSERT_TRUE(deployed.ok()) << deployed.ToString();
  EXPECT_EQ(Warnings(), 0) << "TLS: nothing to warn about";

  auto secret = api_.Object("/api/v1/namespaces/ml/secrets/svc-tls");
  ASSERT_TRUE(secret) << "no TLS Secret applied";
  EXPECT_EQ((*secret)["type"], "kubernetes.io/tls");
  const auto service = api_.Object("/api/v1/namespaces/ml/services/svc");
  ASSERT_TRUE(service);
  ASSERT_EQ((*service)["spec"]["ports"].size(), 1u);
  EXPECT_EQ((*service)["spec"]["ports"][0]["port"], 443) << "port 80 is not exposed";

  RolledOut("ml", {"svc-model", "svc-router"});
  auto state = target->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->state, ServiceState::kHealthy) << state->error;
  EXPECT_EQ(state->scoring_uri, std::string("https://") + kCname + "/api/v1/service/svc/score");
  EXPECT_EQ(state->swagger_uri,
            std::string("https://") + kCname + "/api/v1/service/svc/swagger.json");
  EXPECT_TRUE(state->grpc_uri.empty()) << "no `grpc`, no gRPC port: " << state->grpc_uri;
}

// Issue 20 item 3: with the deployment config's `grpc`, GetState reports the
// router Service's gRPC port as grpc_uri (HOST:PORT); without it, none.
TEST_F(ComputeAksFrontDoorTest, GrpcIsReportedAsTheLoadBalancersGrpcPort) {
  auto target = Target(/*tls=*/false);
  ServiceSpec spec = MakeSpec("svc", R"({"namespace": "ml", "authEnabled": false,
                                         "grpc": {"enabled": true}})",
                              {SampleVersion{"svc", 100, true}});
  json server = json::parse(spec.server_config_json);
  server["grpc"] = json::object();
  spec.server_config_json = server.dump();
  ASSERT_TRUE(target->DeployService(spec).ok());
  RolledOut("ml", {"svc-model", "svc-router"});
  auto state = target->GetState("svc");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->state, ServiceState::kHealthy) << state->error;
  EXPECT_EQ(state->scoring_uri, "http://20.1.2.3/api/v1/service/svc/score");
  EXPECT_EQ(state->grpc_uri, "20.1.2.3:8001");
}

TEST_F(ComputeAksFrontDoorTest, PlainHttpAuthWarnsOnceOnDeploy) {
  auto target = Target(/*tls=*/false);
  ServiceSpec keyed = MakeSpec("svc", R"({"namespace": "ml"})", {SampleVersion{"svc", 100, true}});
  ASSERT_TRUE(target->DeployService(keyed).ok());
  ASSERT_EQ(Warnings(), 1);
  for (const auto& l : progress_) {
    if (l.rfind("warning: ", 0) != 0) continue;
    EXPECT_NE(l.find("plain HTTP on a public load balancer"), std::string::npos) << l;
    EXPECT_NE(l.find("--ssl-cert-file"), std::string::npos) << l;
    EXPECT_EQ(l.find('\n'), std::string::npos) << "one line";
  }
  progress_.clear();
  ServiceSpec open = MakeSpec("open", R"({"namespace": "ml", "authEnabled": false})",
                              {SampleVersion{"open", 100, true}});
  ASSERT_TRUE(target->DeployService(open).ok());
  EXPECT_EQ(Warnings(), 0) << "no credential, nothing to warn about";
}

TEST(ComputeAksConfigTest, LeafDomainLabelIsRefusedNamingTheAlternative) {
  json j = {{"subscriptionId", "s"},
            {"resourceGroup", "r"},
            {"location", "eastus"},
            {"leafDomainLabel", "myservice"}};
  Status s = ParseAksConfig(j.dump()).status();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("leafDomainLabel"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--ssl-cert-file, --ssl-key-file and --ssl-cname"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace skiff::compute_aks
