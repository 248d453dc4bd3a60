// SPDX-License-Identifier: Apache-2.0
// LocalComputeTarget end to end: real skiff-supervisor and skiff-server
// processes on loopback, serving the data-plane "testmodel" accelerator.
// Every wait polls with a deadline; TearDown kills whatever a test started.
#include "service_test_fixture.h"

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace skiff::compute_local {
namespace {

TEST_F(ComputeLocalServiceTest, DeployBecomesHealthyAndScores) {
  ASSERT_TRUE(Deploy("svc", ServerConfig("svc", kKey)).ok());
  ServiceStatus s = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(s.state, ServiceState::kHealthy) << s.error;
  EXPECT_EQ(s.scoring_uri.rfind("http://127.0.0.1:", 0), 0u) << s.scoring_uri;
  EXPECT_NE(s.scoring_uri.find("/api/v1/service/svc/score"), std::string::npos);
  EXPECT_EQ(s.swagger_uri, s.scoring_uri.substr(0, s.scoring_uri.size() - 5) + "swagger.json");
  EXPECT_EQ(Score(s, kKey), 200);
  EXPECT_EQ(Score(s, "wrong-key-0123456789-0123456789-0123456789"), 401);
  HttpClient c(PortOf(s.swagger_uri));
  EXPECT_EQ(c.Get("/api/v1/service/svc/swagger.json").status, 200);

  const ServiceDir dir = Dir("svc");
  struct stat st {};
  ASSERT_EQ(::stat(dir.root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(dir.server_json().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.server_log().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto written = json::parse(*ReadFile(dir.server_json()));
  EXPECT_EQ(written["portFile"], dir.port_file());
  EXPECT_EQ(written["requestLog"], dir.request_log());
  EXPECT_EQ(written["dataCollectionDir"], dir.data_dir());
  SupervisorState sup = Supervisor("svc");
  EXPECT_EQ(sup.state, "running");
  EXPECT_EQ(sup.restarts, 0);
  EXPECT_EQ(*ReadPidFile(dir.supervisor_pid()), sup.pid);
  EXPECT_TRUE(IsProcessRunning(sup.server_pid, dir.server_json()));
}

TEST_F(ComputeLocalServiceTest, GetLogsReturnsTheServersListeningLine) {
  ASSERT_TRUE(Deploy("logs", ServerConfig("logs", kKey)).ok());
  ASSERT_EQ(WaitFor("logs", ServiceState::kHealthy).state, ServiceState::kHealthy);
  auto all = target_->GetLogs("logs", 0);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_NE(all->find("skiff-server: listening on 127.0.0.1:"), std::string::npos) << *all;
  EXPECT_NE(all->find("skiff-supervisor: started skiff-server"), std::string::npos) << *all;
  auto two = target_->GetLogs("logs", 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(std::count(two->begin(), two->end(), '\n'), 2) << *two;
  EXPECT_EQ(target_->GetLogs("nope", 10).status().code(), StatusCode::kNotFound);
}

// Issue 23.3: the service log's lines (supervisor and server alike) carry a
// timestamp and a level in the config's logFormat (the target starts the
// supervisor with it), and every answer, a 401 too, is in logs/access.jsonl.
TEST_F(ComputeLocalServiceTest, ServiceLogLinesAreTimestampedJsonAndEveryAnswerIsInTheAccessLog) {
  json config = ServerConfig("jsonlogs", kKey);
  config["logFormat"] = "json";
  ASSERT_TRUE(Deploy("jsonlogs", config).ok());
  ServiceStatus s = WaitFor("jsonlogs", ServiceState::kHealthy);
  ASSERT_EQ(s.state, ServiceState::kHealthy) << s.error;
  EXPECT_EQ(Score(s, kKey), 200);
  EXPECT_EQ(Score(s, "wrong-key-0123456789-0123456789-0123456789"), 401);
  const ServiceDir dir = Dir("jsonlogs");
  std::set<std::string> loggers;
  std::istringstream log(*ReadFile(dir.server_log()));
  for (std::string line; std::getline(log, line);) {
    const json j = json::parse(line);  // every line one JSON object
    EXPECT_EQ(j["time"].get<std::string>().size(), 24u) << line;
    EXPECT_EQ(j["time"].get<std::string>().back(), 'Z') << line;
    EXPECT_TRUE(j.contains("level")) << line;
    loggers.insert(j["logger"].get<std::string>());
  }
  EXPECT_EQ(loggers, (std::set<std::string>{"skiff-server", "skiff-supervisor"}));
  std::set<int> statuses;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (statuses.count(401) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer flushes every 200 ms
    statuses.clear();
    auto text = ReadFile(dir.access_log());
    std::istringstream access(text.ok() ? *text : "");
    for (std::string line; std::getline(access, line);) {
      statuses.insert(json::parse(line)["status"].get<int>());
    }
  }
  EXPECT_TRUE(statuses.count(200) && statuses.count(401)) << "access.jsonl";
  struct stat st {};
  ASSERT_EQ(::stat(dir.access_log().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ComputeLocalServiceTest, TwoServicesCoexistOnDifferentPorts) {
  ASSERT_TRUE(Deploy("one", ServerConfig("one", kKey)).ok());
  ASSERT_TRUE(Deploy("two", ServerConfig("two", kNewKey)).ok());
  ServiceStatus one = WaitFor("one", ServiceState::kHealthy);
  ServiceStatus two = WaitFor("two", ServiceState::kHealthy);
  ASSERT_EQ(one.state, ServiceState::kHealthy) << one.error;
  ASSERT_EQ(two.state, ServiceState::kHealthy) << two.error;
  EXPECT_NE(PortOf(one.scoring_uri), PortOf(two.scoring_uri));
  EXPECT_EQ(Score(one, kKey), 200);
  EXPECT_EQ(Score(two, kNewKey), 200);
  EXPECT_EQ(Score(two, kKey), 401) << "each service has its own keys";
}

TEST_F(ComputeLocalServiceTest, UpdateReloadsKeysOnTheSamePortWithoutARestart) {
  ASSERT_TRUE(Deploy("upd", ServerConfig("upd", kKey)).ok());
  ServiceStatus before = WaitFor("upd", ServiceState::kHealthy);
  ASSERT_EQ(before.state, ServiceState::kHealthy) << before.error;
  ASSERT_EQ(Score(before, kKey), 200);
  const pid_t server = Supervisor("upd").server_pid;

  ASSERT_TRUE(target_->UpdateService(Spec("upd", ServerConfig("upd", kNewKey))).ok());
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int old_key = 200;
  while (old_key == 200 && Clock::now() < deadline) old_key = Score(before, kKey);
  EXPECT_EQ(old_key, 401) << "the old key is refused after the reload";
  EXPECT_EQ(Score(before, kNewKey), 200);
  ServiceStatus after = WaitFor("upd", ServiceState::kHealthy);
  EXPECT_EQ(after.scoring_uri, before.scoring_uri) << "same port";
  EXPECT_EQ(Supervisor("upd").server_pid, server) << "same server process";
  EXPECT_EQ(Supervisor("upd").restarts, 0);
  EXPECT_EQ(json::parse(*ReadFile(Dir("upd").server_json()))["port"], PortOf(before.scoring_uri));

  EXPECT_EQ(target_->UpdateService(Spec("ghost", ServerConfig("ghost", kKey))).code(),
            StatusCode::kNotFound);
}

TEST_F(ComputeLocalServiceTest, SupervisorRestartsAKilledServer) {
  ASSERT_TRUE(Deploy("crash", ServerConfig("crash", kKey)).ok());
  ASSERT_EQ(WaitFor("crash", ServiceState::kHealthy).state, ServiceState::kHealthy);
  const pid_t first = Supervisor("crash").server_pid;
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);

  const auto deadline = Clock::now() + std::chrono::seconds(15);
  SupervisorState sup = Supervisor("crash");
  while ((sup.server_pid == 0 || sup.server_pid == first) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sup = Supervisor("crash");
  }
  EXPECT_NE(sup.server_pid, first);
  EXPECT_NE(sup.server_pid, 0);
  EXPECT_EQ(sup.restarts, 1);
  EXPECT_EQ(sup.last_exit_status, 128 + SIGKILL);
  ServiceStatus s = WaitFor("crash", ServiceState::kHealthy);
  ASSERT_EQ(s.state, ServiceState::kHealthy) << s.error;
  EXPECT_EQ(Score(s, kKey), 200);
  auto logs = target_->GetLogs("crash", 0);
  EXPECT_NE(logs->find("skiff-supervisor: skiff-server (pid " + std::to_string(first) +
                       ") exited: killed by signal 9"),
            std::string::npos)
      << *logs;
  EXPECT_NE(logs->find("restart in 500 ms"), std::string::npos) << *logs;
}

// True once nothing accepts connections on `port` any more (polled).
bool Refused(uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(15)) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    try {
      HttpClient(port).Get("/v2/health/live");
    } catch (const std::exception&) {
      return true;
    }
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Issue 16 item 12: a SIGKILLed supervisor used to leave the service down
// (connections refused) until a redeploy.
TEST_F(ComputeLocalServiceTest, AKilledSupervisorIsRevivedOnTheSamePortAndCounted) {
  ASSERT_TRUE(Deploy("revive", ServerConfig("revive", kKey)).ok());
  const ServiceStatus before = WaitFor("revive", ServiceState::kHealthy);
  ASSERT_EQ(before.state, ServiceState::kHealthy) << before.error;
  EXPECT_EQ(before.restarts, 0);
  auto revived = target_->ReviveService("revive");
  ASSERT_TRUE(revived.ok()) << revived.status().ToString();
  EXPECT_FALSE(*revived) << "a running service is left alone";

  const SupervisorState first = Supervisor("revive");
  ASSERT_EQ(::kill(first.pid, SIGKILL), 0);
  ASSERT_TRUE(Gone(first.pid));
  // The original failure: the server follows its supervisor and the port closes.
  ASSERT_TRUE(Refused(PortOf(before.scoring_uri))) << "the service is down";
  ASSERT_TRUE(Gone(first.server_pid));
  auto down = target_->GetState("revive");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->state, ServiceState::kFailed) << "live state, not the last one seen";
  EXPECT_NE(down->error.find("skiff service restart -n revive"), std::string::npos) << down->error;

  revived = target_->ReviveService("revive");
  ASSERT_TRUE(revived.ok()) << revived.status().ToString();
  EXPECT_TRUE(*revived);
  const ServiceStatus after = WaitFor("revive", ServiceState::kHealthy);
  ASSERT_EQ(after.state, ServiceState::kHealthy) << after.error;
  EXPECT_EQ(after.scoring_uri, before.scoring_uri) << "same port, same URI";
  EXPECT_EQ(Score(after, kKey), 200);
  EXPECT_EQ(after.restarts, 1) << "one revival";
  const SupervisorState second = Supervisor("revive");
  EXPECT_NE(second.pid, first.pid);
  EXPECT_TRUE(IsProcessRunning(second.pid, "skiff-supervisor", Dir("revive").root));

  // A server crash under the new supervisor adds to the same count.
  ASSERT_EQ(::kill(second.server_pid, SIGKILL), 0);
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Supervisor("revive").restarts < 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const ServiceStatus crashed = WaitFor("revive", ServiceState::kHealthy);
  ASSERT_EQ(crashed.state, ServiceState::kHealthy) << crashed.error;
  EXPECT_EQ(crashed.restarts, 2);
}

TEST_F(ComputeLocalServiceTest, RestartServiceReplacesSupervisorAndServerKeepingPortAndCount) {
  ASSERT_TRUE(Deploy("again", ServerConfig("again", kKey)).ok());
  const ServiceStatus before = WaitFor("again", ServiceState::kHealthy);
  ASSERT_EQ(before.state, ServiceState::kHealthy) << before.error;
  const SupervisorState first = Supervisor("again");
  // One server crash first: the restart keeps it in the count.
  ASSERT_EQ(::kill(first.server_pid, SIGKILL), 0);
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Supervisor("again").restarts < 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(WaitFor("again", ServiceState::kHealthy).restarts, 1);
  const pid_t old_server = Supervisor("again").server_pid;

  ASSERT_TRUE(target_->RestartService("again").ok());
  EXPECT_TRUE(Gone(first.pid)) << "the old supervisor stopped";
  EXPECT_TRUE(Gone(old_server)) << "and its server";
  const ServiceStatus after = WaitFor("again", ServiceState::kHealthy);
  ASSERT_EQ(after.state, ServiceState::kHealthy) << after.error;
  EXPECT_EQ(after.scoring_uri, before.scoring_uri);
  EXPECT_EQ(Score(after, kKey), 200);
  EXPECT_EQ(after.restarts, 1) << "a requested restart is not counted; the crash still is";
  EXPECT_NE(Supervisor("again").pid, first.pid);

  EXPECT_EQ(target_->RestartService("ghost").code(), StatusCode::kNotFound);
  EXPECT_EQ(target_->ReviveService("ghost").status().code(), StatusCode::kNotFound);
}

TEST_F(ComputeLocalServiceTest, DeleteStopsEverythingAndRemovesTheDirectory) {
  ASSERT_TRUE(Deploy("del", ServerConfig("del", kKey)).ok());
  ASSERT_EQ(WaitFor("del", ServiceState::kHealthy).state, ServiceState::kHealthy);
  const SupervisorState sup = Supervisor("del");
  ASSERT_GT(sup.pid, 0);
  ASSERT_GT(sup.server_pid, 0);

  ASSERT_TRUE(target_->DeleteService("del").ok());
  EXPECT_TRUE(Gone(sup.pid)) << "supervisor";
  EXPECT_TRUE(Gone(sup.server_pid)) << "server";
  EXPECT_FALSE(fs::exists(Dir("del").root));
  EXPECT_EQ(target_->GetState("del").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(target_->DeleteService("del").code(), StatusCode::kNotFound);
}

TEST_F(ComputeLocalServiceTest, SecondDeployOfARunningServiceIsRefused) {
  ASSERT_TRUE(Deploy("twice", ServerConfig("twice", kKey)).ok());
  Status again = Deploy("twice", ServerConfig("twice", kKey));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "service 'twice' is already running; use update or delete it first");
  ServiceStatus s = WaitFor("twice", ServiceState::kHealthy);
  EXPECT_EQ(s.state, ServiceState::kHealthy) << "the running one is untouched: " << s.error;
}

TEST_F(ComputeLocalServiceTest, ABrokenConfigEndsFailedAndDeleteStillCleansUp) {
  ASSERT_TRUE(Deploy("broken", ServerConfig("broken", kKey, "no-such-accelerator")).ok());
  // Five fast failures with 0.5+1+2+4 s of backoff between them.
  ServiceStatus s = WaitFor("broken", ServiceState::kFailed, std::chrono::seconds(30));
  ASSERT_EQ(s.state, ServiceState::kFailed);
  EXPECT_NE(s.error.find("keeps failing"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("exit status"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("no-such-accelerator"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("skiff service get-logs -n broken"), std::string::npos) << s.error;
  const SupervisorState sup = Supervisor("broken");
  EXPECT_EQ(sup.state, "failed");
  EXPECT_GE(sup.restarts, 4);

  ASSERT_TRUE(target_->DeleteService("broken").ok());
  EXPECT_TRUE(Gone(sup.pid));
  EXPECT_FALSE(fs::exists(Dir("broken").root));
}

TEST_F(ComputeLocalServiceTest, AnExplicitPortFromDeploymentConfigIsUsed) {
  const uint16_t port = FreePort();
  json config = ServerConfig("fixed", kKey);
  config["deploymentConfig"] = {{"port", port}};
  ASSERT_TRUE(Deploy("fixed", config).ok());
  ServiceStatus s = WaitFor("fixed", ServiceState::kHealthy);
  ASSERT_EQ(s.state, ServiceState::kHealthy) << s.error;
  EXPECT_EQ(PortOf(s.scoring_uri), port);
  EXPECT_EQ(Score(s, kKey), 200);
}

TEST_F(ComputeLocalServiceTest, RefusesBadSpecs) {
  ServiceSpec spec = Spec("bad", ServerConfig("bad", kKey));
  spec.server_config_json = "";
  Status empty = target_->DeployService(spec);
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("server_config_json is empty"), std::string::npos);
  spec = Spec("../escape", ServerConfig("x", kKey));
  EXPECT_EQ(target_->DeployService(spec).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(target_->Provision(ComputeSpec{}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(target_->Attach(ComputeSpec{"local", "local", "", ws_.string()}).ok());
  EXPECT_EQ(target_->GetState("never").status().code(), StatusCode::kNotFound);
}

// Issue 16 item 8: a model file changed on disk is caught when the
// supervisor restarts skiff-server: the service ends Failed with the
// reason, and the tampered model never answers a request.
TEST_F(ComputeLocalServiceTest, ATamperedModelFailsTheServiceAtTheRestartAndIsNeverServed) {
  const std::string model = (ws_ / "model.bin").string();
  std::ofstream(model) << "weights";
  json config = ServerConfig("tamper", kKey);
  config["versions"][0]["artifactPath"] = model;
  config["versions"][0]["sha256"] = Sha256Hex("weights");
  ASSERT_TRUE(Deploy("tamper", config).ok());
  ServiceStatus s = WaitFor("tamper", ServiceState::kHealthy);
  ASSERT_EQ(s.state, ServiceState::kHealthy) << s.error;
  EXPECT_EQ(Score(s, kKey), 200);

  std::ofstream(model) << "weightz";
  const pid_t first = Supervisor("tamper").server_pid;
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  // Five fast failures with 0.5+1+2+4 s of backoff between them; every
  // request on the way is refused.
  const auto deadline = Clock::now() + std::chrono::seconds(40);
  int scored = 0;
  for (;;) {
    auto now = target_->GetState("tamper");
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    s = *now;
    if (s.state == ServiceState::kFailed || Clock::now() > deadline) break;
    if (!s.scoring_uri.empty()) {
      int code = 0;  // 0: nothing listening (between restarts)
      try {
        code = Score(s, kKey);
      } catch (const std::exception&) {
      }
      EXPECT_NE(code, 200) << "the tampered model answered";
      ++scored;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(s.state, ServiceState::kFailed) << s.error;
  EXPECT_GT(scored, 0);
  EXPECT_NE(s.error.find("keeps failing"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("artifact '" + model + "' hashes to sha256:" + Sha256Hex("weightz")),
            std::string::npos)
      << s.error;
  EXPECT_GE(Supervisor("tamper").restarts, 4);
}

// Issue 16 item 5: a symlink planted as a service's directory is refused; the
// directory it points to is neither chmod'ed nor written (the old code did both).
TEST_F(ComputeLocalServiceTest, APlantedServiceDirSymlinkIsRefusedNotChmoddedOrWrittenThrough) {
  const fs::path elsewhere = ws_ / "elsewhere";
  fs::create_directories(elsewhere);
  ASSERT_EQ(::chmod(elsewhere.c_str(), 0755), 0);
  fs::create_directories(ws_ / "services");
  fs::create_directory_symlink(elsewhere, ws_ / "services" / "planted");
  const Status s = Deploy("planted", ServerConfig("planted", kKey));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("refusing '" + Dir("planted").root + "': it is a symbolic link"),
            std::string::npos)
      << s.message();
  struct stat st {};
  ASSERT_EQ(::stat(elsewhere.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  EXPECT_TRUE(fs::is_empty(elsewhere));
}

}  // namespace
}  // namespace skiff::compute_local
