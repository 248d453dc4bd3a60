// SPDX-License-Identifier: Apache-2.0
// The HTTPS path: kubeconfig CA data + client certificate (mTLS) against
// FakeKubeApi serving TLS with a CA made at test time.
#include <gtest/gtest.h>

#include <thread>

#include "fake_kube_api.h"
#include "kube/kube_client.h"
#include "kube/kubeconfig.h"

namespace skiff::compute_aks::kube {
namespace {

using testing::FakeKubeApi;

class ComputeAksKubeTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::TestPki(testing::MakeTestPki());
    other_pki_ = new testing::TestPki(testing::MakeTestPki("unrelated-ca"));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete other_pki_;
  }

  StatusOr<std::unique_ptr<KubeClient>> ClientFor(const std::string& kubeconfig_yaml) {
    auto config = ParseKubeconfig(kubeconfig_yaml, {});
    if (!config.ok()) return config.status();
    KubeClientOptions options;
    options.config = *config;
    options.retry.total = std::chrono::milliseconds(0);  // no retries: errors show at once
    return KubeClient::Create(options);
  }

  static testing::TestPki* pki_;
  static testing::TestPki* other_pki_;
};
testing::TestPki* ComputeAksKubeTls::pki_ = nullptr;
testing::TestPki* ComputeAksKubeTls::other_pki_ = nullptr;

TEST_F(ComputeAksKubeTls, ClientCertificateAndCaDataOverHttps) {
  FakeKubeApi api(pki_);
  ASSERT_EQ(api.url().rfind("https://127.0.0.1:", 0), 0u);
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kClientCert));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto applied = (*client)->Apply(
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  auto got = (*client)->Get({"v1", "Namespace", "", "ml"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["metadata"]["name"], "ml");
  // Authenticated by the certificate alone: no Authorization header went out.
  for (const auto& r : api.requests()) EXPECT_EQ(r.headers.count("authorization"), 0u) << r.target;
}

TEST_F(ComputeAksKubeTls, RolloutWatchStreamsOverHttps) {
  FakeKubeApi api(pki_);
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kClientCert, "ml"));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  ASSERT_TRUE(
      (*client)
          ->Apply({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}})
          .ok());
  // No metadata.namespace: the kubeconfig context's namespace applies.
  const nlohmann::json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "svc"}}},
      {"spec",
       {{"replicas", 1},
        {"selector", {{"matchLabels", {{"app", "svc"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "svc"}}}}},
          {"spec", {{"containers", {{{"name", "model"}, {"image", "reg/model:1"}}}}}}}}}}};
  auto applied = (*client)->Apply(deployment);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ((*applied)["metadata"]["namespace"], "ml");
  std::thread controller([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (api.Count("GET", "watch=true") == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    api.SetDeploymentStatus("ml", "svc",
                            {{"observedGeneration", 1},
                             {"replicas", 1},
                             {"updatedReplicas", 1},
                             {"readyReplicas", 1},
                             {"availableReplicas", 1}});
  });
  const auto start = std::chrono::steady_clock::now();
  auto result = (*client)->WaitForRollout("ml", "svc", std::chrono::seconds(20));
  controller.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->phase, RolloutPhase::kComplete);
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::seconds(4));  // woken by the event
}

TEST_F(ComputeAksKubeTls, TokenOverHttps) {
  FakeKubeApi api(pki_);
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kToken));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto got = (*client)->Get({"v1", "Namespace", "", "default"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
}

TEST_F(ComputeAksKubeTls, ServerCertificateFromAnotherCaIsRefused) {
  FakeKubeApi api(other_pki_);  // served with a certificate our CA did not sign
  KubeClientOptions options;
  options.config.server = api.url();
  options.config.ca_pem = pki_->ca_cert_pem;
  options.config.token = FakeKubeApi::kToken;
  options.retry.total = std::chrono::milliseconds(0);
  auto client = KubeClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto got = (*client)->Get({"v1", "Namespace", "", "default"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition) << got.status().ToString();
  EXPECT_NE(got.status().message().find("TLS handshake failed"), std::string::npos);
  EXPECT_EQ(api.requests().size(), 0u);
}

TEST_F(ComputeAksKubeTls, ClientCertificateFromAnotherCaIsNotAuthenticated) {
  FakeKubeApi api(pki_);
  KubeClientOptions options;
  options.config.server = api.url();
  options.config.ca_pem = pki_->ca_cert_pem;
  options.config.client_cert_pem = other_pki_->client_cert_pem;
  options.config.client_key_pem = other_pki_->client_key_pem;
  options.retry.total = std::chrono::milliseconds(0);
  auto client = KubeClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto got = (*client)->Get({"v1", "Namespace", "", "default"});
  ASSERT_FALSE(got.ok());  // the handshake fails, or the server answers 401
  EXPECT_TRUE(got.status().code() == StatusCode::kUnauthenticated ||
              got.status().code() == StatusCode::kFailedPrecondition ||
              got.status().code() == StatusCode::kAborted)
      << got.status().ToString();
}

}  // namespace
}  // namespace skiff::compute_aks::kube
