// SPDX-License-Identifier: Apache-2.0
// Issue 23.3, skiff-server as a process: its log lines carry an RFC 3339 UTC
// timestamp and a level, in text or JSON (--log-format, --log-level, or the
// config's logFormat/logLevel); the access log has one JSON line for every
// answer, those refused before routing or auth included, with the request
// id the response carries and nothing secret; responses carry
// x-ms-request-id and echo a safe x-request-id.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_client.h"
#include "skiff/dataplane/cpu_budget.h"
#include "raw_client.h"
#include "sha256_hex.h"

extern char** environ;

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::RawClient;
using skiff::testing::Reply;
using skiff::testing::Sha256Hex;

const std::string kKey = "logging-test-key-0123456789-abcdefghijklmn";
// 2026-12-06T17:02:11.318Z
const std::regex kTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class LoggingProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("skiff-logging-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    Stop();
    fs::remove_all(dir_);
  }

  json Config(json extra = json::object()) {
    json inference = {{"accelerator", "testmodel"},
                      {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
                      {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
    json config = {{"service", "svc"},
                   {"portFile", (dir_ / "port").string()},
                   {"auth",
                    {{"options", {{"workspace", "ws"}, {"keysDir", (dir_ / "keys").string()}}},
                     {"keySha256", {Sha256Hex(kKey)}}}},
                   {"deploymentConfig", {{"maxRequestBodyBytes", 4096}}},
                   {"versions",
                    {{{"name", "blue"},
                      {"artifactPath", "/dev/null"},
                      {"inferenceConfig", inference}}}}};
    config.update(extra);
    return config;
  }

  // Runs skiff-server with `config`, stdout and stderr to files; with
  // `wait_ready`, returns its port once it answers ready.
  uint16_t Start(const json& config, std::vector<std::string> args = {}, bool wait_ready = true) {
    std::ofstream(dir_ / "server.json") << config.dump(2);
    const std::string bin = std::string(std::getenv("SKIFF_BINARY_DIR")) + "/bin/skiff-server";
    std::string env_plugin = "SKIFF_PLUGIN_PATH=" + std::string(std::getenv("SKIFF_BINARY_DIR")) +
                             "/tests/dataplane_plugins";
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    envp.push_back(env_plugin.data());
    envp.push_back(nullptr);
    std::string config_path = (dir_ / "server.json").string();
    std::vector<std::string> all = {bin, "--config", config_path};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, (dir_ / "stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&files, STDERR_FILENO, (dir_ / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_EQ(::posix_spawn(&pid_, bin.c_str(), &files, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&files);
    if (!wait_ready) return 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!fs::exists(dir_ / "port") && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    uint16_t port = 0;
    std::ifstream(dir_ / "port") >> port;
    EXPECT_NE(port, 0) << ReadText(dir_ / "stderr");
    HttpClient c(port);
    while (c.Get("/v2/health/ready").status != 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return port;
  }

  // SIGTERM and wait: the server drains and writes what its access log holds.
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    fs::remove(dir_ / "port");
    return status;
  }

  int WaitExit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // The access-log lines in `path` once there are at least `n` (the writer
  // flushes every 200 ms), as JSON.
  std::vector<json> AccessLines(const fs::path& path, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<std::string> lines;
    do {
      lines = Lines(ReadText(path));
      if (lines.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    std::vector<json> out;
    for (const auto& line : lines) out.push_back(json::parse(line));
    return out;
  }

  static const json* ById(const std::vector<json>& lines, const std::string& id) {
    for (const json& line : lines) {
      if (line.value("requestId", "") == id) return &line;
    }
    return nullptr;
  }

  static std::string HeaderOf(const std::string& raw, const std::string& name) {
    const std::string key = "\r\n" + name + ": ";
    const size_t at = raw.find(key);
    if (at == std::string::npos) return "";
    const size_t start = at + key.size();
    return raw.substr(start, raw.find("\r\n", start) - start);
  }

  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(LoggingProcessTest, TheAccessLogHasALineForEveryAnswerWithItsRequestIdAndNoSecret) {
  const fs::path access = dir_ / "logs" / "access.jsonl";
  const uint16_t port = Start(Config({{"accessLog", access.string()}}));
  HttpClient c(port);
  const std::string infer = "/v2/models/svc/infer";
  const std::string body =
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})";

  struct Expect {
    std::string id;
    int status;
    std::string route;
  };
  std::vector<Expect> expected;
  // 200, with a client's own id echoed.
  Reply ok = c.Post(infer, body, {{"Authorization", "Bearer " + kKey}, {"x-request-id", "ord-42_a"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("x-request-id"), "ord-42_a");
  expected.push_back({ok.header("x-ms-request-id"), 200, "/v2/models/{model}/infer"});
  // 401 on the header, before the body is read.
  Reply denied = c.Post(infer, body, {{"Authorization", "Bearer wrong-key-0123456789-0123456789"}});
  EXPECT_EQ(denied.status, 401);
  expected.push_back({denied.header("x-ms-request-id"), 401, "/v2/models/{model}/infer"});
  // 429 once the client's failures are blocked (20 within 10 s by default).
  Reply blocked;
  for (int i = 0; i < 25 && blocked.status != 429; ++i) {
    blocked = c.Post(infer, body, {{"Authorization", "Bearer wrong-key-0123456789-0123456789"}});
  }
  EXPECT_EQ(blocked.status, 429);
  expected.push_back({blocked.header("x-ms-request-id"), 429, "/v2/models/{model}/infer"});
  // 404 for a path no route takes: the raw path (and its query) stays out.
  Reply missing = c.Get("/no/such/route?subscription-key=" + kKey);
  EXPECT_EQ(missing.status, 404);
  expected.push_back({missing.header("x-ms-request-id"), 404, "unmatched"});
  // 405.
  Reply wrong_method = c.Get(infer);
  EXPECT_EQ(wrong_method.status, 405);
  expected.push_back({wrong_method.header("x-ms-request-id"), 405, "/v2/models/{model}/infer"});
  // An unsafe x-request-id is not echoed: the server's id takes its place.
  Reply unsafe = c.Get("/v2/health/live", {{"x-request-id", std::string(200, 'a')}});
  EXPECT_EQ(unsafe.status, 200);
  EXPECT_EQ(unsafe.header("x-request-id"), unsafe.header("x-ms-request-id"));
  expected.push_back({unsafe.header("x-ms-request-id"), 200, "/v2/health/live"});
  // 413 before the body is read (maxRequestBodyBytes 4096).
  {
    RawClient raw(port);
    raw.Send("POST " + infer + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey +
             "\r\nContent-Length: 100000\r\n\r\n");
    const std::string answer = raw.ReadResponse();
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    expected.push_back({HeaderOf(answer, "x-ms-request-id"), 413, "/v2/models/{model}/infer"});
  }
  // 431: a header section over the limit, answered before any route is known.
  {
    RawClient raw(port);
    raw.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n");
    const std::string answer = raw.ReadResponse();
    EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 200);
    expected.push_back({HeaderOf(answer, "x-ms-request-id"), 431, "-"});
  }

  ASSERT_EQ(Stop() & 0x7f, 0);  // exited, not killed: the log is flushed
  const std::string text = ReadText(access);
  EXPECT_EQ(text.find(kKey), std::string::npos) << "a key never reaches the access log";
  EXPECT_EQ(text.find("subscription-key"), std::string::npos) << "nor a query string";
  EXPECT_EQ(text.find("Bearer"), std::string::npos);
  EXPECT_EQ(text.find("\"data\""), std::string::npos) << "nor a body";
  const std::vector<json> lines = AccessLines(access, expected.size());
  for (const Expect& e : expected) {
    ASSERT_EQ(e.id.size(), 36u) << "every answer carries x-ms-request-id (status " << e.status << ")";
    const json* line = ById(lines, e.id);
    ASSERT_NE(line, nullptr) << "no access-log line for the " << e.status << ":\n" << text;
    EXPECT_EQ((*line)["status"], e.status);
    EXPECT_EQ((*line)["route"], e.route);
    EXPECT_EQ((*line)["client"], "127.0.0.1");
    EXPECT_TRUE(std::regex_match((*line)["time"].get<std::string>(), kTimestamp)) << *line;
    EXPECT_TRUE((*line)["latencyMs"].is_number());
    EXPECT_GT((*line)["requestBytes"].get<uint64_t>(), 0u);
    EXPECT_GT((*line)["responseBytes"].get<uint64_t>(), 0u);
    EXPECT_EQ((*line)["traceId"].get<std::string>().size(), 32u);
  }
  const json* scored = ById(lines, expected[0].id);
  EXPECT_EQ((*scored)["method"], "POST");
  EXPECT_EQ((*scored)["version"], "blue");
  EXPECT_EQ((*scored)["clientRequestId"], "ord-42_a");
  EXPECT_GT((*scored)["requestBytes"].get<uint64_t>(), body.size());
  EXPECT_FALSE(ById(lines, expected[1].id)->contains("version")) << "no version picked for a 401";
}

TEST_F(LoggingProcessTest, LogLinesCarryAnRfc3339TimestampAndALevelInTextOrJson) {
  // Text (the default): "<timestamp> INFO skiff-server: listening on ...".
  Start(Config());
  Stop();
  std::vector<std::string> text = Lines(ReadText(dir_ / "stderr"));
  ASSERT_FALSE(text.empty());
  const std::regex kTextLine(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) skiff-server: .+)");
  bool listening = false;
  for (const auto& line : text) {
    EXPECT_TRUE(std::regex_match(line, kTextLine)) << line;
    if (line.find(" INFO skiff-server: listening on 127.0.0.1:") != std::string::npos) {
      listening = true;
    }
  }
  EXPECT_TRUE(listening) << ReadText(dir_ / "stderr");

  // JSON from the config, the access log on stdout: two streams, each whole lines.
  const uint16_t port = Start(Config({{"logFormat", "json"}, {"accessLog", "stdout"}}));
  ASSERT_EQ(HttpClient(port).Get("/v2/health/live").status, 200);
  Stop();
  bool drained = false;
  for (const auto& line : Lines(ReadText(dir_ / "stderr"))) {
    const json j = json::parse(line);  // throws (fails) on a line that is not JSON
    EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(), kTimestamp)) << line;
    EXPECT_EQ(j["logger"], "skiff-server");
    EXPECT_TRUE(j["level"] == "info" || j["level"] == "warning") << line;
    if (j["message"] == "draining") drained = true;
  }
  EXPECT_TRUE(drained);
  bool live = false;
  for (const auto& line : Lines(ReadText(dir_ / "stdout"))) {
    if (json::parse(line).value("route", "") == "/v2/health/live") live = true;
  }
  EXPECT_TRUE(live) << "accessLog \"stdout\": " << ReadText(dir_ / "stdout");

  // The flags win over the config; --log-level error keeps info lines out.
  Start(Config({{"logFormat", "json"}}), {"--log-format", "text", "--log-level", "error"});
  Stop();
  EXPECT_EQ(ReadText(dir_ / "stderr"), "") << "no error happened, and info is below error";

  // An error, as the level says: a config that names no service.
  json bad = Config();
  bad.erase("service");
  Start(bad, {"--log-format", "json"}, false);
  EXPECT_EQ(WaitExit(), 2);
  const std::vector<std::string> errors = Lines(ReadText(dir_ / "stderr"));
  ASSERT_EQ(errors.size(), 1u) << ReadText(dir_ / "stderr");
  const json error = json::parse(errors[0]);
  EXPECT_EQ(error["level"], "error");
  EXPECT_NE(error["message"].get<std::string>().find("service"), std::string::npos) << error;

  // A flag with a value it does not take is a usage error that says which.
  Start(Config(), {"--log-level", "loud"}, false);
  EXPECT_EQ(WaitExit(), 2);
  EXPECT_NE(ReadText(dir_ / "stderr").find("--log-level takes debug, info, warning or error"),
            std::string::npos)
      << ReadText(dir_ / "stderr");
}

// The heap allocator skiff-server runs on is the one the build chose
// (cmake/SkiffMalloc.cmake): with jemalloc, every library's malloc is
// jemalloc's, and the start-up log says so with its version.
TEST_F(LoggingProcessTest, TheStartLogNamesTheHeapAllocatorTheServerRunsOn) {
  Start(Config());
  const std::string log = ReadText(dir_ / "stderr");
  Stop();
#ifdef SKIFF_MALLOC_JEMALLOC
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(INFO skiff-server: heap allocator: jemalloc \d+\.\d+)")))
      << log;
#else
  EXPECT_NE(log.find("INFO skiff-server: heap allocator: glibc malloc"), std::string::npos) << log;
#endif
}

// inlineScoring "auto" turns run to completion on when the server may use
// one CPU (a local target's default 0.1 core pins it to one), and the
// start-up log says which and why. A server started pinned to one CPU (it
// inherits this thread's affinity) runs it; "off" overrides.
TEST_F(LoggingProcessTest, TheStartLogSaysWhetherInlineScoringIsOnAndWhy) {
  cpu_set_t before;
  CPU_ZERO(&before);
  ASSERT_EQ(::sched_getaffinity(0, sizeof(before), &before), 0);
  int first = 0;
  while (!CPU_ISSET(first, &before)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(::sched_setaffinity(0, sizeof(one), &one), 0);
  Start(Config());
  std::string log = ReadText(dir_ / "stderr");
  Stop();
  Start(Config({{"inlineScoring", "off"}}));
  const std::string off_log = ReadText(dir_ / "stderr");
  Stop();
  ASSERT_EQ(::sched_setaffinity(0, sizeof(before), &before), 0);
  EXPECT_NE(log.find("INFO skiff-server: inline scoring: on (auto: 1 CPU (affinity 1"),
            std::string::npos)
      << log;
  EXPECT_NE(off_log.find("INFO skiff-server: inline scoring: off (inlineScoring)"),
            std::string::npos)
      << off_log;
  // Unpinned on a machine with more CPUs and no tighter cgroup quota: off.
  const CpuBudget mine = ReadCpuBudget();
  if (mine.usable() < 2) GTEST_SKIP() << "this machine lets the server use one CPU: " << mine.Describe();
  Start(Config());
  log = ReadText(dir_ / "stderr");
  EXPECT_NE(log.find("INFO skiff-server: inline scoring: off (auto: " + std::to_string(mine.usable()) +
                     " CPUs"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace skiff::dataplane
