// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 1 (docs/reliability.md "Issue 22: progressive delivery"):
// progressive delivery with automatic rollback on the local target. Two real
// versions behind one skiff-server: v1 (the quickstart MLP, the default) and
// v2, a TorchScript model that fails when a row's first feature is above 5
// (make_flaky_model.cc), so the test turns the candidate's failure on
// half-way by what it sends. The measurements are the server's own
// /metrics; time is a fake clock where the controller runs in this process,
// and the real clock (short intervals, polled with deadlines) where the
// detached `skiff endpoint rollout run` runs it.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"
#include "skiff/rollout/rollout_event.h"
#include "skiff/sdk/webservice.h"

namespace {

using json = nlohmann::json;
using skiff::RolloutEventKind;
using skiff::RolloutStatus;
using skiff::testing::Bearer;
using skiff::testing::HttpClient;
using skiff::testing::ParseUri;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Uri;

const char* kHealthy = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";
const char* kBreaksV2 = R"({"data": [[9.0, 0.2, 0.3, 0.4]]})";

class FakeClock final : public skiff::sdk::Clock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t NowMs() const override { return now_; }
  void SleepForMs(int64_t ms) override { now_ += ms; }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  int64_t now_;
};

int64_t RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RolloutTest : public skiff::testing::LocalWorkflowFixture {
 protected:
  void SetUp() override {
    // Where `--policy strict` is found (before the SDK discovers plugins).
    ::setenv("SKIFF_PLUGIN_PATH", SKIFF_FAKE_ROLLOUT_DIR, 1);
    LocalWorkflowFixture::SetUp();
    if (HasFatalFailure()) return;
    const std::string flaky = Path("flaky.pt");
    ASSERT_EQ(std::system((std::string(SKIFF_MAKE_FLAKY_MODEL) + " " + flaky).c_str()), 0);
    ASSERT_EQ(Skiff({"model", "register", "-n", "flaky", "-p", flaky}).rc, 0);
    Result created = Skiff({"endpoint", "create", "-n", "shop", "-ct", "local", "--version-name",
                            "v1", "-m", "mlp:1", "-ic", ic_});
    ASSERT_EQ(created.rc, 0) << created.err;
    Result added = Skiff({"endpoint", "create-version", "-n", "shop", "--version-name", "v2", "-m",
                          "flaky:1", "-ic", ic_, "--traffic-percentile", "0"});
    ASSERT_EQ(added.rc, 0) << added.err;
    key_ = Json({"endpoint", "get-keys", "-n", "shop", "-o", "json"})["primaryKey"];
    uri_ = ParseUri(Json({"endpoint", "show", "-n", "shop", "-o", "json"})["scoringUri"]);
    auto ws = skiff::sdk::Workspace::Open(Path("ws"));
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::make_unique<skiff::sdk::Workspace>(std::move(ws).value());
  }
  void TearDown() override {
    if (controller_ > 0) {
      ::kill(controller_, SIGKILL);
      ::waitpid(controller_, nullptr, 0);
    }
    LocalWorkflowFixture::TearDown();
  }

  skiff::sdk::AksEndpoint Endpoint() {
    auto ep = skiff::sdk::AksEndpoint::get(*ws_, "shop");
    EXPECT_TRUE(ep.ok()) << ep.status().ToString();
    return std::move(ep).value();
  }
  // `n` requests pinned to `version` (so the test needs few of them); each
  // answers `status`.
  void Send(const std::string& version, const char* body, int n, int status) {
    HttpClient c(uri_.port);
    auto headers = Bearer(key_);
    headers["azureml-model-deployment"] = version;
    for (int i = 0; i < n; ++i) {
      auto reply = c.Post(uri_.path, body, headers);
      ASSERT_EQ(reply.status, status) << reply.body;
    }
  }
  int Traffic(const std::string& version) {
    const auto versions = ws_->store().ListEndpointVersions("shop");
    for (const auto& v : *versions) {
      if (v.version_name == version) return v.traffic_percentile;
    }
    return -1;
  }
  skiff::RolloutState State() {
    auto info = Endpoint().rollout_status(false);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info->state;
  }
  std::vector<skiff::RolloutEvent> History() {
    std::vector<skiff::RolloutEvent> events;
    std::istringstream in(Slurp(Path("ws/rollouts/shop.jsonl")));
    for (std::string line; std::getline(in, line);) {
      auto e = skiff::ParseRolloutEventLine(line);
      EXPECT_TRUE(e.ok()) << line;
      if (e.ok()) events.push_back(*e);
    }
    return events;
  }
  skiff::sdk::RolloutOptions Options(std::vector<int32_t> steps) {
    skiff::sdk::RolloutOptions o;
    o.version_name = "v2";
    o.steps = std::move(steps);
    o.step_interval = std::chrono::seconds(60);
    o.max_error_rate = 0.05;
    o.max_p99_ms = 5000;  // a loaded test machine must not breach it
    o.min_requests = 20;
    return o;
  }
  // Starts `skiff endpoint rollout run -n shop` (the controller process).
  pid_t RunController() {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::string skiff = skiff::testing::SkiffBinary();
      const std::string ws = Path("ws");
      ::execl(skiff.c_str(), skiff.c_str(), "-w", ws.c_str(), "endpoint", "rollout", "run", "-n",
              "shop", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }
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

  std::unique_ptr<skiff::sdk::Workspace> ws_;
  std::string key_;
  Uri uri_;
  pid_t controller_ = 0;
};

// The candidate passes its first step, then starts failing half-way through
// the second: the controller rolls it back at once to where it started and
// marks the rollout Failed with the gate, the figures and the time.
TEST_F(RolloutTest, ACandidateThatStartsFailingHalfWayIsRolledBack) {
  skiff::sdk::AksEndpoint ep = Endpoint();
  auto started = ep.rollout_start(Options({10, 50, 100}), /*spawn_controller=*/false);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(Traffic("v2"), 10) << "the first step is applied by start";
  FakeClock clock(RealNowMs());
  skiff::sdk::RolloutControllerOptions o;
  o.clock = &clock;

  Send("v2", kHealthy, 25, 200);
  auto active = ep.rollout_tick(o);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_TRUE(*active);
  EXPECT_EQ(State().progress.step, 0) << "the step holds until its interval has passed";
  clock.Advance(61000);
  ASSERT_TRUE(ep.rollout_tick(o).ok());
  EXPECT_EQ(State().progress.step, 1);
  EXPECT_EQ(Traffic("v2"), 50);

  Send("v2", kHealthy, 5, 200);
  Send("v2", kBreaksV2, 20, 502);  // half-way through step 2 it fails
  clock.Advance(10000);
  active = ep.rollout_tick(o);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_FALSE(*active) << "a breach ends the rollout before the interval is over";
  EXPECT_EQ(Traffic("v2"), 0) << "back to the traffic it had when the rollout started";
  const skiff::RolloutState s = State();
  EXPECT_EQ(s.status, RolloutStatus::kFailed);
  EXPECT_EQ(s.gate, "errorRate");
  ASSERT_TRUE(s.observed && s.limit);
  EXPECT_NEAR(*s.observed, 20.0 / 25.0, 1e-9);
  EXPECT_DOUBLE_EQ(*s.limit, 0.05);
  EXPECT_FALSE(s.finished_time.empty());
  EXPECT_FALSE(s.rollback_pending);
  Send("v1", kBreaksV2, 1, 200);  // production still answers

  const auto events = History();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, RolloutEventKind::kStarted);
  EXPECT_EQ(events[1].kind, RolloutEventKind::kStepped);
  EXPECT_EQ(events[1].traffic_percentile, 50);
  EXPECT_EQ(events[2].kind, RolloutEventKind::kFailed);
  EXPECT_EQ(events[2].gate, "errorRate");
  EXPECT_EQ(events[2].traffic_percentile, 0);
  EXPECT_EQ(events[2].requests, 25);

  Result status = Skiff({"endpoint", "rollout", "status", "-n", "shop", "-o", "json"});
  ASSERT_EQ(status.rc, 0) << status.err;
  json j = json::parse(status.out);
  EXPECT_EQ(j["status"], "Failed");
  EXPECT_EQ(j["gate"], "errorRate");
  EXPECT_EQ(j["trafficPercentile"], 0);
}

// A healthy candidate climbs every step to 100 % and the rollout Succeeds.
TEST_F(RolloutTest, AHealthyCandidateReachesTheLastStepAndSucceeds) {
  skiff::sdk::AksEndpoint ep = Endpoint();
  ASSERT_TRUE(ep.rollout_start(Options({10, 50, 100}), false).ok());
  FakeClock clock(RealNowMs());
  skiff::sdk::RolloutControllerOptions o;
  o.clock = &clock;
  const std::vector<int> expected = {50, 100, 100};
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1));
    Send("v2", kHealthy, 20, 200);
    clock.Advance(60000);
    auto active = ep.rollout_tick(o);
    ASSERT_TRUE(active.ok()) << active.status().ToString();
    EXPECT_EQ(*active, i + 1 < expected.size());
    EXPECT_EQ(Traffic("v2"), expected[i]);
  }
  EXPECT_EQ(State().status, RolloutStatus::kSucceeded);
  const auto events = History();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.back().kind, RolloutEventKind::kSucceeded);
}

// Too few requests hold the step (recorded once), never pass it.
TEST_F(RolloutTest, TooFewRequestsHoldTheStep) {
  skiff::sdk::AksEndpoint ep = Endpoint();
  ASSERT_TRUE(ep.rollout_start(Options({10, 100}), false).ok());
  FakeClock clock(RealNowMs());
  skiff::sdk::RolloutControllerOptions o;
  o.clock = &clock;
  Send("v2", kHealthy, 5, 200);
  clock.Advance(120000);
  ASSERT_TRUE(ep.rollout_tick(o).ok());
  ASSERT_TRUE(ep.rollout_tick(o).ok());
  EXPECT_EQ(State().progress.step, 0);
  EXPECT_EQ(Traffic("v2"), 10);
  const auto events = History();
  ASSERT_EQ(events.size(), 2u) << "one held line, not one per poll";
  EXPECT_EQ(events[1].kind, RolloutEventKind::kHeld);
  EXPECT_EQ(events[1].gate, "minRequests");
}

// kill -9 of the controller mid-rollout: a new one resumes the same step
// (no double step), also when the dead one had applied the next step's
// traffic but not recorded it; while one runs a second is refused.
TEST_F(RolloutTest, AKilledControllerIsResumedOnTheSameStepAndASecondOneIsRefused) {
  skiff::sdk::AksEndpoint ep = Endpoint();
  skiff::sdk::RolloutOptions opts = Options({10, 50, 100});
  opts.min_requests = 1000000;  // the real-time controller must hold, never step
  opts.step_interval = std::chrono::seconds(1);
  ASSERT_TRUE(ep.rollout_start(opts, false).ok());
  controller_ = RunController();
  ASSERT_TRUE(WaitFor([&] { return !ws_->store().GetRollout("shop")->owner.empty(); }, 30))
      << Slurp(Path("ws/rollouts/shop.controller.log"));
  const std::string owner = ws_->store().GetRollout("shop")->owner;
  EXPECT_NE(owner.find("pid=" + std::to_string(controller_)), std::string::npos) << owner;

  // A second controller is refused, naming the holder.
  FakeClock clock(RealNowMs());
  skiff::sdk::RolloutControllerOptions o;
  o.clock = &clock;
  auto second = ep.rollout_tick(o);
  EXPECT_EQ(second.status().code(), skiff::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("driven by another controller (pid " +
                                           std::to_string(controller_)),
            std::string::npos)
      << second.status().message();
  Result again = Skiff(
      {"endpoint", "rollout", "start", "-n", "shop", "--version-name", "v2", "--steps", "60,100"});
  EXPECT_NE(again.rc, 0);
  EXPECT_NE(again.err.find("already has a rollout Running (controller pid " +
                           std::to_string(controller_) + ")"),
            std::string::npos)
      << again.err;

  ::kill(controller_, SIGKILL);
  ::waitpid(controller_, nullptr, 0);
  controller_ = 0;
  EXPECT_EQ(State().progress.step, 0);
  EXPECT_EQ(Traffic("v2"), 10);

  // The dead controller had applied step 2's traffic and not recorded it:
  // the next one records step 2 and does not apply it again.
  skiff::sdk::EndpointVersion v2;
  v2.name = "v2";
  v2.traffic_percentile = 50;
  ASSERT_TRUE(ep.update_version(v2).ok());
  auto active = ep.rollout_tick(o);
  ASSERT_TRUE(active.ok()) << active.status().ToString() << " (the dead one's lease is taken over)";
  EXPECT_TRUE(*active);
  EXPECT_EQ(State().progress.step, 1);
  EXPECT_EQ(Traffic("v2"), 50) << "not 100: no double step";
  ASSERT_TRUE(ep.rollout_tick(o).ok());
  EXPECT_EQ(State().progress.step, 1);
  EXPECT_EQ(History().back().reason, "recorded after a controller restart");

  // `rollout status` revives a controller whose holder is gone: a new
  // detached `rollout run` takes the lease and keeps the same step.
  ASSERT_TRUE(
      ws_->store().ReleaseRolloutLease("shop", skiff::store::WorkspaceStore::CurrentOwner()).ok());
  Result status = Skiff({"endpoint", "rollout", "status", "-n", "shop", "-o", "json"});
  ASSERT_EQ(status.rc, 0) << status.err;
  EXPECT_EQ(json::parse(status.out)["step"], 2) << "steps are shown from 1";
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string o = ws_->store().GetRollout("shop")->owner;
        return !o.empty() && o != skiff::store::WorkspaceStore::CurrentOwner();
      },
      30))
      << Slurp(Path("ws/rollouts/shop.controller.log"));
  EXPECT_EQ(State().progress.step, 1);
  EXPECT_EQ(Traffic("v2"), 50);
  // Aborting ends it (the revived controller sees it and exits).
  Result aborted = Skiff({"endpoint", "rollout", "abort", "-n", "shop"});
  ASSERT_EQ(aborted.rc, 0) << aborted.err;
  EXPECT_EQ(Traffic("v2"), 0);
  EXPECT_TRUE(WaitFor([&] { return ws_->store().GetRollout("shop")->owner.empty(); }, 30))
      << "the revived controller gave the lease up when the rollout ended";
}

// The policy is chosen by name through the rollout plugin kind: the
// `strict` test plugin rolls back on one error the built-in policy allows.
TEST_F(RolloutTest, APolicyIsChosenByNameThroughTheRolloutPluginKind) {
  skiff::sdk::AksEndpoint ep = Endpoint();
  skiff::sdk::RolloutOptions opts = Options({10, 100});
  opts.policy = "strict";
  ASSERT_TRUE(ep.rollout_start(opts, false).ok());
  FakeClock clock(RealNowMs());
  skiff::sdk::RolloutControllerOptions o;
  o.clock = &clock;
  Send("v2", kHealthy, 30, 200);
  Send("v2", kBreaksV2, 1, 502);  // 1 in 31: under the 5 % limit
  auto active = ep.rollout_tick(o);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_FALSE(*active);
  EXPECT_EQ(State().status, RolloutStatus::kFailed);
  EXPECT_EQ(State().gate, "strict");
  EXPECT_EQ(State().policy, "strict");
  EXPECT_EQ(Traffic("v2"), 0);
}

// Through the CLI: flags that make no plan are refused naming the flag and
// the fix, --dry-run prints the plan and its traffic changes, and a real
// rollout started by `rollout start` (the detached controller, real time)
// reaches Succeeded; `rollout abort` of a running one puts traffic back.
TEST_F(RolloutTest, CliRefusesBadPlansShowsADryRunAndRunsTheDetachedController) {
  auto start = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"endpoint", "rollout", "start", "-n", "shop"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Skiff(args);
  };
  ExpectOneLineError(start({"--version-name", "v2", "--steps", "5,50,25"}),
                     "--steps: step 3 (25) is not above the step before it (50)");
  ExpectOneLineError(start({"--version-name", "v2", "--steps", "5,150"}), "--steps: step 2 is 150");
  ExpectOneLineError(start({"--version-name", "v2", "--steps", "5,x"}), "--steps: 'x'");
  ExpectOneLineError(start({"--version-name", "v2", "--steps", "5,100", "--step-interval", "1y"}),
                     "--step-interval: '1y' is not a duration");
  ExpectOneLineError(start({"--version-name", "v9", "--steps", "5,100"}),
                     "--version-name: endpoint 'shop' has no version 'v9' (it has v1, v2)");
  ExpectOneLineError(start({"--version-name", "v1", "--steps", "5,100"}),
                     "is the endpoint's default version");
  ExpectOneLineError(start({"--version-name", "v2", "--steps", "5,100", "--compare-to-control"}),
                     "--compare-to-control: the endpoint has no control version");
  ExpectOneLineError(start({"--version-name", "v2", "--steps", "5,100", "--policy", "nope"}),
                     "--policy 'nope'");

  Result dry =
      start({"--version-name", "v2", "--steps", "5,25,100", "--max-p99-ms", "50", "--dry-run"});
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_NE(dry.out.find("step 2: v2 25 %, v1 (default) 75 %"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("on a breach: v2 back to 0 %, v1 (default) 100 %"), std::string::npos);
  EXPECT_NE(dry.out.find("p99 <= 50 ms"), std::string::npos);
  EXPECT_EQ(Traffic("v2"), 0) << "a dry run changes nothing";
  EXPECT_EQ(ws_->store().GetRollout("shop").status().code(), skiff::StatusCode::kNotFound);

  // A real rollout, the detached controller on the real clock: traffic is
  // sent until it succeeds (bounded by a deadline, never by a sleep).
  Result started = start({"--version-name", "v2", "--steps", "20,100", "--step-interval", "1s",
                          "--min-requests", "5", "-o", "json"});
  ASSERT_EQ(started.rc, 0) << started.err;
  EXPECT_EQ(json::parse(started.out)["status"], "Running");
  EXPECT_TRUE(WaitFor(
      [&] {
        Send("v2", kHealthy, 5, 200);
        return State().status == RolloutStatus::kSucceeded;
      },
      90))
      << Slurp(Path("ws/rollouts/shop.controller.log"));
  EXPECT_EQ(Traffic("v2"), 100);

  // Abort puts the candidate back where the rollout started.
  skiff::sdk::EndpointVersion v2;
  v2.name = "v2";
  v2.traffic_percentile = 0;
  ASSERT_TRUE(Endpoint().update_version(v2).ok());
  ASSERT_TRUE(Endpoint().rollout_start(Options({30, 100}), false).ok());
  EXPECT_EQ(Traffic("v2"), 30);
  Result paused = Skiff({"endpoint", "rollout", "pause", "-n", "shop", "-o", "json"});
  ASSERT_EQ(paused.rc, 0) << paused.err;
  EXPECT_EQ(json::parse(paused.out)["status"], "Paused");
  Result aborted = Skiff({"endpoint", "rollout", "abort", "-n", "shop", "-o", "json"});
  ASSERT_EQ(aborted.rc, 0) << aborted.err;
  EXPECT_EQ(json::parse(aborted.out)["status"], "Aborted");
  EXPECT_EQ(Traffic("v2"), 0);
  EXPECT_EQ(History().back().kind, RolloutEventKind::kAborted);
}

}  // namespace
