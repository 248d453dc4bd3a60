// SPDX-License-Identifier: Apache-2.0
// Rollout status: the pure evaluation, WaitForRollout over a watch against
// FakeKubeApi (success, Unschedulable, CrashLoopBackOff, timeout), and logs.
#include <gtest/gtest.h>

#include <thread>

#include "fake_kube_api.h"
#include "kube/kube_client.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;
using testing::FakeKubeApi;

json DeploymentObject(int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "svc"}, {"namespace", "ml"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "svc"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "svc"}}}}},
              {"spec", {{"containers", {{{"name", "model"}, {"image", "reg/model:1"}}}}}}}}}}};
}

json DeployStatus(int64_t observed, int64_t replicas, int64_t updated, int64_t available) {
  return {{"observedGeneration", observed},
          {"replicas", replicas},
          {"updatedReplicas", updated},
          {"readyReplicas", available},
          {"availableReplicas", available}};
}

json Pod(const std::string& name, json status) {
  return {{"metadata", {{"name", name}, {"namespace", "ml"}, {"labels", {{"app", "svc"}}}}},
          {"spec", {{"containers", {{{"name", "model"}, {"image", "reg/model:1"}}}}}},
          {"status", std::move(status)}};
}

json CrashLooping() {
  return {{"phase", "Running"},
          {"containerStatuses",
           {{{"name", "model"},
             {"state",
              {{"waiting",
                {{"reason", "CrashLoopBackOff"},
                 {"message", "back-off 40s restarting failed container=model"}}}}},
             {"lastState", {{"terminated", {{"exitCode", 3}, {"reason", "Error"}}}}}}}}};
}

json Unschedulable() {
  return {{"phase", "Pending"},
          {"conditions",
           {{{"type", "PodScheduled"},
             {"status", "False"},
             {"reason", "Unschedulable"},
             {"message", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}}}}};
}

TEST(ComputeAksKubeRolloutStatus, CompleteNeedsObservedGenerationAndAllReplicas) {
  json d = DeploymentObject(3);
  d["metadata"]["generation"] = 2;
  d["status"] = DeployStatus(2, 3, 3, 3);
  EXPECT_EQ(EvaluateRollout(d, json()).phase, RolloutPhase::kComplete);
  d["status"] = DeployStatus(1, 3, 3, 3);  // the controller has not seen generation 2 yet
  EXPECT_EQ(EvaluateRollout(d, json()).phase, RolloutPhase::kProgressing);
  d["status"] = DeployStatus(2, 4, 3, 3);  // an old pod still terminating
  EXPECT_EQ(EvaluateRollout(d, json()).phase, RolloutPhase::kProgressing);
  EXPECT_EQ(ProgressText(EvaluateRollout(d, json())),
            "3/3 updated, 3/3 available, 1 old pending termination");
  d["status"] = DeployStatus(2, 3, 3, 2);
  EXPECT_EQ(EvaluateRollout(d, json()).phase, RolloutPhase::kProgressing);
  d["status"]["conditions"] = {{{"type", "Progressing"},
                                {"status", "False"},
                                {"reason", "ProgressDeadlineExceeded"},
                                {"message", "ReplicaSet \"svc-1\" has timed out progressing."}}};
  auto failed = EvaluateRollout(d, json());
  EXPECT_EQ(failed.phase, RolloutPhase::kFailed);
  EXPECT_EQ(failed.reason, "ProgressDeadlineExceeded");
  // The same condition before the controller saw generation 3 is the
  // previous rollout's, not this one's (issue 21 item 6).
  d["metadata"]["generation"] = 3;
  EXPECT_EQ(EvaluateRollout(d, json()).phase, RolloutPhase::kProgressing);
  // Garbage does not crash and is not complete.
  EXPECT_EQ(EvaluateRollout(json("x"), json(7)).phase, RolloutPhase::kProgressing);
}

TEST(ComputeAksKubeRolloutStatus, PodProblemsMapToUnhealthyAndFailed) {
  json d = DeploymentObject(2);
  d["metadata"]["generation"] = 1;
  d["status"] = DeployStatus(1, 2, 2, 0);
  auto unhealthy = EvaluateRollout(d, {{"items", {Pod("svc-a", Unschedulable())}}});
  EXPECT_EQ(unhealthy.phase, RolloutPhase::kUnhealthy);
  EXPECT_EQ(unhealthy.reason, "Unschedulable");
  EXPECT_NE(unhealthy.message.find("pod svc-a cannot be scheduled: 0/3 nodes are available"),
            std::string::npos)
      << unhealthy.message;
  // A failing container outranks an unschedulable pod.
  auto failed = EvaluateRollout(
      d, {{"items", {Pod("svc-a", Unschedulable()), Pod("svc-b", CrashLooping())}}});
  EXPECT_EQ(failed.phase, RolloutPhase::kFailed);
  EXPECT_EQ(failed.reason, "CrashLoopBackOff");
  EXPECT_NE(failed.message.find("pod svc-b container model: CrashLoopBackOff: back-off 40s"),
            std::string::npos)
      << failed.message;
  EXPECT_NE(failed.message.find("last exit code 3"), std::string::npos) << failed.message;
  json pull = {{"phase", "Pending"},
               {"containerStatuses",
                {{{"name", "model"},
                  {"state",
                   {{"waiting",
                     {{"reason", "ImagePullBackOff"}, {"message", "Back-off pulling image"}}}}}}}}};
  EXPECT_EQ(EvaluateRollout(d, {{"items", {Pod("svc-c", pull)}}}).reason, "ImagePullBackOff");
  // A terminating pod's problems no longer count.
  json terminating = Pod("svc-d", CrashLooping());
  terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  EXPECT_EQ(EvaluateRollout(d, {{"items", {terminating}}}).phase, RolloutPhase::kProgressing);
}

class ComputeAksKubeRollout : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeClient(std::chrono::seconds(1));
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(
        client_
            ->Apply({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}})
            .ok());
    ASSERT_TRUE(client_->Apply(DeploymentObject(2)).ok());
  }

  std::unique_ptr<KubeClient> MakeClient(std::chrono::milliseconds watch_interval) {
    KubeClientOptions options;
    options.config.server = api_.url();
    options.config.token = FakeKubeApi::kToken;
    options.watch_interval = watch_interval;
    auto client = KubeClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  FakeKubeApi api_;
  std::unique_ptr<KubeClient> client_;
};

TEST_F(ComputeAksKubeRollout, WaitsThroughTheWatchUntilComplete) {
  std::vector<std::string> seen;
  std::thread controller([&] {
    // The "controller" moves the status on once the client is watching.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (api_.Count("GET", "watch=true") == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    api_.SetDeploymentStatus("ml", "svc", DeployStatus(1, 2, 2, 1));
    api_.SetDeploymentStatus("ml", "svc", DeployStatus(1, 2, 2, 2));
  });
  // A 20 s watch: only the Deployment's events can end the wait early.
  auto client = MakeClient(std::chrono::seconds(20));
  const auto start = std::chrono::steady_clock::now();
  auto result =
      client->WaitForRollout("ml", "svc", std::chrono::seconds(30),
                             [&](const RolloutStatus& s) { seen.push_back(ProgressText(s)); });
  controller.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->phase, RolloutPhase::kComplete);
  EXPECT_EQ(result->available, 2);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), "0/2 updated, 0/2 available (observed generation 0 of 1)");
  EXPECT_EQ(seen.back(), "2/2 updated, 2/2 available");
  // Woken by the watch events, not by the watch's timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GE(api_.Count("GET", "/apis/apps/v1/namespaces/ml/deployments?watch=true"), 1);
  EXPECT_GE(api_.Count("GET", "/api/v1/namespaces/ml/pods?labelSelector=app%3Dsvc"), 1);
}

TEST_F(ComputeAksKubeRollout, UnschedulablePodIsUnhealthy) {
  api_.SetDeploymentStatus("ml", "svc", DeployStatus(1, 2, 2, 0));
  api_.PutPod(Pod("svc-7d9-a", Unschedulable()));
  auto result = client_->WaitForRollout("ml", "svc", std::chrono::seconds(20));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->phase, RolloutPhase::kUnhealthy);
  EXPECT_NE(result->message.find("Insufficient nvidia.com/gpu"), std::string::npos)
      << result->message;
}

TEST_F(ComputeAksKubeRollout, CrashLoopBackOffAppearingDuringTheWaitIsFailed) {
  api_.SetDeploymentStatus("ml", "svc", DeployStatus(1, 2, 2, 0));
  std::thread kubelet([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (api_.Count("GET", "watch=true") == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    api_.PutPod(Pod("svc-7d9-b", CrashLooping()));
  });
  auto result = client_->WaitForRollout("ml", "svc", std::chrono::seconds(20));
  kubelet.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->phase, RolloutPhase::kFailed);
  EXPECT_EQ(result->reason, "CrashLoopBackOff");
  EXPECT_NE(result->message.find("pod svc-7d9-b container model"), std::string::npos)
      << result->message;
}

TEST_F(ComputeAksKubeRollout, TimesOutWithTheProgressReached) {
  api_.SetDeploymentStatus("ml", "svc", DeployStatus(1, 2, 1, 1));
  const auto start = std::chrono::steady_clock::now();
  auto result = client_->WaitForRollout("ml", "svc", std::chrono::milliseconds(1500));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(result.status().message().find("1/2 updated, 1/2 available"), std::string::npos)
      << result.status().message();
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(ComputeAksKubeRollout, PodLogsWithTailLines) {
  api_.PutPod(Pod("svc-a", {{"phase", "Running"}}), "one\ntwo\nthree");
  api_.PutPod(Pod("svc-b", {{"phase", "Running"}}), "uno\ndos");
  auto logs = client_->PodLogs("ml", "app=svc", 2);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ(*logs, "==> pod svc-a <==\ntwo\nthree\n==> pod svc-b <==\nuno\ndos\n");
  EXPECT_EQ(api_.Count("GET", "/api/v1/namespaces/ml/pods/svc-a/log?tailLines=2"), 1);
  auto none = client_->PodLogs("ml", "app=nothing", 10);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  auto bad_container = client_->PodLogs("ml", "app=svc", 2, "sidecar");
  EXPECT_EQ(bad_container.status().code(), StatusCode::kInvalidArgument)
      << bad_container.status().ToString();
}

TEST_F(ComputeAksKubeRollout, DeleteDeploymentWithForegroundPropagationRemovesItsPods) {
  api_.PutPod(Pod("svc-a", {{"phase", "Running"}}));
  ASSERT_TRUE(
      client_->Delete({"apps/v1", "Deployment", "ml", "svc"}, DeletePropagation::kForeground).ok());
  auto pods = client_->List("v1", "Pod", "ml", "app=svc");
  ASSERT_TRUE(pods.ok());
  EXPECT_TRUE(pods->empty());
  EXPECT_EQ(client_->CheckRollout("ml", "svc").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::compute_aks::kube
