// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: `skiff service get-logs --follow` on the local target, through
// the real CLI as a subprocess: it prints the tail, then the access-log line
// of a request made after it started (with the request's id), and goes on
// until it is terminated.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <chrono>

#include "cli_harness.h"
#include "cli_subprocess.h"
#include "http_client.h"
#include "scoring_uri.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Bearer;
using skiff::testing::HttpClient;
using skiff::testing::ParseUri;
using skiff::testing::Result;

// A local service on the data plane's test accelerator (no libtorch): the
// CLI, skiff-supervisor and skiff-server are the real ones.
class LogsFollow : public skiff::testing::CliFixture, public skiff::testing::CliSubprocess {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    // For this process's subprocesses too (the --follow one is spawned).
    ::setenv("SKIFF_PLUGIN_PATH",
             (std::string(std::getenv("SKIFF_BINARY_DIR")) + "/tests/dataplane_plugins").c_str(), 1);
    skiff::testing::Spit(Path("model.bin"), "weights");
    skiff::testing::Spit(
        Path("ic.json"),
        json{{"accelerator", "testmodel"},
             {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
             {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}}
            .dump());
    skiff::testing::Spit(Path("dc.json"), "{}");
    ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("model.bin")}).rc, 0);
    ASSERT_EQ(Skiff({"computetarget", "create", "local", "-n", "local"}).rc, 0);
  }
  void TearDown() override {
    StopSubprocess();
    Skiff({"service", "delete", "-n", "svc"});
    ::unsetenv("SKIFF_PLUGIN_PATH");
    CliFixture::TearDown();
  }

  // Starts `skiff -w WS args` with its stdout on a pipe this test reads.
  void Spawn(const std::vector<std::string>& args) {
    std::vector<std::string> all = {skiff::testing::SkiffBinary(), "-w", Path("ws")};
    all.insert(all.end(), args.begin(), args.end());
    SpawnReading(all);
  }

  // Reads the follow's stdout until `needle` is in it (or 20 s pass).
  bool ReadUntil(const std::string& needle) {
    return CliSubprocess::ReadUntil(needle, std::chrono::seconds(20));
  }
};

TEST_F(LogsFollow, FollowPrintsTheTailThenNewRequestsUntilTerminated) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "m:1", "-ct", "local", "-ic",
                           Path("ic.json"), "-dc", Path("dc.json"), "-o", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  const auto uri = ParseUri(json::parse(deployed.out)["scoringUri"].get<std::string>());
  const std::string key = Json({"service", "get-keys", "-n", "svc", "-o", "json"})["primaryKey"];

  Spawn({"service", "get-logs", "-n", "svc", "--follow", "--tail", "20"});
  ASSERT_TRUE(ReadUntil("skiff-server: ready in")) << "the tail first:\n" << read_;

  // A request made now shows up as its access-log line, with its ids.
  auto headers = Bearer(key);
  headers["x-request-id"] = "follow-me-1";
  auto r = HttpClient(uri.port).Post(uri.path, R"({"data": [[1, 2, 3, 4]]})", headers);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = r.header("x-ms-request-id");
  ASSERT_TRUE(ReadUntil(id)) << read_;
  std::string line = read_.substr(read_.rfind('\n', read_.find(id)) + 1);
  line = line.substr(0, line.find('\n'));
  const json j = json::parse(line);
  EXPECT_EQ(j["clientRequestId"], "follow-me-1");
  EXPECT_EQ(j["route"], "/api/v1/service/{service}/score");
  EXPECT_EQ(j["status"], 200);

  // A 401 too: the access log has every answer.
  auto denied = HttpClient(uri.port).Post(uri.path, "{}", Bearer("not-the-key-0123456789"));
  ASSERT_EQ(denied.status, 401);
  ASSERT_TRUE(ReadUntil(denied.header("x-ms-request-id"))) << read_;
  EXPECT_EQ(read_.find(key), std::string::npos) << "no key in the logs";

  // It follows until interrupted.
  int status = 0;
  EXPECT_EQ(::waitpid(pid_, &status, WNOHANG), 0) << "still following";
  ::kill(pid_, SIGTERM);
  ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

  // --tail is --num-lines.
  Result tail = Skiff({"service", "get-logs", "-n", "svc", "--tail", "1"});
  ASSERT_EQ(tail.rc, 0) << tail.err;
  EXPECT_EQ(std::count(tail.out.begin(), tail.out.end(), '\n'), 1) << tail.out;
}

// Ctrl-C (SIGINT) ends a follow with exit status 0, here as on AKS
// (AksLogsFollowCli): the sink says stop and the target's follow returns.
TEST_F(LogsFollow, CtrlCEndsTheFollowWithStatusZero) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "m:1", "-ct", "local", "-ic",
                           Path("ic.json"), "-dc", Path("dc.json"), "-o", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  Spawn({"service", "get-logs", "-n", "svc", "--follow", "--tail", "20"});
  ASSERT_TRUE(ReadUntil("skiff-server: ready in")) << read_;
  ::kill(pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    ::poll(nullptr, 0, 20);
  }
  ASSERT_EQ(done, pid_) << "get-logs --follow did not end on SIGINT";
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
