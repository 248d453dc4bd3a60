// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 6 (docs/reliability.md "Issue 22: rollout on AKS end to
// end"): the progressive rollout controller against an aks target, through
// the real `skiff` CLI and the real detached `skiff endpoint rollout run`.
// The target is attached on the loopback FakeArm and talks to a
// FakeKubeApi; ClusterStandIn (aks_cluster_stand_in.h) runs what the cluster
// would run from the applied objects: real skiff-server version pods (v1
// the quickstart MLP, v2 a TorchScript model that fails when a row's first
// feature is above 5: make_flaky_model.cc) and real skiff-server routers
// started from the router server.json in the Secret, each a new pod name
// per rollout of the router Deployment. The controller reads each router
// pod's real /metrics through the fake API server's pod proxy, the test
// sends live traffic through the routers, and the assertions read the
// cluster (the Secret's router config, the routers rolled out) and the
// workspace. Real clock: short step intervals, every wait a poll with a
// deadline; the test decides when a step may pass by the requests it sends.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "aks_cluster_stand_in.h"
#include "cli_aks_harness.h"
#include "scoring_uri.h"
#include "skiff/rollout/rollout_event.h"
#include "skiff/rollout/rollout_state.h"
#include "skiff/store/workspace_store.h"

namespace skiff::testing {
namespace {

using json = nlohmann::json;

const char* kHealthy = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";
const char* kBreaksV2 = R"({"data": [[9.0, 0.2, 0.3, 0.4]]})";
const char* kScorePath = "/api/v1/service/shop/score";

// Polls `done` every 50 ms until it holds or `seconds` passed.
template <typename F>
bool WaitFor(F done, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class RolloutAksTest : public AksCliFixture {
 protected:
  void SetUp() override {
    AksCliFixture::SetUp();
    const std::string src = std::getenv("SKIFF_SOURCE_DIR");
    ic_ = src + "/examples/quickstart/inferenceconfig.json";
    ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", src + "/tests/fixtures/models/mlp.pt"})
                  .rc,
              0);
    const std::string flaky = Path("flaky.pt");
    ASSERT_EQ(std::system((std::string(SKIFF_MAKE_FLAKY_MODEL) + " " + flaky).c_str()), 0);
    ASSERT_EQ(Skiff({"model", "register", "-n", "flaky", "-p", flaky}).rc, 0);
    arm_.AddCluster("sub1", "rg1", "prod1");
    Result attached = AttachExisting("prodaks", "prod1");
    ASSERT_EQ(attached.rc, 0) << attached.err;
    UseCluster("prodaks", kube_);
    Spit(Path("dc.json"), R"({"computeType": "aks", "numReplicas": 1, "namespace": "ml"})");
    cluster_ = std::make_unique<ClusterStandIn>(kube_, "ml", "shop", Path("ws"), Path("pods"));
    Result created = Skiff({"endpoint", "create", "-n", "shop", "--ct", "prodaks",
                            "--version-name", "v1", "-m", "mlp:1", "--ic", ic_, "--dc",
                            Path("dc.json")});
    ASSERT_EQ(created.rc, 0) << created.err << cluster_->error();
    Result added = Skiff({"endpoint", "create-version", "-n", "shop", "--version-name", "v2", "-m",
                          "flaky:1", "--ic", ic_, "--traffic-percentile", "0"});
    ASSERT_EQ(added.rc, 0) << added.err << cluster_->error();
    key_ = Json({"endpoint", "get-keys", "-n", "shop", "-o", "json"})["primaryKey"];
    auto store = store::WorkspaceStore::Open(Path("ws"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    KillController();
    if (cluster_) {
      EXPECT_EQ(cluster_->error(), "");
      cluster_->Stop();
    }
    AksCliFixture::TearDown();
  }

  // The detached controller holding the lease, if any, is killed.
  void KillController() {
    if (!store_) return;
    auto record = store_->GetRollout("shop");
    if (!record.ok() || record->owner.empty()) return;
    const pid_t pid = PidOf(record->owner);
    if (pid > 0 && pid != ::getpid() && store::WorkspaceStore::OwnerMayBeRunning(record->owner)) {
      ::kill(pid, SIGKILL);
      WaitFor([&] { return !store::WorkspaceStore::OwnerMayBeRunning(record->owner); }, 30);
    }
  }
  static pid_t PidOf(const std::string& owner) {
    const size_t at = owner.find("pid=");
    return at == std::string::npos ? 0 : static_cast<pid_t>(std::atol(owner.c_str() + at + 4));
  }
  std::string Owner() {
    auto record = store_->GetRollout("shop");
    return record.ok() ? record->owner : "";
  }

  // `n` requests pinned to `version`, through the router pods in turn (as
  // the load balancer spreads them); each must answer `status`.
  void Send(const std::string& version, const char* body, int n, int status) {
    auto headers = Bearer(key_);
    headers["azureml-model-deployment"] = version;
    for (int i = 0; i < n; ++i) {
      const std::vector<uint16_t> ports = cluster_->RouterPorts();
      ASSERT_FALSE(ports.empty()) << cluster_->error();
      Reply reply = HttpClient(ports[static_cast<size_t>(i) % ports.size()])
                        .Post(kScorePath, body, headers);
      ASSERT_EQ(reply.status, status) << reply.body;
    }
  }
  // `version`'s share in the router's server.json the Secret holds now.
  int ClusterShare(const std::string& version) {
    auto secret = kube_.Object("/api/v1/namespaces/ml/secrets/shop-server");
    if (!secret) return -1;
    const json router =
        json::parse((*secret)["stringData"].value("server-router.json", ""), nullptr, false);
    for (const auto& v : router.value("versions", json::array())) {
      if (v.value("name", "") == version) return v.value("trafficPercentile", -1);
    }
    return -1;
  }
  // True once the router Deployment has a template the cluster has not
  // rolled out (generation ahead of status.observedGeneration): the
  // controller has sent the whole traffic change, not only the Secret.
  bool RouterRolloutPending() {
    auto router = kube_.Object("/apis/apps/v1/namespaces/ml/deployments/shop-router");
    if (!router) return false;
    const int64_t generation = (*router)["metadata"].value("generation", int64_t{0});
    const int64_t observed =
        router->value("status", json::object()).value("observedGeneration", int64_t{-1});
    return generation != observed;
  }
  int StoredShare(const std::string& version) {
    auto versions = store_->ListEndpointVersions("shop");
    if (!versions.ok()) return -1;
    for (const auto& v : *versions) {
      if (v.version_name == version) return v.traffic_percentile;
    }
    return -1;
  }
  RolloutState State() {
    auto record = store_->GetRollout("shop");
    if (!record.ok()) return {};
    auto state = ParseRolloutState(record->state_json);
    return state.ok() ? *state : RolloutState{};
  }
  std::vector<RolloutEvent> History() {
    std::vector<RolloutEvent> events;
    std::istringstream in(Slurp(Path("ws/rollouts/shop.jsonl")));
    for (std::string line; std::getline(in, line);) {
      auto e = ParseRolloutEventLine(line);
      EXPECT_TRUE(e.ok()) << line;
      if (e.ok()) events.push_back(*e);
    }
    return events;
  }
  Result Start(std::vector<std::string> extra) {
    std::vector<std::string> args = {"endpoint", "rollout", "start", "-n", "shop",
                                     "--version-name", "v2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Skiff(args);
  }
  std::string ControllerLog() { return Slurp(Path("ws/rollouts/shop.controller.log")); }
  // Requests that change the cluster (reads are GET, watches included).
  int Writes() {
    int n = 0;
    for (const auto& r : kube_.requests()) n += r.method != "GET" ? 1 : 0;
    return n;
  }

  FakeKubeApi kube_;
  std::unique_ptr<ClusterStandIn> cluster_;  // before kube_ goes (TearDown)
  std::unique_ptr<store::WorkspaceStore> store_;
  std::string ic_, key_;
};

// Item 1: the candidate passes 25 %, then fails half-way: at 50 % it answers
// 502 to live traffic, the router pods count it, the controller reads that
// through the pod proxy and rolls the cluster back to the starting split.
TEST_F(RolloutAksTest, ACandidateThatStartsFailingHalfWayIsRolledBackInTheCluster) {
  Result started = Start({"--steps", "25,50,100", "--step-interval", "1s", "--max-error-rate",
                          "0.05", "--min-requests", "10", "-o", "json"});
  ASSERT_EQ(started.rc, 0) << started.err << cluster_->error();
  EXPECT_EQ(json::parse(started.out)["status"], "Running");
  EXPECT_EQ(ClusterShare("v2"), 25) << "the first step is applied to the cluster by start";

  Send("v2", kHealthy, 10, 200);  // step 1 holds its requests, then the interval passes
  ASSERT_TRUE(WaitFor([&] { return State().progress.step == 1; }, 90))
      << ControllerLog() << cluster_->error();
  EXPECT_EQ(ClusterShare("v2"), 50);
  EXPECT_EQ(StoredShare("v2"), 50);

  // Half-way: only failing requests reach v2 at 50 % (none healthy, so the
  // step cannot pass before the gate sees them).
  Send("v2", kBreaksV2, 10, 502);
  ASSERT_TRUE(WaitFor([&] { return State().status == RolloutStatus::kFailed; }, 90))
      << ControllerLog() << cluster_->error();
  EXPECT_TRUE(WaitFor([&] { return !State().rollback_pending; }, 30));
  EXPECT_EQ(ClusterShare("v2"), 0) << "back to the split the rollout started from";
  EXPECT_EQ(StoredShare("v2"), 0);
  // What the cluster ran, router rollout by router rollout: v2 added at 0,
  // then each step, then the roll back.
  const std::vector<int> shares = cluster_->SharesRolledOut("v2");
  ASSERT_GE(shares.size(), 4u);
  EXPECT_EQ(std::vector<int>(shares.end() - 4, shares.end()), (std::vector<int>{0, 25, 50, 0}));
  Send("v1", kBreaksV2, 2, 200);  // production still answers (v1 takes every input)
  // The controller records the history line, then gives the lease up and exits.
  ASSERT_TRUE(WaitFor([&] { return Owner().empty(); }, 30)) << ControllerLog();

  Result status = Skiff({"endpoint", "rollout", "status", "-n", "shop", "-o", "json"});
  ASSERT_EQ(status.rc, 0) << status.err;
  const json j = json::parse(status.out);
  EXPECT_EQ(j["status"], "Failed");
  EXPECT_EQ(j["gate"], "errorRate");
  EXPECT_DOUBLE_EQ(j["observed"].get<double>(), 1.0) << "10 of 10 requests at 50 % failed";
  EXPECT_DOUBLE_EQ(j["limit"].get<double>(), 0.05);
  EXPECT_EQ(j["trafficPercentile"], 0);
  EXPECT_FALSE(j.value("finishedTime", "").empty()) << j;
  EXPECT_EQ(j["controllerRunning"], false) << "the controller ends with the rollout";

  const auto events = History();
  ASSERT_EQ(events.size(), 3u) << Slurp(Path("ws/rollouts/shop.jsonl"));
  EXPECT_EQ(events[0].kind, RolloutEventKind::kStarted);
  EXPECT_EQ(events[0].traffic_percentile, 25);
  EXPECT_EQ(events[1].kind, RolloutEventKind::kStepped);
  EXPECT_EQ(events[1].traffic_percentile, 50);
  EXPECT_EQ(events[2].kind, RolloutEventKind::kFailed);
  EXPECT_EQ(events[2].gate, "errorRate");
  EXPECT_EQ(events[2].traffic_percentile, 0);
  EXPECT_EQ(events[2].requests, 10);
}

// Item 2: a healthy candidate climbs every step; the cluster's router
// config ends at 100 % and the rollout Succeeds.
TEST_F(RolloutAksTest, AHealthyCandidateReaches100PercentInTheCluster) {
  const int version_pods = cluster_->VersionPodStarts();
  Result started = Start({"--steps", "25,50,100", "--step-interval", "1s", "--min-requests", "6"});
  ASSERT_EQ(started.rc, 0) << started.err << cluster_->error();
  for (int step = 1; step <= 3; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    Send("v2", kHealthy, 6, 200);
    ASSERT_TRUE(WaitFor(
        [&] {
          const RolloutState s = State();
          return s.progress.step >= step || s.status != RolloutStatus::kRunning;
        },
        90))
        << ControllerLog() << cluster_->error();
  }
  EXPECT_EQ(State().status, RolloutStatus::kSucceeded) << ControllerLog();
  ASSERT_TRUE(WaitFor([&] { return Owner().empty(); }, 30)) << ControllerLog();
  EXPECT_EQ(ClusterShare("v2"), 100);
  EXPECT_EQ(StoredShare("v2"), 100);
  const std::vector<int> shares = cluster_->SharesRolledOut("v2");
  ASSERT_GE(shares.size(), 3u);
  EXPECT_EQ(std::vector<int>(shares.end() - 3, shares.end()), (std::vector<int>{25, 50, 100}));
  // A traffic change rolls the routers only: the versions' pods (the
  // candidate's included, whose latency the next step measures) keep running.
  EXPECT_EQ(cluster_->VersionPodStarts(), version_pods) << "no version pod restarted by a step";
  const auto events = History();
  ASSERT_EQ(events.size(), 4u) << Slurp(Path("ws/rollouts/shop.jsonl"));
  EXPECT_EQ(events.back().kind, RolloutEventKind::kSucceeded);
  Send("v2", kHealthy, 2, 200);
}

// Item 3: while the detached controller runs, a second one is refused; it
// is killed (-9) while the cluster rolls its next step out (the Secret says
// 50 %, the step is not recorded yet); the controller `rollout status`
// starts again records the step the cluster has and never applies a step
// twice or skips one.
TEST_F(RolloutAksTest, AKilledControllerResumesTheStepTheClusterHasAndASecondIsRefused) {
  Result started = Start({"--steps", "25,50,100", "--step-interval", "1s", "--min-requests", "6"});
  ASSERT_EQ(started.rc, 0) << started.err << cluster_->error();
  ASSERT_TRUE(WaitFor([&] { return !Owner().empty(); }, 30)) << ControllerLog();
  const std::string first = Owner();
  const pid_t pid = PidOf(first);
  ASSERT_GT(pid, 0) << first;

  Result second = Skiff({"endpoint", "rollout", "run", "-n", "shop"});
  EXPECT_NE(second.rc, 0);
  EXPECT_NE(second.err.find("driven by another controller (pid " + std::to_string(pid)),
            std::string::npos)
      << second.err;
  Result again = Start({"--steps", "60,100"});
  EXPECT_NE(again.rc, 0);
  EXPECT_NE(again.err.find("already has a rollout Running (controller pid " + std::to_string(pid) +
                           ")"),
            std::string::npos)
      << again.err;

  // The cluster takes the next step's objects but does not finish rolling
  // them out, so the controller is inside its traffic change when it dies.
  cluster_->Hold(true);
  Send("v2", kHealthy, 6, 200);
  // Both the Secret and the router Deployment: a kill between the two (a
  // loaded machine widens that window) leaves nothing for the cluster to
  // roll out, and the wait below would time out.
  ASSERT_TRUE(WaitFor([&] { return ClusterShare("v2") == 50 && RouterRolloutPending(); }, 90))
      << ControllerLog() << cluster_->error();
  EXPECT_EQ(State().progress.step, 0) << "not recorded before the cluster applied it";
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !store::WorkspaceStore::OwnerMayBeRunning(first); }, 30));
  // The cluster finishes rolling the dead controller's change out: the
  // routers serve 50 % (new pods, counting from zero) while the store still
  // says 25 % and step 1.
  cluster_->Hold(false);
  ASSERT_TRUE(WaitFor([&] { return cluster_->SharesRolledOut("v2").back() == 50; }, 60))
      << cluster_->error();
  EXPECT_EQ(StoredShare("v2"), 25);

  // `rollout status` notices the dead holder and starts a new controller.
  Result status = Skiff({"endpoint", "rollout", "status", "-n", "shop", "-o", "json"});
  ASSERT_EQ(status.rc, 0) << status.err;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string o = Owner();
        return !o.empty() && o != first;
      },
      60))
      << ControllerLog();
  // It records the step the cluster has (before, it went on measuring step
  // 1 on routers that serve 50 %, and held there for --min-requests more).
  ASSERT_TRUE(WaitFor([&] { return State().progress.step == 1; }, 60))
      << ControllerLog() << cluster_->error();
  EXPECT_EQ(ClusterShare("v2"), 50) << "the step the cluster has, not the one after it";
  EXPECT_EQ(StoredShare("v2"), 50);
  EXPECT_EQ(State().status, RolloutStatus::kRunning);
  const std::vector<int> shares = cluster_->SharesRolledOut("v2");
  ASSERT_GE(shares.size(), 2u);
  EXPECT_EQ(shares.back(), 50) << "no double step";
  // One step line (a "held" line may come before it, when the interval
  // passed before the test's requests did), recorded by the new controller.
  std::vector<RolloutEvent> stepped;
  for (const auto& e : History()) {
    if (e.kind == RolloutEventKind::kStepped) stepped.push_back(e);
  }
  ASSERT_EQ(stepped.size(), 1u) << Slurp(Path("ws/rollouts/shop.jsonl"));
  EXPECT_EQ(stepped[0].traffic_percentile, 50);
  EXPECT_EQ(stepped[0].reason, "recorded after a controller restart");

  Result aborted = Skiff({"endpoint", "rollout", "abort", "-n", "shop"});
  ASSERT_EQ(aborted.rc, 0) << aborted.err;
  EXPECT_EQ(ClusterShare("v2"), 0);
}

// Item 4: a router pod replaced mid-step (a new name whose counters start
// at zero; the old pod's count goes with it) neither fails nor stalls the
// rollout: each router pod is windowed on its own.
TEST_F(RolloutAksTest, ARouterPodReplacedMidStepNeitherFailsNorStallsTheRollout) {
  Result started = Start({"--steps", "25,100", "--step-interval", "1s", "--min-requests", "8"});
  ASSERT_EQ(started.rc, 0) << started.err << cluster_->error();
  Send("v2", kHealthy, 4, 200);
  const std::vector<std::string> before = cluster_->RouterPods();
  ASSERT_EQ(cluster_->ReplaceRouterPod(0), "");
  const std::vector<std::string> after = cluster_->RouterPods();
  ASSERT_EQ(after.size(), before.size());
  EXPECT_NE(after[0], before[0]) << "a new pod name";
  // Traffic goes on through the new pod (and the others); the step passes.
  ASSERT_TRUE(WaitFor(
      [&] {
        Send("v2", kHealthy, 2, 200);
        return State().status != RolloutStatus::kRunning;
      },
      90))
      << ControllerLog() << cluster_->error();
  EXPECT_EQ(State().status, RolloutStatus::kSucceeded) << ControllerLog();
  ASSERT_TRUE(WaitFor([&] { return Owner().empty(); }, 30)) << ControllerLog();
  EXPECT_EQ(ClusterShare("v2"), 100);
  for (const auto& e : History()) EXPECT_NE(e.kind, RolloutEventKind::kFailed) << e.reason;
}

// Item 5: --dry-run prints the plan and sends nothing that changes the
// cluster (no write request at all), nor records a rollout.
TEST_F(RolloutAksTest, ADryRunPrintsThePlanAndWritesNothingToTheCluster) {
  const int writes = Writes();
  const auto secret = kube_.Object("/api/v1/namespaces/ml/secrets/shop-server");
  Result dry = Start({"--steps", "25,50,100", "--max-p99-ms", "50", "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_NE(dry.out.find("step 2: v2 50 %, v1 (default) 50 %"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("on a breach: v2 back to 0 %, v1 (default) 100 %"), std::string::npos)
      << dry.out;
  EXPECT_EQ(Writes(), writes) << "a dry run writes nothing to the cluster";
  EXPECT_TRUE(kube_.Object("/api/v1/namespaces/ml/secrets/shop-server") == secret);
  EXPECT_EQ(ClusterShare("v2"), 0);
  EXPECT_EQ(store_->GetRollout("shop").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::testing
