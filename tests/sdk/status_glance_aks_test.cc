// SPDX-License-Identifier: Apache-2.0
// Issue 23 item 2 on AKS, through the real CLI: an aks target attached on
// the loopback FakeArm, the cluster a FakeKubeApi. `service list` shows the
// replicas ready/total from the Deployments and the restarts from the pods,
// and requests/s and the error rate as unknown ("-", with the reason): the
// router's count is inside the cluster, and a number would be made up.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cli_harness.h"
#include "fake_arm.h"
#include "fake_kube_api.h"

namespace skiff::testing {
namespace {

using compute_aks::kube::testing::FakeKubeApi;
using compute_aks::testing::FakeArm;

class StatusGlanceAks : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    arm_.SetPollRetryAfter("0");
    ::setenv("SKIFF_ARM_ENDPOINT", arm_.url().c_str(), 1);
    ::setenv("AZURE_ACCESS_TOKEN", FakeArm::kFixedToken, 1);
    // LeakSanitizer's exit-time stop-the-world crashes in these CLI
    // processes under gcc 12's asan (as in cli_aks_test.cc).
    env_prefix_ = std::string("ASAN_OPTIONS=detect_leaks=0 SKIFF_PLUGIN_PATH=") +
                  SKIFF_TEST_MODEL_PLUGIN_DIR + " ";
  }
  FakeArm arm_;
};

TEST_F(StatusGlanceAks, ServiceListShowsReplicasAndRestartsAndRatesAsUnknown) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "bare1");
  ASSERT_EQ(Skiff({"computetarget", "attach", "aks", "-n", "bareaks", "--subscription", "sub1",
                   "--resource-group", "rg1", "--cluster-name", "bare1"})
                .rc,
            0);
  Spit(Path("ws/compute/bareaks/kubeconfig"), kube.KubeconfigYaml(FakeKubeApi::Auth::kToken));
  Spit(Path("m.bin"), "weights");
  ASSERT_EQ(Skiff({"model", "register", "-n", "mm", "-p", Path("m.bin")}).rc, 0);
  Spit(Path("dc.json"), R"({"computeType": "aks", "numReplicas": 2, "namespace": "ml"})");
  Spit(Path("ic.json"), R"({"accelerator": "testmodel",
                           "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
                           "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]})");
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mm:1", "--ct", "bareaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json"), "--no-wait"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  kube.SetStatus("/api/v1/namespaces/ml/services/svc",
                 {{"loadBalancer", {{"ingress", {{{"ip", "20.0.0.9"}}}}}}});
  // A model pod whose container restarted twice (an OOM kill, say).
  auto model = kube.Object("/apis/apps/v1/namespaces/ml/deployments/svc-model");
  ASSERT_TRUE(model.has_value());
  kube.PutPod({{"metadata",
                {{"name", "svc-model-a"},
                 {"namespace", "ml"},
                 {"labels", (*model)["spec"]["template"]["metadata"]["labels"]}}},
               {"spec", (*model)["spec"]["template"]["spec"]},
               {"status",
                {{"phase", "Running"},
                 {"containerStatuses", {{{"name", "skiff-server"}, {"restartCount", 2}}}}}}});
  int64_t wanted = 0;
  for (const char* d : {"svc-model", "svc-router"}) {
    auto object = kube.Object(std::string("/apis/apps/v1/namespaces/ml/deployments/") + d);
    ASSERT_TRUE(object.has_value()) << d;
    wanted += (*object)["spec"].value("replicas", 1);
  }

  const nlohmann::json list = Json({"service", "list", "-o", "json"});
  ASSERT_EQ(list.size(), 1u) << list;
  const nlohmann::json& svc = list[0];
  EXPECT_EQ(svc["state"], "Healthy") << svc;
  EXPECT_EQ(svc["replicas"], nlohmann::json({{"ready", wanted}, {"total", wanted}})) << svc;
  EXPECT_EQ(svc["restarts"], 2) << svc;
  EXPECT_TRUE(svc["requestsPerSecond"].is_null()) << "never made up: " << svc;
  EXPECT_TRUE(svc["errorRate"].is_null()) << svc;
  EXPECT_NE(svc.value("loadNote", "").find("inside the cluster"), std::string::npos) << svc;

  Result table = Skiff({"service", "list"});
  ASSERT_EQ(table.rc, 0) << table.err;
  const std::string replicas = std::to_string(wanted) + "/" + std::to_string(wanted);
  EXPECT_NE(table.out.find(replicas), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("svc: REQ/S and ERROR RATE unknown: "), std::string::npos)
      << table.out;
}

}  // namespace
}  // namespace skiff::testing
