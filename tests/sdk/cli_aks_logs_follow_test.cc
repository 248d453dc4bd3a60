// SPDX-License-Identifier: Apache-2.0
// Issue 23 item 3: `skiff service get-logs --follow` on an AKS service,
// through the real CLI (a subprocess) against FakeKubeApi behind the
// attached target's kubeconfig (cli_aks_harness.h). It used to be refused
// ("this compute target cannot follow the logs"); now it prints the tail of
// the router and version pods, then the lines written later, picks up a pod
// a rollout adds, carries on past a deleted one, and ends on Ctrl-C (SIGINT)
// with exit status 0. No token in its output or its --debug lines. Every
// wait polls the output against a deadline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "cli_aks_harness.h"
#include "cli_subprocess.h"

namespace skiff::testing {
namespace {

class AksLogsFollowCli : public AksCliFixture, public CliSubprocess {
 protected:
  void TearDown() override {
    StopSubprocess();
    AksCliFixture::TearDown();
  }

  // Starts `skiff -w WS args` with stdout on a pipe this test reads and
  // stderr in the file `follow.err`; as the harness's env_prefix_, no
  // LeakSanitizer in the CLI process.
  void Spawn(const std::vector<std::string>& args) {
    std::vector<std::string> all = {SkiffBinary(), "-w", Path("ws")};
    all.insert(all.end(), args.begin(), args.end());
    SpawnReading(all, Path("follow.err"), {"ASAN_OPTIONS=detect_leaks=0"});
  }
};

TEST_F(AksLogsFollowCli, FollowsRouterAndVersionPodsAcrossARolloutUntilCtrlC) {
  FakeKubeApi kube;
  kube.SetAutoRollout(true);
  arm_.AddCluster("sub1", "rg1", "prod1");
  ASSERT_EQ(AttachExisting("prodaks", "prod1").rc, 0);
  UseCluster("prodaks", kube);
  RegisterMlp(R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");
  LoadBalancerStandIn cloud(kube, "/api/v1/namespaces/ml/services/svc", "20.0.0.7");
  auto deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "--ct", "prodaks", "--ic",
                         Path("ic.json"), "--dc", Path("dc.json")});
  cloud.Stop();
  ASSERT_EQ(deployed.rc, 0) << deployed.err;

  kube.PutPod(RunningPodOf(kube, "svc-router", "svc-router-a"),
              "{\"status\":401,\"requestId\":\"old\"}\n{\"status\":200,\"requestId\":\"r-0\"}\n");
  kube.PutPod(RunningPodOf(kube, "svc-model", "svc-model-a"), "skiff-server: ready in 812 ms\n");

  Spawn({"--debug", "service", "get-logs", "-n", "svc", "--follow", "--tail", "1"});
  ASSERT_TRUE(ReadUntil("[pod/svc-router-a/router] {\"status\":200,\"requestId\":\"r-0\"}\n"))
      << read_;
  ASSERT_TRUE(ReadUntil("[pod/svc-model-a/skiff-server] skiff-server: ready in 812 ms\n")) << read_;
  EXPECT_EQ(read_.find("\"old\""), std::string::npos) << "--tail 1 of each pod";

  // Lines written after the follow started, to each pod.
  kube.AppendPodLog("ml", "svc-router-a", "{\"status\":200,\"requestId\":\"r-1\"}\n");
  kube.AppendPodLog("ml", "svc-model-a", "scored r-1\n");
  ASSERT_TRUE(ReadUntil("[pod/svc-router-a/router] {\"status\":200,\"requestId\":\"r-1\"}\n"))
      << read_;
  ASSERT_TRUE(ReadUntil("[pod/svc-model-a/skiff-server] scored r-1\n")) << read_;

  // A rollout replaces the version pod: the new one is read from its start,
  // the deleted one does not end the follow.
  kube.PutPod(RunningPodOf(kube, "svc-model", "svc-model-b"), "skiff-server: ready in 640 ms\n");
  ASSERT_TRUE(ReadUntil("[pod/svc-model-b/skiff-server] skiff-server: ready in 640 ms\n")) << read_;
  ASSERT_TRUE(kube.DeletePod("ml", "svc-model-a"));
  kube.AppendPodLog("ml", "svc-model-b", "scored r-2\n");
  kube.AppendPodLog("ml", "svc-router-a", "{\"status\":200,\"requestId\":\"r-2\"}\n");
  ASSERT_TRUE(ReadUntil("[pod/svc-model-b/skiff-server] scored r-2\n")) << read_;
  ASSERT_TRUE(ReadUntil("[pod/svc-router-a/router] {\"status\":200,\"requestId\":\"r-2\"}\n"))
      << read_;

  int status = 0;
  ASSERT_EQ(::waitpid(pid_, &status, WNOHANG), 0) << "still following";
  // Ctrl-C ends it with status 0 within a few ticks (polled, 10 s at most).
  ::kill(pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  pid_t done = 0;
  while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    ::poll(nullptr, 0, 20);
  }
  ASSERT_EQ(done, pid_) << "get-logs --follow did not end on SIGINT";
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  const std::string err = Slurp(Path("follow.err"));
  EXPECT_NE(err.find("DEBUG: following pod/svc-model-b/skiff-server"), std::string::npos) << err;
  EXPECT_EQ(err.find(FakeKubeApi::kToken), std::string::npos) << "no token in --debug lines";
  EXPECT_EQ(read_.find(FakeKubeApi::kToken), std::string::npos);
  EXPECT_EQ(err.find("cannot follow"), std::string::npos) << err;
}

}  // namespace
}  // namespace skiff::testing
