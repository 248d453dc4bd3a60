// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "skiff/util/base64.h"
#include "test_pki.h"

namespace skiff::compute_aks::kube {
namespace {

const std::string kCa = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
const std::string kCert = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n";
const std::string kKey = "-----BEGIN EC PRIVATE KEY-----\nMHckey\n-----END EC PRIVATE KEY-----\n";

// Two contexts, as `az aks get-credentials` merges them.
std::string TwoContexts() {
  return "apiVersion: v1\n"
         "kind: Config\n"
         "current-context: aks1\n"
         "clusters:\n"
         "- name: aks1\n"
         "  cluster:\n"
         "    server: https://aks1-dns.hcp.westeurope.azmk8s.io:443/\n"
         "    certificate-authority-data: " +
         Base64Encode(kCa, Base64Alphabet::kStandard) +
         "\n"
         "- name: other\n"
         "  cluster:\n"
         "    server: https://10.0.0.1:6443\n"
         "    certificate-authority: ca.crt\n"
         "contexts:\n"
         "- name: aks1\n"
         "  context: {cluster: aks1, user: clusterUser_rg_aks1, namespace: ml}\n"
         "- name: other\n"
         "  context: {cluster: other, user: token-user}\n"
         "users:\n"
         "- name: clusterUser_rg_aks1\n"
         "  user:\n"
         "    client-certificate-data: " +
         Base64Encode(kCert, Base64Alphabet::kStandard) +
         "\n"
         "    client-key-data: " +
         Base64Encode(kKey, Base64Alphabet::kStandard) +
         "\n"
         "    token: abc123\n"
         "- name: token-user\n"
         "  user:\n"
         "    tokenFile: token.txt\n";
}

TEST(ComputeAksKubeconfig, CurrentContextWithCaDataClientCertAndToken) {
  auto config = ParseKubeconfig(TwoContexts(), {});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "aks1");
  EXPECT_EQ(config->server, "https://aks1-dns.hcp.westeurope.azmk8s.io:443");  // trailing / dropped
  EXPECT_EQ(config->namespace_, "ml");
  EXPECT_EQ(config->ca_pem, kCa);
  EXPECT_EQ(config->client_cert_pem, kCert);
  EXPECT_EQ(config->client_key_pem, kKey);
  EXPECT_EQ(config->token, "abc123");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST(ComputeAksKubeconfig, NamedContextWithCaFileAndTokenFileRelativeToBaseDir) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("skiff_kubeconfig_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ca.crt") << kCa;
  std::ofstream(dir / "token.txt") << "file-token\n";
  std::ofstream(dir / "config") << TwoContexts();
  KubeconfigOptions options;
  options.context = "other";
  auto config = LoadKubeconfig((dir / "config").string(), options);  // base_dir: the file's folder
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, kCa);
  EXPECT_EQ(config->token, "file-token");
  EXPECT_TRUE(config->client_cert_pem.empty());
  EXPECT_EQ(config->namespace_, "");
}

void ExpectError(const std::string& yaml, const std::string& needle,
                 KubeconfigOptions options = {}) {
  auto config = ParseKubeconfig(yaml, options, "kc.yaml");
  ASSERT_FALSE(config.ok()) << "expected an error mentioning " << needle;
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(needle), std::string::npos) << config.status().message();
  EXPECT_EQ(config.status().message().rfind("kc.yaml: ", 0), 0u) << config.status().message();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(ComputeAksKubeconfig, InsecureSkipTlsVerifyIsRefusedUnlessAllowed) {
  const std::string yaml =
      "current-context: c\nclusters:\n- name: k\n  cluster:\n"
      "    server: https://1.2.3.4\n    insecure-skip-tls-verify: true\n"
      "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
      "users:\n- name: u\n  user: {token: t}\n";
  ExpectError(yaml, "clusters[name=k].cluster.insecure-skip-tls-verify: is true");
  KubeconfigOptions allow;
  allow.allow_insecure_skip_tls_verify = true;
  auto config = ParseKubeconfig(yaml, allow);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  // Never together with a CA, as kubectl.
  ExpectError(Replace(yaml, "insecure-skip-tls-verify: true",
                      "insecure-skip-tls-verify: true\n    certificate-authority-data: " +
                          Base64Encode(kCa, Base64Alphabet::kStandard)),
              "cannot be combined", allow);
}

TEST(ComputeAksKubeconfig, ErrorsNameTheField) {
  const std::string good = TwoContexts();
  ExpectError("- just\n- a list\n", "must be a YAML map");
  ExpectError("key: [unclosed\n", "not valid YAML");
  ExpectError(Replace(good, "current-context: aks1\n", ""), "current-context: is not set");
  ExpectError(Replace(good, "current-context: aks1", "current-context: nope"),
              "contexts: has no entry named 'nope'");
  ExpectError(Replace(good, "    server: https://aks1-dns.hcp.westeurope.azmk8s.io:443/\n", ""),
              "clusters[name=aks1].cluster.server: is required");
  ExpectError(Replace(good, "server: https://aks1", "server: ftp://aks1"),
              "must be an https:// URL");
  ExpectError(
      Replace(good, "certificate-authority-data: " + Base64Encode(kCa, Base64Alphabet::kStandard),
              "certificate-authority-data: not*base64"),
      "clusters[name=aks1].cluster.certificate-authority-data: is not valid base64");
  ExpectError(
      Replace(good, "certificate-authority-data: " + Base64Encode(kCa, Base64Alphabet::kStandard),
              "certificate-authority-data: " + Base64Encode("not pem", Base64Alphabet::kStandard)),
      "certificate-authority-data: does not hold PEM data");
  ExpectError(
      Replace(good, "    client-key-data: " + Base64Encode(kKey, Base64Alphabet::kStandard) + "\n",
              ""),
      "users[name=clusterUser_rg_aks1].user.client-key-data: is missing");
  ExpectError(Replace(good, "  context: {cluster: aks1, user: clusterUser_rg_aks1, namespace: ml}",
                      "  context: {cluster: aks1}"),
              "contexts[name=aks1].context.user: is required");
  // exec is supported since issue 19 item 5; one without apiVersion is refused.
  ExpectError(Replace(good, "    token: abc123\n", "    exec: {command: kubelogin}\n"),
              "users[name=clusterUser_rg_aks1].user.exec.apiVersion: is required");
  ExpectError(
      "current-context: c\nclusters:\n- name: k\n  cluster: {server: https://h}\n"
      "contexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user: {}\n",
      "users[name=u].user: has no credentials");
  ExpectError(Replace(good, "kind: Config", "kind: Pod"), "kind: must be Config");
  KubeconfigOptions other;
  other.context = "other";
  other.base_dir = "/nonexistent-dir";
  ExpectError(good,
              "clusters[name=other].cluster.certificate-authority: cannot read file "
              "/nonexistent-dir/ca.crt",
              other);
}

}  // namespace
}  // namespace skiff::compute_aks::kube
