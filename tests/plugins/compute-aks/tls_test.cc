// SPDX-License-Identifier: Apache-2.0
// The AKS target over real HTTPS: FakeArm behind a TLS front with a private
// CA, through the plugin's own Beast/OpenSSL transport (no injected
// transport). Proves SKIFF_CA_FILE, peer verification and host-name
// checking; a verification failure is refused at once, not retried.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "aks_compute_target.h"
#include "fake_arm.h"
#include "tls_front.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;
using testing::FakeArm;
using testing::FakeClock;
using testing::MakeTestPki;
using testing::TestPki;
using testing::TlsFront;
using testing::WritePemFile;
namespace fs = std::filesystem;

uint16_t PortOf(const std::string& url) {
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

std::string TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "skiff-aks-tls-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

class ComputeAksTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = TempDir();
    pki_dir_ = TempDir();
  }
  void TearDown() override {
    fs::remove_all(ws_);
    fs::remove_all(pki_dir_);
  }

  std::unique_ptr<AksComputeTarget> Target(const std::string& origin, const std::string& ca_file) {
    json config = {{"subscriptionId", "00000000-0000-0000-0000-000000000001"},
                   {"resourceGroup", "rg1"},
                   {"location", "eastus"}};
    AksTargetOptions o;
    o.config = ParseAksConfig(config.dump()).value();
    o.clock = std::make_shared<FakeClock>();
    std::map<std::string, std::string> env = {{"AZURE_TENANT_ID", FakeArm::kTenant},
                                              {"AZURE_CLIENT_ID", FakeArm::kClientId},
                                              {"AZURE_CLIENT_SECRET", FakeArm::kClientSecret},
                                              {"AZURE_AUTHORITY_HOST", origin},
                                              {"SKIFF_ARM_ENDPOINT", origin}};
    if (!ca_file.empty()) env["SKIFF_CA_FILE"] = ca_file;
    o.env = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    o.retry.seed = 7;
    return AksComputeTarget::Create(std::move(o)).value();
  }
  ComputeSpec Spec(const std::string& name) { return ComputeSpec{name, "aks", "{}", ws_}; }
  // The CA certificate as the file SKIFF_CA_FILE names.
  std::string CaFile(const TestPki& pki) { return WritePemFile(pki_dir_ + "/ca.pem", pki.ca_cert_pem); }

  FakeArm arm_;
  std::string ws_, pki_dir_;
};

TEST_F(ComputeAksTlsTest, CreateOverHttpsWithAPrivateCa) {
  TestPki pki = MakeTestPki("skiff test CA", "IP:127.0.0.1");
  TlsFront front(pki, PortOf(arm_.url()));
  arm_.SetPublicOrigin(front.url());  // operation URLs are https too
  Status s = Target(front.url(), CaFile(pki))->Provision(Spec("aks1"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(fs::exists(ws_ + "/compute/aks1/kubeconfig"));
  front.WaitSettled();
  // token, PUT, operation poll(s), final GET, listClusterUserCredential: all over TLS.
  EXPECT_GE(front.handshakes_ok(), 5);
  EXPECT_EQ(front.handshakes_failed(), 0);
  EXPECT_EQ(static_cast<int>(arm_.requests().size()), front.handshakes_ok());
}

TEST_F(ComputeAksTlsTest, UntrustedCertificateIsRefusedAndNotRetried) {
  TestPki pki = MakeTestPki("skiff test CA", "IP:127.0.0.1");
  TlsFront front(pki, PortOf(arm_.url()));
  Status s = Target(front.url(), /*ca_file=*/"")->Provision(Spec("aks1"));  // system store only
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("SKIFF_CA_FILE"), std::string::npos) << s.message();
  front.WaitSettled();
  EXPECT_EQ(front.handshakes_ok(), 0);
  EXPECT_EQ(front.handshakes_failed(), 1) << "a certificate failure is not retried";
  EXPECT_TRUE(arm_.requests().empty()) << "nothing reached the server, no secret sent";
}

TEST_F(ComputeAksTlsTest, CertificateForAnotherHostIsRefused) {
  TestPki pki = MakeTestPki("skiff test CA", "DNS:management.example.org");
  TlsFront front(pki, PortOf(arm_.url()));
  Status s = Target(front.url(), CaFile(pki))->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  front.WaitSettled();
  EXPECT_EQ(front.handshakes_ok(), 0);
  EXPECT_EQ(front.handshakes_failed(), 1) << "not retried";
  EXPECT_TRUE(arm_.requests().empty());
}

TEST_F(ComputeAksTlsTest, UnreadableCaFileNamesTheVariable) {
  TestPki pki = MakeTestPki("skiff test CA", "IP:127.0.0.1");
  TlsFront front(pki, PortOf(arm_.url()));
  Status s = Target(front.url(), pki_dir_ + "/missing.pem")->Provision(Spec("aks1"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("SKIFF_CA_FILE " + pki_dir_ + "/missing.pem"), std::string::npos)
      << s.message();
  // The transport connects before it loads the CA file, so the front may
  // see a connection closed mid-handshake, but no request ever gets through.
  front.WaitSettled();
  EXPECT_EQ(front.handshakes_ok(), 0);
  EXPECT_LE(front.handshakes_failed(), 1) << "not retried";
  EXPECT_TRUE(arm_.requests().empty());
}

}  // namespace
}  // namespace skiff::compute_aks
