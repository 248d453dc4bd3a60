// SPDX-License-Identifier: Apache-2.0
// Issue 23 (docs/reliability.md "Issue 23: CLI polish"): `--log-format` and
// `--log-level` of the deploying commands on the local target, through the
// real `skiff` binary, skiff-supervisor and skiff-server: the lines
// `service get-logs` shows are in the format chosen. The aks target's
// rendering and the usage errors: cli_log_flags_test.cc.
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "cli_harness.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Result;
using skiff::testing::Slurp;

class CliLogFlagsLocal : public skiff::testing::LocalWorkflowFixture {
 protected:
  std::vector<std::string> Lines(const std::string& service) {
    Result logs = Skiff({"service", "get-logs", "-n", service});
    EXPECT_EQ(logs.rc, 0) << logs.err;
    std::vector<std::string> lines;
    std::istringstream in(logs.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }
};

// Before: a deployed service always logged text (the flag did not exist,
// and the SDK never wrote the server's logFormat). Now every line of the
// supervisor and the server is one JSON object; an update back to text
// reaches the running server at its reload.
TEST_F(CliLogFlagsLocal, DeployWithLogFormatJsonMakesTheServiceLogJsonLines) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc-json", "-m", "mlp:1", "-ct", "local",
                           "-ic", ic_, "--log-format", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  EXPECT_EQ(json::parse(Slurp(Path("ws/services/svc-json/server.json")))["logFormat"], "json");

  const std::vector<std::string> lines = Lines("svc-json");
  ASSERT_FALSE(lines.empty());
  std::set<std::string> loggers;
  for (const std::string& line : lines) {
    const json parsed = json::parse(line, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << "not a JSON line: " << line;
    for (const char* field : {"time", "level", "logger", "message"}) {
      EXPECT_TRUE(parsed.contains(field)) << field << " in " << line;
    }
    loggers.insert(parsed.value("logger", ""));
  }
  EXPECT_TRUE(loggers.count("skiff-server")) << lines.front();
  EXPECT_TRUE(loggers.count("skiff-supervisor")) << lines.front();

  // Back to text: the server reads logFormat again on the reload the update
  // makes, so its next lines are text (the supervisor's follow at its next
  // start: docs/logging.md).
  Result updated = Skiff({"service", "update", "-n", "svc-json", "--log-format", "text"});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  EXPECT_FALSE(json::parse(Slurp(Path("ws/services/svc-json/server.json"))).contains("logFormat"));
  bool text_line = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!text_line && std::chrono::steady_clock::now() < deadline) {
    for (const std::string& line : Lines("svc-json")) {
      if (line.find(" INFO skiff-server: ") != std::string::npos) text_line = true;
    }
    if (!text_line) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(text_line) << "no text line of skiff-server after the update";
}

// On an endpoint they are the endpoint's: `endpoint create` takes them, and
// a version's own --dc that names them is refused naming the key.
TEST_F(CliLogFlagsLocal, EndpointLogSettingsAreTheEndpointsNotAVersions) {
  Result created =
      Skiff({"endpoint", "create", "-n", "ep-log", "-ct", "local", "--version-name", "v1", "-m",
             "mlp:1", "-ic", ic_, "--log-format", "json", "--log-level", "warning"});
  ASSERT_EQ(created.rc, 0) << created.err;
  const json server = json::parse(Slurp(Path("ws/services/ep-log/server.json")));
  EXPECT_EQ(server["logFormat"], "json");
  EXPECT_EQ(server["logLevel"], "warning");
  ExpectOneLineError(Skiff({"endpoint", "create-version", "-n", "ep-log", "--version-name", "v2",
                            "-m", "mlp:1", "-ic", ic_, "--dc", Dc({{"logFormat", "text"}})}),
                     "`logFormat` is the endpoint's setting");
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep-log", "-o", "json"})["versions"].size(), 1u);
  // endpoint update changes the one given and keeps the other.
  Result updated = Skiff({"endpoint", "update", "-n", "ep-log", "--log-level", "debug"});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  const json after = json::parse(Slurp(Path("ws/services/ep-log/server.json")));
  EXPECT_EQ(after["logFormat"], "json");
  EXPECT_EQ(after["logLevel"], "debug");
}

}  // namespace
