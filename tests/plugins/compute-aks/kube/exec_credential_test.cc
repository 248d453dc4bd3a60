// SPDX-License-Identifier: Apache-2.0
// Issue 19 item 5: kubeconfig `exec` credential plugins (kubelogin and the
// like, client.authentication.k8s.io/v1 and v1beta1) with client-go's
// caching and expiry rules, driven by a fake plugin script that counts its
// runs, against FakeKubeApi on loopback (plain http, and TLS for a plugin
// that hands out a client certificate).
#include "kube/exec_credential.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_kube_api.h"
#include "kube/kube_client.h"
#include "skiff/util/base64.h"
#include "test_pki.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;
using testing::FakeKubeApi;
namespace fs = std::filesystem;

class ManualClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Sleep(std::chrono::milliseconds d) override { Advance(d); }
  void Advance(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }

 private:
  std::mutex mu_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
};

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ComputeAksKubeExec : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-exec-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    // The fake plugin: counts its runs, keeps its arguments, environment
    // and KUBERNETES_EXEC_INFO for the test to read, and prints
    // $dir/reply with @N@ replaced by its run number (or fails as
    // $dir/fail says).
    std::ofstream(dir_ + "/plugin")
        << "#!/bin/sh\n"
           "d='" +
               dir_ +
               "'\n"
               "n=$(( $(cat \"$d/runs\" 2>/dev/null || echo 0) + 1 ))\n"
               "echo $n > \"$d/runs\"\n"
               "echo \"$@\" > \"$d/args\"\n"
               "echo \"$PLUGIN_SETTING\" > \"$d/env\"\n"
               "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$d/exec-info\"\n"
               "if [ -f \"$d/fail\" ]; then cat \"$d/fail\" >&2; exit 1; fi\n"
               "sed \"s/@N@/$n/g\" \"$d/reply\"\n";
    ::chmod((dir_ + "/plugin").c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Reply(const json& status, const std::string& api_version = kV1) {
    std::ofstream(dir_ + "/reply")
        << json{{"apiVersion", api_version}, {"kind", "ExecCredential"}, {"status", status}}.dump();
  }
  // A kubeconfig whose user is the fake plugin.
  std::string Kubeconfig(const FakeKubeApi& kube, const std::string& api_version = kV1,
                         const std::string& extra = "", const std::string& ca_pem = "") {
    std::string y =
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n"
        "  cluster:\n    server: " +
        kube.url() + "\n";
    if (!ca_pem.empty()) {
      y += "    certificate-authority-data: " + Base64Encode(ca_pem, Base64Alphabet::kStandard) +
           "\n";
    }
    y += "contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: ml}\n"
         "users:\n- name: u\n  user:\n    exec:\n"
         "      apiVersion: " +
         api_version +
         "\n"
         "      command: ./plugin\n"  // relative to the kubeconfig's folder
         "      args: [get-token, --server-id, 6dae42f8]\n"
         "      env:\n      - name: PLUGIN_SETTING\n        value: from-kubeconfig\n"
         "      interactiveMode: Never\n" +
         extra;
    std::ofstream(dir_ + "/kubeconfig") << y;
    return dir_ + "/kubeconfig";
  }
  std::unique_ptr<KubeClient> Client(const std::string& kubeconfig_path) {
    auto config = LoadKubeconfig(kubeconfig_path, {});
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    KubeClientOptions options;
    options.config = *config;
    options.clock = clock_;
    return KubeClient::Create(std::move(options)).value();
  }
  int Runs() const {
    const std::string text = Slurp(dir_ + "/runs");
    return text.empty() ? 0 : std::stoi(text);
  }

  static constexpr const char* kV1 = "client.authentication.k8s.io/v1";
  std::string dir_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(ComputeAksKubeExec, TokenIsCachedUntilItsExpirationThenThePluginRunsAgain) {
  FakeKubeApi kube;
  kube.AcceptToken("exec-token-1");
  kube.AcceptToken("exec-token-2");
  Reply({{"token", "exec-token-@N@"},
         {"expirationTimestamp", Rfc3339(clock_->Now() + std::chrono::hours(1))}});
  auto client = Client(Kubeconfig(kube, kV1, "      provideClusterInfo: true\n"));
  for (int i = 0; i < 3; ++i) {
    auto got = client->Get({"v1", "Namespace", "", "default"});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
  }
  EXPECT_EQ(Runs(), 1) << "one run while the token is valid";
  EXPECT_EQ(Slurp(dir_ + "/args"), "get-token --server-id 6dae42f8\n");
  EXPECT_EQ(Slurp(dir_ + "/env"), "from-kubeconfig\n");
  const json info = json::parse(Slurp(dir_ + "/exec-info"));
  EXPECT_EQ(info["apiVersion"], kV1);
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], kube.url()) << "provideClusterInfo";

  clock_->Advance(std::chrono::minutes(61));  // past expirationTimestamp
  ASSERT_TRUE(client->Get({"v1", "Namespace", "", "default"}).ok());
  EXPECT_EQ(Runs(), 2);
  EXPECT_EQ(kube.requests().back().header("authorization"), "Bearer exec-token-2");
}

TEST_F(ComputeAksKubeExec, A401RunsThePluginAgainAndTheRequestSucceeds) {
  FakeKubeApi kube;
  kube.AcceptToken("exec-token-1");
  Reply({{"token", "exec-token-@N@"}});  // no expiry: valid until refused
  auto client = Client(Kubeconfig(kube));
  ASSERT_TRUE(client->Get({"v1", "Namespace", "", "default"}).ok());
  ASSERT_TRUE(client->Get({"v1", "Namespace", "", "default"}).ok());
  EXPECT_EQ(Runs(), 1);
  EXPECT_EQ(json::parse(Slurp(dir_ + "/exec-info"))["spec"].count("cluster"), 0u)
      << "no cluster info unless provideClusterInfo";

  kube.RevokeToken("exec-token-1");  // revoked early, as Azure AD may
  kube.AcceptToken("exec-token-2");
  auto got = client->Get({"v1", "Namespace", "", "default"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Runs(), 2);

  // A plugin whose every token is refused: the 401 comes back, one re-run.
  kube.RevokeToken("exec-token-2");
  auto refused = client->Get({"v1", "Namespace", "", "default"});
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Runs(), 3);
}

TEST_F(ComputeAksKubeExec, FailingPluginIsUnauthenticatedWithItsFirstStderrLine) {
  FakeKubeApi kube;
  std::ofstream(dir_ + "/fail") << "error: not logged in: run kubelogin\nsecond line\n";
  auto client = Client(Kubeconfig(kube));
  auto got = client->Get({"v1", "Namespace", "", "default"});
  EXPECT_EQ(got.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(got.status().message().find("exit 1"), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find("not logged in"), std::string::npos);
  EXPECT_EQ(got.status().message().find("second line"), std::string::npos);
  EXPECT_EQ(kube.requests().size(), 0u) << "nothing sent without a credential";
}

TEST_F(ComputeAksKubeExec, V1beta1AndAMismatchedApiVersionIsRefused) {
  FakeKubeApi kube;
  kube.AcceptToken("exec-token-1");
  Reply({{"token", "exec-token-@N@"}}, "client.authentication.k8s.io/v1beta1");
  auto beta = Client(Kubeconfig(kube, "client.authentication.k8s.io/v1beta1"));
  ASSERT_TRUE(beta->Get({"v1", "Namespace", "", "default"}).ok());

  auto v1 = Client(Kubeconfig(kube, kV1));  // the plugin still answers v1beta1
  auto got = v1->Get({"v1", "Namespace", "", "default"});
  EXPECT_EQ(got.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(got.status().message().find("apiVersion"), std::string::npos) << got.status().message();
}

TEST_F(ComputeAksKubeExec, ClientCertificateFromThePluginIsPresentedOverTls) {
  const auto pki = compute_aks::testing::MakeTestPki();
  FakeKubeApi kube(&pki);
  Reply({{"clientCertificateData", pki.client_cert_pem}, {"clientKeyData", pki.client_key_pem}});
  auto client = Client(Kubeconfig(kube, kV1, "", pki.ca_cert_pem));
  auto got = client->Get({"v1", "Namespace", "", "default"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(kube.requests().back().client_cert_verified);
  EXPECT_EQ(kube.requests().back().header("authorization"), "");
  EXPECT_EQ(Runs(), 1);
}

TEST_F(ComputeAksKubeExec, KubeconfigExecFieldsAreChecked) {
  FakeKubeApi kube;
  const auto error = [&](const std::string& extra, const std::string& api = kV1) {
    auto config = LoadKubeconfig(Kubeconfig(kube, api, extra), {});
    return config.ok() ? std::string("ok") : config.status().message();
  };
  EXPECT_EQ(error(""), "ok");
  auto parsed = LoadKubeconfig(Kubeconfig(kube), {});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->exec->command, dir_ + "/./plugin") << "relative to the kubeconfig";
  EXPECT_NE(error("", "client.authentication.k8s.io/v1alpha1").find("exec.apiVersion"),
            std::string::npos);
  // interactiveMode Always needs a terminal skiff never has.
  std::string always = Slurp(Kubeconfig(kube));
  always.replace(always.find("interactiveMode: Never"), 22, "interactiveMode: Always");
  auto refused = ParseKubeconfig(always, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("users[name=u].user.exec.interactiveMode"),
            std::string::npos)
      << refused.status().message();
  // v1 requires interactiveMode; v1beta1 defaults it.
  std::string unset = Slurp(Kubeconfig(kube));
  unset.erase(unset.find("      interactiveMode: Never\n"), 29);
  EXPECT_FALSE(ParseKubeconfig(unset, {}).ok());
  std::string beta = Slurp(Kubeconfig(kube, "client.authentication.k8s.io/v1beta1"));
  beta.erase(beta.find("      interactiveMode: Never\n"), 29);
  EXPECT_TRUE(ParseKubeconfig(beta, {}).ok());
  // exec with a token as well is ambiguous.
  EXPECT_NE(error("    token: abc\n").find("cannot be combined with exec"), std::string::npos);
}

TEST(ComputeAksKubeExecParse, ExecCredentialFieldsAndTimestamps) {
  const std::string v1 = "client.authentication.k8s.io/v1";
  auto ok = ParseExecCredential(
      R"({"apiVersion":")" + v1 +
          R"(","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2030-01-02T03:04:05.5+01:00"}})",
      v1);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok->expires_at, *ParseRfc3339("2030-01-02T02:04:05Z"));
  EXPECT_FALSE(ParseExecCredential(
                   R"({"apiVersion":")" + v1 + R"(","kind":"ExecCredential","status":{}})", v1)
                   .ok());
  EXPECT_FALSE(
      ParseExecCredential(R"({"apiVersion":")" + v1 +
                              R"(","kind":"ExecCredential","status":{"clientKeyData":"k"}})",
                          v1)
          .ok());
  EXPECT_FALSE(ParseRfc3339("2030-01-02 03:04:05"));
}

}  // namespace
}  // namespace skiff::compute_aks::kube
