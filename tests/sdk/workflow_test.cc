// SPDX-License-Identifier: Apache-2.0
// The workflow end to end on the local target, through the real CLI: register,
// create the local target, deploy (a supervised skiff-server process with the
// torch plugin and the bundled MLP), show, keys, tokens, run, update, delete.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"
#include "skiff/store/workspace_store.h"

namespace {

using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Reply;
using skiff::testing::Result;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";

using skiff::testing::Bearer;
using skiff::testing::ParseUri;
using skiff::testing::Uri;

class Workflow : public skiff::testing::LocalWorkflowFixture {
 protected:
  json Deploy(const std::string& name, const json& dc = json::object()) {
    Result r = Skiff({"model", "deploy", "-n", name, "-m", "mlp:1", "-ct", "local", "-ic", ic_,
                      "-dc", Dc(dc), "-o", "json"});
    EXPECT_EQ(r.rc, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
};

TEST_F(Workflow, DeployShowScoreRotateKeysAndDelete) {
  json shown = Deploy("svc");
  ASSERT_TRUE(shown.is_object());
  EXPECT_EQ(shown["name"], "svc");
  EXPECT_EQ(shown["state"], "Healthy");
  EXPECT_EQ(shown["computeType"], "local");
  EXPECT_EQ(shown["models"], json({"mlp:1"}));
  EXPECT_EQ(shown["authEnabled"], true);
  EXPECT_EQ(shown["tokenAuthEnabled"], false);
  const std::string uri = shown["scoringUri"];
  EXPECT_NE(uri.find("/api/v1/service/svc/score"), std::string::npos);
  EXPECT_NE(shown["swaggerUri"].get<std::string>().find("/swagger.json"), std::string::npos);

  json keys = Json({"service", "get-keys", "-n", "svc", "-o", "json"});
  const std::string primary = keys["primaryKey"], secondary = keys["secondaryKey"];
  EXPECT_GE(primary.size(), 43u);
  EXPECT_NE(primary, secondary);
  // Keys rest in a 0600 file; the server only ever sees their digests.
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(Path("ws/keys/svc.json")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const std::string server_json = skiff::testing::Slurp(Path("ws/services/svc/server.json"));
  EXPECT_NE(server_json.find("keySha256"), std::string::npos);
  EXPECT_EQ(server_json.find(primary), std::string::npos);

  Result run = Skiff({"service", "run", "-n", "svc", "-d", kScore});
  ASSERT_EQ(run.rc, 0) << run.err;
  EXPECT_EQ(json::parse(run.out)["result"][0].size(), 3u) << run.out;

  Uri u = ParseUri(uri);
  HttpClient c(u.port);
  EXPECT_EQ(c.Post(u.path, kScore).status, 401);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(secondary)).status, 200);
  EXPECT_EQ(c.Post("/v2/models/svc/infer",
                   R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})",
                   Bearer(primary))
                .status,
            200);
  // Azure ML's LocalWebservice path and swagger health route, on the real
  // local target (issue 23 item 6): same answer, same key.
  EXPECT_EQ(c.Post("/score", kScore).status, 401);
  Reply local = c.Post("/score", kScore, Bearer(secondary));
  EXPECT_EQ(local.status, 200);
  EXPECT_EQ(json::parse(local.body), json::parse(run.out));
  EXPECT_EQ(c.Get("/").body, "Healthy");

  // Regenerating the primary key: the old one stops at once, the secondary keeps working.
  json regen = Json({"service", "regen-key", "-n", "svc", "--key", "Primary", "-o", "json"});
  EXPECT_NE(regen["primaryKey"], primary);
  EXPECT_EQ(regen["secondaryKey"], secondary);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(primary)).status, 401);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(regen["primaryKey"])).status, 200);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(secondary)).status, 200);

  Result logs = Skiff({"service", "get-logs", "-n", "svc", "--num-lines", "100"});
  EXPECT_NE(logs.out.find("listening on"), std::string::npos) << logs.out;

  ASSERT_EQ(Skiff({"service", "delete", "-n", "svc"}).rc, 0);
  EXPECT_EQ(Json({"service", "list", "-o", "json"}).size(), 0u);
  HttpClient after(u.port);
  EXPECT_THROW(after.Get("/v2/health/live"), std::exception) << "the server is gone";
}

// Issue 20.4: OIP metadata of a deployed service names the platform the
// torch plugin reports and the registered model version (-m mlp:2 -> "2"),
// and the version route takes that version, as tritonclient would send it.
TEST_F(Workflow, MetadataNamesPlatformAndRegisteredModelVersion) {
  ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", model_}).rc, 0);  // mlp:2
  Result r = Skiff({"model", "deploy", "-n", "svc", "-m", "mlp:2", "-ct", "local", "-ic", ic_,
                    "-dc", Dc(json::object()), "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  Uri u = ParseUri(json::parse(r.out)["scoringUri"]);
  const std::string key = Json({"service", "get-keys", "-n", "svc", "-o", "json"})["primaryKey"];
  HttpClient c(u.port);
  Reply meta = c.Get("/v2/models/svc");
  ASSERT_EQ(meta.status, 200) << meta.body;
  json body = json::parse(meta.body);
  EXPECT_EQ(body["name"], "svc");
  EXPECT_EQ(body["platform"], "pytorch_libtorch") << meta.body;
  EXPECT_EQ(body["versions"], json({"2"})) << meta.body;
  EXPECT_EQ(json::parse(c.Get("/v2/models/svc/versions/2").body)["platform"], "pytorch_libtorch");
  EXPECT_EQ(
      c.Post("/v2/models/svc/versions/2/infer",
             R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})",
             Bearer(key))
          .status,
      200);
  EXPECT_EQ(c.Get("/v2/models/svc/versions/1").status, 404);
}

TEST_F(Workflow, TokenAuthService) {
  Deploy("tok", {{"authEnabled", false}, {"tokenAuthEnabled", true}});
  json token = Json({"service", "get-access-token", "-n", "tok", "-o", "json"});
  ASSERT_TRUE(token.contains("accessToken"));
  EXPECT_EQ(token["tokenType"], "Bearer");
  EXPECT_LT(token["refreshBy"].get<int64_t>(), token["expiryOn"].get<int64_t>());
  Uri u = ParseUri(Json({"service", "show", "-n", "tok", "-o", "json"})["scoringUri"]);
  HttpClient c(u.port);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(token["accessToken"])).status, 200);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer("not-a-token")).status, 401);
  ExpectOneLineError(Skiff({"service", "get-keys", "-n", "tok"}), "does not use key auth");
}

// Issue 21 item 3: Azure ML's `{"tokenAuthEnabled": true}` alone deploys with
// token auth (it was refused: authEnabled defaulted to true beside it).
TEST_F(Workflow, TokenAuthEnabledAloneMeansTokenAuth) {
  Deploy("tok1", {{"tokenAuthEnabled", true}});
  json shown = Json({"service", "show", "-n", "tok1", "-o", "json"});
  EXPECT_EQ(shown["authEnabled"], false);
  EXPECT_EQ(shown["tokenAuthEnabled"], true);
  json token = Json({"service", "get-access-token", "-n", "tok1", "-o", "json"});
  ASSERT_TRUE(token.contains("accessToken"));
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(token["accessToken"])).status, 200);
  EXPECT_EQ(c.Post(u.path, kScore).status, 401);
  ExpectOneLineError(Skiff({"service", "get-keys", "-n", "tok1"}), "does not use key auth");
}

TEST_F(Workflow, UpdateRollsOverWithoutAFailedRequest) {
  json shown = Deploy("upd");
  const std::string key = Json({"service", "get-keys", "-n", "upd", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread client([&] {
    HttpClient c(u.port);
    while (!stop) {
      int status = c.Post(u.path, kScore, Bearer(key)).status;
      (status == 200 ? ok : failed)++;
    }
  });
  while (ok.load() < 20) std::this_thread::yield();
  // A new model version and a changed inference config: the server loads and
  // warms the new version before it takes traffic.
  ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", model_}).rc, 0);
  json ic = json::parse(skiff::testing::Slurp(ic_));
  ic["threads"] = {{"intraOp", 2}, {"interOp", 1}};
  skiff::testing::Spit(Path("ic2.json"), ic.dump());
  Result r = Skiff({"service", "update", "-n", "upd", "-m", "mlp:2", "-ic", Path("ic2.json")});
  int after_update = ok.load();
  while (ok.load() < after_update + 20) std::this_thread::yield();
  stop = true;
  client.join();
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(Json({"service", "show", "-n", "upd", "-o", "json"})["models"], json({"mlp:2"}));
}

TEST_F(Workflow, SecondOperationWhileOneIsInProgressIsRefused) {
  Deploy("busy");
  {
    auto store = skiff::store::WorkspaceStore::Open(Path("ws"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->BeginOperation("busy", "update").ok());
  }
  ExpectOneLineError(Skiff({"service", "regen-key", "-n", "busy", "--key", "Secondary"}),
                     "operation in progress");
  auto store = skiff::store::WorkspaceStore::Open(Path("ws"));
  ASSERT_TRUE((*store)->EndOperation("busy").ok());
  EXPECT_EQ(Skiff({"service", "regen-key", "-n", "busy", "--key", "Secondary"}).rc, 0);
}

TEST_F(Workflow, EndpointWithTwoVersionsSplitsTraffic) {
  ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", model_}).rc, 0);
  Result created = Skiff({"endpoint", "create", "-n", "ep1", "-ct", "local", "--version-name",
                          "blue", "-m", "mlp:1", "-ic", ic_, "-dc", Dc(json::object())});
  ASSERT_EQ(created.rc, 0) << created.err;
  ASSERT_EQ(Skiff({"endpoint", "create-version", "-n", "ep1", "--version-name", "green", "-m",
                   "mlp:2", "-ic", ic_, "--traffic-percentile", "10"})
                .rc,
            0);
  Result upd = Skiff({"endpoint", "update-version", "-n", "ep1", "--version-name", "blue",
                      "--traffic-percentile", "90"});
  ASSERT_EQ(upd.rc, 0) << upd.err;
  json shown = Json({"endpoint", "show", "-n", "ep1", "-o", "json"});
  ASSERT_EQ(shown["versions"].size(), 2u);
  EXPECT_EQ(shown["versions"][0]["trafficPercentile"].get<int>() +
                shown["versions"][1]["trafficPercentile"].get<int>(),
            100);
  const std::string key = Json({"endpoint", "get-keys", "-n", "ep1", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  std::map<std::string, int> served;
  for (int i = 0; i < 400; ++i) {
    auto reply = c.Post(u.path, kScore, Bearer(key));
    ASSERT_EQ(reply.status, 200);
    served[reply.header("azureml-model-deployment")]++;
  }
  EXPECT_GT(served["green"], 10);
  EXPECT_GT(served["blue"], 300);
  EXPECT_EQ(served["blue"] + served["green"], 400);
  // Invalid splits are refused with the rule named.
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep1", "--version-name", "green",
                            "--traffic-percentile", "20"}),
                     "more than 100");
  ASSERT_EQ(Skiff({"endpoint", "delete-version", "-n", "ep1", "--version-name", "green"}).rc, 0);
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep1", "-o", "json"})["versions"].size(), 1u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(c.Post(u.path, kScore, Bearer(key)).header("azureml-model-deployment"), "blue");
  }
}

// Issue 21 item 3: version names follow Azure ML's AksEndpoint rule (1-32
// characters), not the service rule (3-32): `--help`'s `--version-name v1`
// used to fail.
TEST_F(Workflow, EndpointVersionNamedV1AsInHelp) {
  Result created = Skiff({"endpoint", "create", "-n", "ep3", "-ct", "local", "--version-name",
                          "v1", "-m", "mlp:1", "-ic", ic_, "-dc", Dc(json::object())});
  ASSERT_EQ(created.rc, 0) << created.err;
  json shown = Json({"endpoint", "show", "-n", "ep3", "-o", "json"});
  ASSERT_EQ(shown["versions"].size(), 1u);
  EXPECT_EQ(shown["versions"][0]["name"], "v1");
  const std::string key = Json({"endpoint", "get-keys", "-n", "ep3", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  auto reply = c.Post(u.path, kScore, Bearer(key));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("azureml-model-deployment"), "v1");
  ExpectOneLineError(Skiff({"endpoint", "create-version", "-n", "ep3", "--version-name", "V2",
                            "-m", "mlp:1", "-ic", ic_, "--traffic-percentile", "10"}),
                     "--version-name 'V2' is invalid: use 1-32 lowercase letters, digits or '-', "
                     "starting with a letter and ending with a letter or digit");
}

// Issue 17 item 1: the SDK assigned the server's one auth plugin inside its
// loop over versions, so the last version's `auth` silently won.
TEST_F(Workflow, VersionsNamingDifferentAuthPluginsAreRefused) {
  ASSERT_EQ(Skiff({"model", "register", "-n", "mlp", "-p", model_}).rc, 0);
  Result created = Skiff({"endpoint", "create", "-n", "ep2", "-ct", "local", "--version-name",
                          "blue", "-m", "mlp:1", "-ic", ic_, "-dc", Dc(json::object())});
  ASSERT_EQ(created.rc, 0) << created.err;
  std::ifstream in(ic_);
  json other = json::parse(in);
  other["auth"] = "other";
  const std::string other_ic = Path("other-ic.json");
  skiff::testing::Spit(other_ic, other.dump());
  ExpectOneLineError(Skiff({"endpoint", "create-version", "-n", "ep2", "--version-name", "green",
                            "-m", "mlp:1", "-ic", other_ic, "--traffic-percentile", "10"}),
                     "an endpoint has one authenticator");
}

// Issue 16 item 12: SIGKILL of a service's skiff-supervisor used to leave
// the service down (connections refused) until `deploy --overwrite`, while
// `service list` kept showing the cached "Healthy".
TEST_F(Workflow, AKilledSupervisorIsRevivedByTheNextCommand) {
  namespace fs = std::filesystem;
  json shown = Deploy("svc");
  ASSERT_EQ(shown["state"], "Healthy");
  const Uri u = ParseUri(shown["scoringUri"]);
  const std::string key = Json({"service", "get-keys", "-n", "svc", "-o", "json"})["primaryKey"];
  auto kill_supervisor = [&] {
    const std::string text = skiff::testing::Slurp(Path("ws/services/svc/supervisor.pid"));
    const pid_t pid = static_cast<pid_t>(std::stol(text));
    EXPECT_EQ(::kill(pid, SIGKILL), 0);
    // Down: its server follows it (PDEATHSIG) and the port closes.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
      try {
        HttpClient(u.port).Get("/v2/health/live");
      } catch (const std::exception&) {
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  const std::string revived =
      "skiff: service 'svc' was down (its supervisor had exited); started it again\n";

  // The next command that touches the service brings it back, and says so once.
  ASSERT_TRUE(kill_supervisor()) << "the service did not go down";
  Result run = Skiff({"service", "run", "-n", "svc", "-d", kScore});
  ASSERT_EQ(run.rc, 0) << run.err;
  EXPECT_EQ(run.err, revived);
  EXPECT_EQ(json::parse(run.out)["result"][0].size(), 3u) << run.out;
  EXPECT_EQ(HttpClient(u.port).Post(u.path, kScore, Bearer(key)).status, 200) << "same URI";

  // `service list` reports the live state and counts the revival.
  json list = Json({"service", "list", "-o", "json"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["state"], "Healthy");
  EXPECT_EQ(list[0]["restarts"], 1);
  // ... and brings a dead service back itself.
  ASSERT_TRUE(kill_supervisor());
  Result listed = Skiff({"service", "list", "-o", "json"});
  ASSERT_EQ(listed.rc, 0) << listed.err;
  EXPECT_EQ(listed.err, revived);
  list = json::parse(listed.out);
  EXPECT_EQ(list[0]["state"], "Healthy");
  EXPECT_EQ(list[0]["restarts"], 2);

  // A service that cannot come back is listed as it is, not as last seen.
  const std::string config = Path("ws/services/svc/server.json");
  ASSERT_TRUE(kill_supervisor());
  fs::rename(config, config + ".away");
  listed = Skiff({"service", "list", "-o", "json"});
  ASSERT_EQ(listed.rc, 0) << listed.err;
  EXPECT_NE(listed.err.find("skiff: warning: service 'svc' is down and could not be started again"),
            std::string::npos)
      << listed.err;
  list = json::parse(listed.out);
  EXPECT_EQ(list[0]["state"], "Failed");
  EXPECT_NE(list[0]["error"].get<std::string>().find("is not running"), std::string::npos)
      << list[0];
  fs::rename(config + ".away", config);

  // `service restart` starts a new supervisor and server on the same URI.
  Result restarted = Skiff({"service", "restart", "-n", "svc", "-o", "json"});
  ASSERT_EQ(restarted.rc, 0) << restarted.err;
  json after = json::parse(restarted.out);
  EXPECT_EQ(after["state"], "Healthy");
  EXPECT_EQ(after["scoringUri"], shown["scoringUri"]);
  EXPECT_EQ(after["restarts"], 2) << "a requested restart is not counted";
  EXPECT_EQ(HttpClient(u.port).Post(u.path, kScore, Bearer(key)).status, 200);
  Result again = Skiff({"service", "restart", "-n", "svc"});
  EXPECT_EQ(again.rc, 0) << again.err;
}

TEST_F(Workflow, ErrorsAreOneClearLine) {
  ExpectOneLineError(Skiff({"model", "deploy", "-n", "bad-target", "-m", "mlp:1", "-ct", "nowhere", "-ic",
                            ic_}),
                     "compute target 'nowhere' does not exist");
  ExpectOneLineError(Skiff({"model", "deploy", "-n", "bad-config", "-m", "mlp:1", "-ct", "local", "-ic",
                            ic_, "-dc", Dc({{"autoScaler", {{"minReplica", 2}}}})}),
                     "$.autoScaler.minReplica");
  ExpectOneLineError(Skiff({"model", "deploy", "-n", "Bad_Name", "-m", "mlp:1", "-ct", "local",
                            "-ic", ic_}),
                     "service name 'Bad_Name' is invalid");
  ExpectOneLineError(Skiff({"service", "show", "-n", "ghost"}), "service 'ghost' does not exist");
  ExpectOneLineError(Skiff({"model", "deploy", "-n", "bad-model", "-m", "mlp:9", "-ct", "local", "-ic",
                            ic_}),
                     "mlp");
}

TEST_F(Workflow, EveryCommandHelpShowsAnExample) {
  const std::vector<std::vector<std::string>> commands = {
      {"model", "deploy"},           {"service", "list"},          {"service", "show"},
      {"service", "get-keys"},       {"service", "regen-key"},     {"service", "get-access-token"},
      {"service", "get-logs"},       {"service", "update"},        {"service", "delete"},
      {"service", "run"},            {"endpoint", "create"},       {"endpoint", "create-version"},
      {"endpoint", "update-version"}, {"endpoint", "delete-version"}, {"endpoint", "show"},
      {"endpoint", "list"},          {"endpoint", "delete"},       {"endpoint", "get-keys"},
      {"endpoint", "regen-key"},     {"endpoint", "get-access-token"}, {"service", "restart"},
      {"computetarget", "create", "local"}, {"computetarget", "list"}, {"plugins", "list"}};
  for (auto args : commands) {
    args.push_back("--help");
    Result r = Skiff(args);
    EXPECT_EQ(r.rc, 0) << args[0] << " " << args[1];
    EXPECT_NE(r.out.find("Example:"), std::string::npos) << args[0] << " " << args[1];
  }
}

}  // namespace
