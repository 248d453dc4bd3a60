// SPDX-License-Identifier: Apache-2.0
// Issue 21 items 5 and 7 through the real CLI on the local target
// (docs/reliability.md "Issue 21: parity (local target)"): every model of a
// multi-model deploy is served at its own route, a simulated reboot is
// undone by `service start --all`, and the systemd unit that runs it at boot
// is written with the right ExecStart. Traffic only to loopback.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Bearer;
using skiff::testing::HttpClient;
using skiff::testing::ParseUri;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;
using skiff::testing::Uri;
using Clock = std::chrono::steady_clock;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";
const char* kInfer =
    R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})";

class LocalParity : public skiff::testing::LocalWorkflowFixture {
 protected:
  std::vector<std::string> ModelNames() const override { return {"alpha", "beta"}; }
  void SetUp() override {
    LocalWorkflowFixture::SetUp();
    dc_ = Path("dc.json");
    Spit(dc_, "{}");
  }
  std::string Key(const std::string& service) {
    return Json({"service", "get-keys", "-n", service, "-o", "json"})["primaryKey"];
  }
  // The supervisor and server pids of a deployed service.
  std::pair<int, int> Pids(const std::string& service) {
    json s =
        json::parse(Slurp(Path("ws/services/" + service + "/supervisor.json")), nullptr, false);
    if (!s.is_object()) return {0, 0};
    return {s.value("pid", 0), s.value("serverPid", 0)};
  }
  static bool Gone(int pid) {
    for (auto deadline = Clock::now() + std::chrono::seconds(15); Clock::now() < deadline;) {
      if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
      // A zombie counts as gone: its parent (the supervisor) is dead too.
      const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
      const size_t paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string dc_;
};

// 21.5: `-m alpha:1 -m beta:1` listed both models and served only alpha.
// Now each is served at /v2/models/{model}/infer, and /score (and
// /v2/models/{service}) goes to the first.
TEST_F(LocalParity, EveryModelOfAMultiModelDeployIsServedAtItsOwnRoute) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc", "-m", "alpha:1", "-m", "beta:1", "-ct",
                           "local", "-ic", ic_, "-dc", dc_, "-o", "json"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  json shown = json::parse(deployed.out);
  EXPECT_EQ(shown["models"], json::array({"alpha:1", "beta:1"}));
  const std::string key = Key("svc");
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  for (const char* model : {"alpha", "beta"}) {
    auto r = c.Post(std::string("/v2/models/") + model + "/infer", kInfer, Bearer(key));
    EXPECT_EQ(r.status, 200) << model << ": " << r.body;
    EXPECT_EQ(r.header("azureml-model-deployment"), model);
  }
  auto score = c.Post(u.path, kScore, Bearer(key));
  EXPECT_EQ(score.status, 200) << score.body;
  EXPECT_EQ(score.header("azureml-model-deployment"), "alpha") << "/score goes to the first -m";
  auto by_service = c.Post("/v2/models/svc/infer", kInfer, Bearer(key));
  EXPECT_EQ(by_service.status, 200);
  EXPECT_EQ(by_service.header("azureml-model-deployment"), "alpha");
  EXPECT_EQ(c.Post("/v2/models/gamma/infer", kInfer, Bearer(key)).status, 404);
  // `service show` says how the resource requirements hold the server.
  const std::string resources =
      Json({"service", "show", "-n", "svc", "-o", "json"}).value("resources", "");
  EXPECT_NE(resources.find("CPU affinity"), std::string::npos) << resources;
}

// Two versions of one model cannot both have /v2/models/{model}: refused.
TEST_F(LocalParity, TwoVersionsOfOneModelInOneServiceAreRefusedWithTheFix) {
  ASSERT_EQ(Skiff({"model", "register", "-n", "alpha", "-p", model_}).rc, 0);  // alpha:2
  Result r = Skiff({"model", "deploy", "-n", "svc", "-m", "alpha:1", "-m", "alpha:2", "-ct",
                    "local", "-ic", ic_, "-dc", dc_});
  ExpectOneLineError(r, "skiff endpoint create");
  EXPECT_EQ(Json({"service", "list", "-o", "json"}).size(), 0u);
}

// An endpoint version listed several models and served the first: refused.
TEST_F(LocalParity, AnEndpointVersionOfSeveralModelsIsRefusedWithTheFix) {
  Result r = Skiff({"endpoint", "create", "-n", "my-ep", "-ct", "local", "--version-name", "blue",
                    "-m", "alpha:1", "-m", "beta:1", "-ic", ic_, "-dc", dc_});
  ExpectOneLineError(r, "a version per model");
  EXPECT_EQ(Json({"service", "list", "-o", "json"}).size(), 0u);
}

// 21.7: after every supervisor and server is killed (what a reboot leaves),
// `service start --all` brings every service back on its scoring URI.
TEST_F(LocalParity, StartAllBringsEveryServiceBackAfterASimulatedReboot) {
  std::map<std::string, std::string> uris;
  for (const char* name : {"one", "two"}) {
    Result r = Skiff({"model", "deploy", "-n", name, "-m", "alpha:1", "-ct", "local", "-ic", ic_,
                      "-dc", dc_, "-o", "json"});
    ASSERT_EQ(r.rc, 0) << r.err;
    uris[name] = json::parse(r.out)["scoringUri"];
  }
  for (const auto& [name, uri] : uris) {
    auto [supervisor, server] = Pids(name);
    ASSERT_GT(supervisor, 0);
    ASSERT_GT(server, 0);
    ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
    ASSERT_EQ(::kill(server, SIGKILL), 0);
    ASSERT_TRUE(Gone(supervisor) && Gone(server)) << name;
  }
  Result started = Skiff({"service", "start", "--all", "-o", "json"});
  ASSERT_EQ(started.rc, 0) << started.err;
  json rows = json::parse(started.out);
  ASSERT_EQ(rows.size(), 2u) << started.out;
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "Healthy") << row;
    EXPECT_EQ(row["started"], true) << row;
    const std::string name = row["name"];
    EXPECT_EQ(row["scoringUri"], uris[name]) << "the scoring URI is kept";
    Uri u = ParseUri(uris[name]);
    HttpClient c(u.port);
    EXPECT_EQ(c.Post(u.path, kScore, Bearer(Key(name))).status, 200) << name;
  }
  // Nothing down: nothing started, still exit 0.
  json again = Json({"service", "start", "--all", "-o", "json"});
  for (const auto& row : again) EXPECT_EQ(row["started"], false) << row;
}

// 21.7: the address given at create reaches every service of the target:
// stored with the target, written to server.json, bound; scored over loopback.
TEST_F(LocalParity, ServicesOfATargetCreatedWithAnAddressListenThere) {
  Result created = Skiff({"computetarget", "create", "local", "-n", "lan", "--address", "0.0.0.0"});
  ASSERT_EQ(created.rc, 0) << created.err;
  Result bad = Skiff({"computetarget", "create", "local", "-n", "named", "--address", "lan-host"});
  ExpectOneLineError(bad, "`address` 'lan-host' is not an IPv4 or IPv6 address");
  // One replica with the default 0.5 GB: a torch server (~0.8 GB of address
  // space before it allocates) must still load where there is no cgroup v2.
  const std::string one = Path("dc-one.json");
  Spit(one, R"({"numReplicas": 1})");
  Result r = Skiff({"model", "deploy", "-n", "svc", "-m", "alpha:1", "-ct", "lan", "-ic", ic_,
                    "-dc", one, "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  json server = json::parse(Slurp(Path("ws/services/svc/server.json")), nullptr, false);
  EXPECT_EQ(server.value("address", ""), "0.0.0.0");
  const std::string uri = json::parse(r.out)["scoringUri"];
  EXPECT_EQ(uri.rfind("http://127.0.0.1:", 0), 0u) << uri;
  Uri u = ParseUri(uri);
  HttpClient c(u.port);
  EXPECT_EQ(c.Post(u.path, kScore, Bearer(Key("svc"))).status, 200);
}

// 21.7: the unit runs `skiff -w <workspace> service start --all` at boot; it
// is written, not installed or started.
TEST_F(LocalParity, TheSystemdUnitStartsEveryServiceOfTheWorkspace) {
  const std::string unit = Path("skiff-services.service");
  Result r = Skiff({"computetarget", "create", "local", "-n", "lan", "--address", "0.0.0.0",
                    "--systemd-unit", unit});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("over plain HTTP"), std::string::npos) << "warned: " << r.err;
  const std::string text = Slurp(unit);
  const std::string ws = std::filesystem::canonical(Path("ws")).string();
  EXPECT_NE(text.find("\nExecStart=" +
                      std::filesystem::canonical(skiff::testing::SkiffBinary()).string() + " -w " +
                      ws + " service start --all\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nType=oneshot\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nRemainAfterExit=yes\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nWantedBy=multi-user.target\n"), std::string::npos) << text;
  if (::access("/usr/bin/systemd-analyze", X_OK) == 0) {
    const std::string cmd = "/usr/bin/systemd-analyze verify " + skiff::testing::Quote(unit) +
                            " >" + skiff::testing::Quote(Path("verify.out")) + " 2>&1";
    const int rc = std::system(cmd.c_str());
    // Only complaints about this unit count; the host's own units may have some.
    const std::string out = Slurp(Path("verify.out"));
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out.find("skiff-services.service"), std::string::npos) << out;
  }
}

}  // namespace
