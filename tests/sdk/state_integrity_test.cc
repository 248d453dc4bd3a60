// SPDX-License-Identifier: Apache-2.0
// Issue 21 item 1 (docs/reliability.md "Issue 21: state integrity"), through
// the real CLI on the local target: a change the target or the running
// server refuses comes back at once with the reason, and leaves the record,
// the server's config file and later commands as they were.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"
#include "skiff/store/workspace_store.h"

namespace {

using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";
// Far below the 10 minutes a refused change used to wait; generous for a
// loaded machine.
constexpr std::chrono::seconds kPrompt{60};

using skiff::testing::Bearer;
using skiff::testing::ParseUri;
using skiff::testing::Uri;

class StateWorkflow : public skiff::testing::LocalWorkflowFixture {
 protected:
  void SetUp() override {
    LocalWorkflowFixture::SetUp();
    if (HasFatalFailure()) return;
    // An inference config every client-side check accepts and the server
    // refuses: no libskiff_accelerator_onnx.so is built.
    json bad = json::parse(Slurp(ic_));
    bad["accelerator"] = "onnx";
    bad_ic_ = Path("onnx-ic.json");
    Spit(bad_ic_, bad.dump());
  }
  // Runs the CLI and how long it took.
  std::pair<Result, std::chrono::seconds> Timed(const std::vector<std::string>& args) {
    const auto start = std::chrono::steady_clock::now();
    Result r = Skiff(args);
    return {r, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                start)};
  }
  skiff::store::ServiceRecord Stored(const std::string& name) {
    auto store = skiff::store::WorkspaceStore::Open(Path("ws"));
    EXPECT_TRUE(store.ok());
    auto record = (*store)->GetService(name);
    EXPECT_TRUE(record.ok()) << record.status().message();
    return record.ok() ? *record : skiff::store::ServiceRecord{};
  }

  std::string bad_ic_;
};

// A refused change that would have turned sticky routing on leaves no
// trace: the routing salt made for it is removed with the refusal.
TEST_F(StateWorkflow, ARefusedChangeLeavesNoRoutingSalt) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "-ct", "local", "-ic",
                           ic_, "-dc", Dc(json::object()), "-o", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  const std::string salt_file = Path("ws/keys/svc.routing-salt");
  Result refused = Skiff({"service", "update", "-n", "svc", "-ic", bad_ic_, "-dc",
                          Dc({{"routingKey", {{"header", "x-user-id"}}}})});
  EXPECT_NE(refused.rc, 0);
  EXPECT_NE(refused.err.find("refused the change"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(salt_file)) << "the refused change left its salt behind";
}

// `service update --ic` with a config the server refuses used to wait 10
// minutes, keep the refused config in the store and in server.json, and make
// the next regen-key hang and leave get-keys showing a key the server rejects.
TEST_F(StateWorkflow, RefusedInferenceConfigComesBackAtOnceAndChangesNothing) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "-ct", "local", "-ic",
                           ic_, "-dc", Dc(json::object()), "-o", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  const std::string before_ic = Stored("svc").inference_config_json;
  const std::string uri = json::parse(deployed.out)["scoringUri"];

  auto [refused, took] = Timed({"service", "update", "-n", "svc", "-ic", bad_ic_});
  EXPECT_NE(refused.rc, 0);
  EXPECT_LT(took, kPrompt) << "a refusal comes back at once";
  EXPECT_NE(refused.err.find("refused the change"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("onnx"), std::string::npos) << "the server's reason: " << refused.err;

  // The record, the state and the server's config file all say what is served.
  EXPECT_EQ(Stored("svc").inference_config_json, before_ic);
  json shown = Json({"service", "show", "-n", "svc", "-o", "json"});
  EXPECT_EQ(shown["state"], "Healthy");
  EXPECT_FALSE(shown.contains("error")) << shown;
  EXPECT_EQ(shown["scoringUri"], uri);
  const std::string server_json = Slurp(Path("ws/services/svc/server.json"));
  EXPECT_EQ(server_json.find("onnx"), std::string::npos)
      << "a restarted server must load the accepted config";

  // A server its supervisor restarts loads the accepted configuration.
  const int server_pid = json::parse(Slurp(Path("ws/services/svc/supervisor.json")))["serverPid"];
  ASSERT_GT(server_pid, 0);
  ASSERT_EQ(::kill(server_pid, SIGKILL), 0);
  const auto deadline = std::chrono::steady_clock::now() + kPrompt;
  for (;;) {
    json state = json::parse(Slurp(Path("ws/services/svc/supervisor.json")), nullptr, false);
    if (state.is_object() && state.value("serverPid", 0) != server_pid &&
        Json({"service", "show", "-n", "svc", "-o", "json"})["state"] == "Healthy") {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "not Healthy again: " << state;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  // The next key rotation works and get-keys shows what the server accepts.
  auto [regen, regen_took] = Timed({"service", "regen-key", "-n", "svc", "--key", "Primary"});
  ASSERT_EQ(regen.rc, 0) << regen.err;
  EXPECT_LT(regen_took, kPrompt);
  const std::string key = Json({"service", "get-keys", "-n", "svc", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(uri);
  EXPECT_EQ(HttpClient(u.port).Post(u.path, kScore, Bearer(key)).status, 200);

  // And an accepted change after the refusal is applied as asked.
  json ic = json::parse(Slurp(ic_));
  ic["threads"] = {{"intraOp", 2}, {"interOp", 1}};
  Spit(Path("ic2.json"), ic.dump());
  Result accepted = Skiff({"service", "update", "-n", "svc", "-ic", Path("ic2.json")});
  ASSERT_EQ(accepted.rc, 0) << accepted.err;
  EXPECT_NE(Stored("svc").inference_config_json.find("intraOp"), std::string::npos);
}

// `--dc '{"port": N}'` used to leave `service list` at Failed for a healthy
// service and block every later update until `{"port": null}`.
TEST_F(StateWorkflow, PortChangeIsRefusedAtOnceAndLaterUpdatesWork) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:1", "-ct", "local", "-ic",
                           ic_, "-dc", Dc(json::object()), "-o", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  const std::string uri = json::parse(deployed.out)["scoringUri"];
  const std::string before_dc = Stored("svc").deployment_config_json;

  // A port another process holds.
  int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  auto [refused, took] = Timed({"service", "update", "-n", "svc", "-dc", Dc({{"port", port}})});
  ::close(taken);
  EXPECT_NE(refused.rc, 0);
  EXPECT_LT(took, kPrompt);
  EXPECT_NE(refused.err.find("port " + std::to_string(port)), std::string::npos) << refused.err;

  EXPECT_EQ(Stored("svc").deployment_config_json, before_dc);
  json list = Json({"service", "list", "-o", "json"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["state"], "Healthy") << list;
  EXPECT_EQ(list[0]["scoringUri"], uri);

  Result later = Skiff({"service", "update", "-n", "svc", "-dc", Dc({{"scoringTimeoutMs", 5000}})});
  ASSERT_EQ(later.rc, 0) << later.err;
  EXPECT_NE(Stored("svc").deployment_config_json.find("5000"), std::string::npos);
  EXPECT_EQ(Json({"service", "show", "-n", "svc", "-o", "json"})["state"], "Healthy");
}

// The endpoint verbs follow the same rule: a version the server refuses is
// not recorded, and the endpoint keeps serving the versions it had.
TEST_F(StateWorkflow, RefusedEndpointVersionIsNotRecorded) {
  Result created = Skiff({"endpoint", "create", "-n", "ep1", "-ct", "local", "--version-name",
                          "blue", "-m", "mlp:1", "-ic", ic_, "-dc", Dc(json::object())});
  ASSERT_EQ(created.rc, 0) << created.err;

  auto [refused, took] =
      Timed({"endpoint", "create-version", "-n", "ep1", "--version-name", "green", "-m", "mlp:1",
             "-ic", bad_ic_, "--traffic-percentile", "10"});
  EXPECT_NE(refused.rc, 0);
  EXPECT_LT(took, kPrompt);
  EXPECT_NE(refused.err.find("refused the change"), std::string::npos) << refused.err;
  json shown = Json({"endpoint", "show", "-n", "ep1", "-o", "json"});
  ASSERT_EQ(shown["versions"].size(), 1u) << shown;
  EXPECT_EQ(shown["versions"][0]["name"], "blue") << shown;
  EXPECT_EQ(Stored("ep1").models.size(), 1u);

  // The same version with an accepted config is created as usual.
  Result good = Skiff({"endpoint", "create-version", "-n", "ep1", "--version-name", "green", "-m",
                       "mlp:1", "-ic", ic_, "--traffic-percentile", "10"});
  ASSERT_EQ(good.rc, 0) << good.err;
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep1", "-o", "json"})["versions"].size(), 2u);
}

}  // namespace
