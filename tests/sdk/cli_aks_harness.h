// SPDX-License-Identifier: Apache-2.0
// The one set-up of the CLI's AKS tests: the real `skiff` binary against the
// loopback FakeArm (SKIFF_ARM_ENDPOINT + AZURE_ACCESS_TOKEN point at it) and,
// for deploys, a FakeKubeApi behind the attached target's kubeconfig
// (tests/plugins/compute-aks). Real sleeps: the fake answers Retry-After: 0.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_harness.h"
#include "fake_arm.h"
#include "fake_kube_api.h"

namespace skiff::testing {

class AksCliFixture : public CliFixture {
 protected:
  using FakeArm = compute_aks::testing::FakeArm;
  using FakeKubeApi = compute_aks::kube::testing::FakeKubeApi;

  void SetUp() override {
    CliFixture::SetUp();
    arm_.SetPollRetryAfter("0");
    ::setenv("SKIFF_ARM_ENDPOINT", arm_.url().c_str(), 1);
    ::setenv("AZURE_ACCESS_TOKEN", FakeArm::kFixedToken, 1);
    // Under ./scripts/sanitize asan, LeakSanitizer's exit-time
    // stop-the-world crashes in these CLI processes ("Tracer caught signal
    // 11", gcc 12); they keep ASan and UBSan, without the leak check
    // (docs/reliability.md). A test that sets env_prefix_ keeps this.
    env_prefix_ = "ASAN_OPTIONS=detect_leaks=0 ";
  }

  // Attaches `cluster`, which FakeArm holds (in sub1/rg1), as target
  // `target`; `extra` flags are appended.
  Result AttachExisting(const std::string& target, const std::string& cluster,
                        const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"computetarget", "attach",         "aks",  "-n",
                                     target,          "--subscription", "sub1", "--resource-group",
                                     "rg1",           "--cluster-name", cluster};
    args.insert(args.end(), extra.begin(), extra.end());
    return Skiff(args);
  }

  // The attached `target` talks to `kube` (its kubeconfig, a token user).
  void UseCluster(const std::string& target, const FakeKubeApi& kube) {
    Spit(Path("ws/compute/" + target + "/kubeconfig"),
         kube.KubeconfigYaml(FakeKubeApi::Auth::kToken));
  }

  // Model `mlp` (a file of `bytes`) registered, ic.json its signature (FP32
  // input [-1, 4] -> output [-1, 3]) and dc.json `dc`.
  void RegisterMlp(const std::string& dc, const std::string& bytes = "weights") {
    Spit(Path("model.pt"), bytes);
    ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", Path("model.pt")}).rc, 0);
    Spit(Path("ic.json"), R"({"inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
                           "outputs": [{"name": "output", "datatype": "FP32", "shape": [-1, 3]}]})");
    if (!dc.empty()) Spit(Path("dc.json"), dc);
  }

  // A Running pod `name` of Deployment ml/`deployment`, labelled and specified
  // as its template says: what the cluster would run for it (FakeKubeApi's
  // auto-rollout marks Deployments rolled out without making pods).
  static nlohmann::json RunningPodOf(const FakeKubeApi& kube, const std::string& deployment,
                                     const std::string& name) {
    auto d = kube.Object("/apis/apps/v1/namespaces/ml/deployments/" + deployment);
    EXPECT_TRUE(d.has_value()) << "no Deployment ml/" << deployment;
    if (!d.has_value()) return nlohmann::json::object();
    return {{"metadata",
             {{"name", name},
              {"namespace", "ml"},
              {"labels", (*d)["spec"]["template"]["metadata"]["labels"]}}},
            {"spec", (*d)["spec"]["template"]["spec"]},
            {"status", {{"phase", "Running"}}}};
  }

  FakeArm arm_;
};

// The cloud's load-balancer controller: once the Service at `path` exists
// in `kube`, gives it the address `ip`. Stops (and joins) on destruction.
class LoadBalancerStandIn {
 public:
  LoadBalancerStandIn(compute_aks::kube::testing::FakeKubeApi& kube, std::string path,
                      std::string ip)
      : thread_([this, &kube, path = std::move(path), ip = std::move(ip)] {
          while (!stop_ && !kube.Object(path)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          if (!stop_) kube.SetStatus(path, {{"loadBalancer", {{"ingress", {{{"ip", ip}}}}}}});
        }) {}
  ~LoadBalancerStandIn() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace skiff::testing
