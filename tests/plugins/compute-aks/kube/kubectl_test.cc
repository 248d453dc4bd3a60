// SPDX-License-Identifier: Apache-2.0
// Cross-check with the real kubectl: it reads a kubeconfig for FakeKubeApi
// (TLS, client certificate), lists namespaces and reads back what KubeClient
// applied, and its own server-side apply runs into skiff's field ownership.
// kubectl is required (scripts/deps installs it): without it these tests
// fail, they do not skip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fake_kube_api.h"
#include "kube/kube_client.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;
using testing::FakeKubeApi;
namespace fs = std::filesystem;

std::string FindKubectl() {
  if (const char* env = std::getenv("SKIFF_KUBECTL")) return env;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    const std::string dir =
        dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / "kubectl";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

struct KubectlRun {
  int exit_code = -1;
  std::string out, err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class ComputeAksKubectl : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl_ = FindKubectl();
    ASSERT_FALSE(kubectl_.empty()) << "kubectl not found on PATH (or SKIFF_KUBECTL): this "
                                      "cross-check needs it; install it with "
                                      "./scripts/deps (Debian package kubernetes-client)";
    dir_ = fs::temp_directory_path() /
           ("skiff_kubectl_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    kubeconfig_ = (dir_ / "kubeconfig").string();
    std::ofstream(kubeconfig_) << api_.KubeconfigYaml(FakeKubeApi::Auth::kClientCert);
    auto config = ParseKubeconfig(api_.KubeconfigYaml(FakeKubeApi::Auth::kClientCert), {});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    KubeClientOptions options;
    options.config = *config;
    auto client = KubeClient::Create(options);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // kubectl --kubeconfig F ARGS, with HOME in the temp dir (its discovery cache).
  KubectlRun Kubectl(const std::string& args) {
    const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
    const std::string cmd = "HOME=" + Quote(dir_.string()) + " timeout 60 " + Quote(kubectl_) +
                            " --kubeconfig " + Quote(kubeconfig_) + " " + args + " >" + Quote(out) +
                            " 2>" + Quote(err);
    KubectlRun run;
    const int status = std::system(cmd.c_str());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream o(out), e(err);
    run.out.assign(std::istreambuf_iterator<char>(o), {});
    run.err.assign(std::istreambuf_iterator<char>(e), {});
    return run;
  }

  static json Deployment(int replicas) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "svc"}, {"namespace", "ml"}, {"labels", {{"app", "svc"}}}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", "svc"}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", "svc"}}}}},
                {"spec", {{"containers", {{{"name", "model"}, {"image", "reg/model:7"}}}}}}}}}}};
  }

  testing::TestPki pki_ = testing::MakeTestPki();
  FakeKubeApi api_{&pki_};
  std::string kubectl_;
  fs::path dir_;
  std::string kubeconfig_;
  std::unique_ptr<KubeClient> client_;
};

TEST_F(ComputeAksKubectl, SeesNamespacesAndTheDeploymentTheClientApplied) {
  ASSERT_TRUE(
      client_->Apply({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}})
          .ok());
  auto applied = client_->Apply(Deployment(3));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();

  KubectlRun ns = Kubectl("get namespaces -o json");
  ASSERT_EQ(ns.exit_code, 0) << ns.err;
  const json list = json::parse(ns.out, nullptr, false);
  ASSERT_TRUE(list.is_object()) << ns.out;
  std::set<std::string> names;
  for (const auto& item : list["items"]) names.insert(item["metadata"]["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"default", "kube-system", "ml"}));

  KubectlRun dep = Kubectl("get deployment -n ml svc -o json");
  ASSERT_EQ(dep.exit_code, 0) << dep.err;
  const json got = json::parse(dep.out, nullptr, false);
  ASSERT_TRUE(got.is_object()) << dep.out;
  EXPECT_EQ(got["spec"], (*applied)["spec"]);
  EXPECT_EQ(got["metadata"]["resourceVersion"], (*applied)["metadata"]["resourceVersion"]);
  EXPECT_EQ(got["spec"]["template"]["spec"]["containers"][0]["image"], "reg/model:7");
  // kubectl really asked this server (over TLS, with the client certificate).
  EXPECT_GE(api_.Count("GET", "/apis/apps/v1/namespaces/ml/deployments/svc"), 1);

  KubectlRun missing = Kubectl("get deployment -n ml nope -o json");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

TEST_F(ComputeAksKubectl, KubectlServerSideApplyConflictsWithSkiffsFields) {
  ASSERT_TRUE(
      client_->Apply({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}})
          .ok());
  ASSERT_TRUE(client_->Apply(Deployment(3)).ok());
  json scale = {{"apiVersion", "apps/v1"},
                {"kind", "Deployment"},
                {"metadata", {{"name", "svc"}, {"namespace", "ml"}}},
                {"spec", {{"replicas", 5}}}};
  const std::string file = (dir_ / "scale.json").string();
  std::ofstream(file) << scale.dump();
  KubectlRun conflict =
      Kubectl("apply --server-side --validate=false --field-manager=ops -f " + Quote(file));
  EXPECT_NE(conflict.exit_code, 0) << conflict.out;
  EXPECT_NE(conflict.err.find("conflict with \"skiff\""), std::string::npos) << conflict.err;
  EXPECT_NE(conflict.err.find(".spec.replicas"), std::string::npos) << conflict.err;
  // kubectl's own request has the shape KubeClient uses.
  bool saw_kubectl_apply = false;
  for (const auto& r : api_.requests()) {
    if (r.method == "PATCH" && r.target.find("fieldManager=ops") != std::string::npos) {
      saw_kubectl_apply = true;
      EXPECT_EQ(r.headers.at("content-type"), "application/apply-patch+yaml");
      EXPECT_EQ(r.target.find("force=true"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_kubectl_apply);

  KubectlRun forced =
      Kubectl("apply --server-side --validate=false --force-conflicts --field-manager=ops -f " +
              Quote(file));
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  // Now skiff's next apply conflicts with "ops", which the client reports.
  auto ours = client_->Apply(Deployment(3));
  ASSERT_FALSE(ours.ok());
  EXPECT_NE(ours.status().message().find("conflict with \"ops\""), std::string::npos)
      << ours.status().message();
}

}  // namespace
}  // namespace skiff::compute_aks::kube
