// SPDX-License-Identifier: Apache-2.0
// Issue 23 item 1: while an AKS rollout progresses, `model deploy`'s
// progress carries the cluster's own count of pods (updated/available of
// those wanted), through the real CLI against the loopback fake ARM and fake
// Kubernetes API (tests/plugins/compute-aks).
#include "cli_aks_harness.h"

namespace skiff::testing {
namespace {

class CliAksProgress : public AksCliFixture {};

TEST_F(CliAksProgress, DeployShowsPodsAvailableWhileTheRolloutProgresses) {
  FakeKubeApi kube;
  kube.SetAutoRollout(false);  // the rollout moves only when this test says so
  arm_.AddCluster("sub1", "rg1", "prod1");
  ASSERT_EQ(AttachExisting("prodaks", "prod1").rc, 0);
  UseCluster("prodaks", kube);
  RegisterMlp(R"({"computeType": "aks", "numReplicas": 2, "namespace": "ml"})");

  // The cluster: an address for the router Service; the Deployments
  // complete only once the CLI's stderr (the harness's err file) has shown
  // the rollout in progress.
  std::atomic<bool> stop{false};
  std::atomic<bool> seen{false};
  std::thread cluster([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    const std::string service = "/api/v1/namespaces/ml/services/svc";
    while (!stop && !kube.Object(service))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (stop) return;
    kube.SetStatus(service, {{"loadBalancer", {{"ingress", {{{"ip", "20.0.0.7"}}}}}}});
    while (!stop && std::chrono::steady_clock::now() < deadline &&
           Slurp(Path("err")).find("0/2 available") == std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    seen = Slurp(Path("err")).find("0/2 available") != std::string::npos;
    for (const char* name : {"svc-model", "svc-router"}) {
      auto d = kube.Object(std::string("/apis/apps/v1/namespaces/ml/deployments/") + name);
      if (!d) continue;
      const int64_t replicas = (*d)["spec"].value("replicas", 1);
      kube.SetDeploymentStatus("ml", name,
                               {{"observedGeneration", (*d)["metadata"].value("generation", 1)},
                                {"replicas", replicas},
                                {"updatedReplicas", replicas},
                                {"readyReplicas", replicas},
                                {"availableReplicas", replicas}});
    }
  });
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "--ct", "prodaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json"), "-o", "none"});
  stop = true;
  cluster.join();
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  EXPECT_TRUE(seen) << deployed.err;
  // Piped: one plain line per change, the cluster's words as the detail.
  EXPECT_NE(deployed.err.find("Waiting for 'svc' to become Healthy: Transitioning  "),
            std::string::npos)
      << deployed.err;
  EXPECT_NE(deployed.err.find("/2 updated, 0/2 available"), std::string::npos) << deployed.err;
  EXPECT_NE(deployed.err.find("Waiting for 'svc' to become Healthy: Healthy  "), std::string::npos)
      << deployed.err;
  EXPECT_EQ(deployed.err.find('\r'), std::string::npos) << deployed.err;
}

}  // namespace
}  // namespace skiff::testing
