// SPDX-License-Identifier: Apache-2.0
// Issue 21 items 3 and 4 (docs/reliability.md "Issue 21: parity (CLI)"),
// through the real `skiff` binary on the local target: the `az ml` verbs and
// flags the seed's snippets use, and endpoint versions with their own
// deployment configs.
#include <cstdlib>
#include <string>

#include "cli_harness.h"
#include "http2_probe.h"
#include "http_client.h"
#include "scoring_uri.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Bearer;
using skiff::testing::HttpClient;
using skiff::testing::ParseUri;
using skiff::testing::Quote;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;
using skiff::testing::Uri;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";

class CliParity : public skiff::testing::LocalWorkflowFixture {
 protected:
  void CreateEndpoint(const std::string& name, const json& dc = json::object()) {
    Result created = Skiff({"endpoint", "create", "-n", name, "-ct", "local", "--version-name",
                            "v1", "-m", "mlp:1", "-ic", ic_, "-dc", Dc(dc)});
    ASSERT_EQ(created.rc, 0) << created.err;
  }
  static const json* Version(const json& shown, const std::string& name) {
    for (const auto& v : shown["versions"]) {
      if (v["name"] == name) return &v;
    }
    return nullptr;
  }
};

// 21.3: the default version cannot be deleted while other versions remain
// (make another the default first), nor the last one; --help says so.
TEST_F(CliParity, DeletingTheDefaultVersionNeedsAnotherDefaultFirst) {
  CreateEndpoint("ep-del");
  ASSERT_EQ(Skiff({"endpoint", "create-version", "-n", "ep-del", "--version-name", "v2", "-m",
                   "mlp:1", "-ic", ic_})
                .rc,
            0);
  ExpectOneLineError(Skiff({"endpoint", "delete-version", "-n", "ep-del", "--version-name", "v1"}),
                     "is the default version");
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep-del", "-o", "json"})["versions"].size(), 2u)
      << "a refused delete changes nothing";
  Result made = Skiff({"endpoint", "update-version", "-n", "ep-del", "--version-name", "v2",
                       "--is-default", "true"});
  ASSERT_EQ(made.rc, 0) << made.err;
  Result deleted = Skiff({"endpoint", "delete-version", "-n", "ep-del", "--version-name", "v1"});
  ASSERT_EQ(deleted.rc, 0) << deleted.err;
  json shown = Json({"endpoint", "show", "-n", "ep-del", "-o", "json"});
  ASSERT_EQ(shown["versions"].size(), 1u);
  EXPECT_EQ(shown["versions"][0]["name"], "v2");
  ExpectOneLineError(Skiff({"endpoint", "delete-version", "-n", "ep-del", "--version-name", "v2"}),
                     "last version");
  Result help = Skiff({"endpoint", "delete-version", "--help"});
  EXPECT_NE(help.out.find("default"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--is-default true"), std::string::npos) << help.out;
}

// 21.4: create-version --dc gives the version its own replicas, concurrency,
// resources and probes (stored, shown, and in the local server's config for
// that version alone); update-version --dc merges into it; endpoint-wide
// settings in a version's --dc are refused with nothing changed.
TEST_F(CliParity, EndpointVersionsHaveTheirOwnDeploymentConfig) {
  CreateEndpoint("ep-dc", {{"scoringTimeoutMs", 20000}});
  const json own = {{"numReplicas", 2},
                    {"maxConcurrentRequestsPerContainer", 3},
                    {"containerResourceRequirements", {{"cpu", 0.5}, {"memoryInGB", 1}}},
                    {"livenessProbeRequirements", {{"periodSeconds", 7}}}};
  Result added = Skiff({"endpoint", "create-version", "-n", "ep-dc", "--version-name", "v2", "-m",
                        "mlp:1", "-ic", ic_, "--traffic-percentile", "50", "--dc", Dc(own), "--tag",
                        "stage=canary", "--description", "the canary"});
  ASSERT_EQ(added.rc, 0) << added.err;
  json shown = Json({"endpoint", "show", "-n", "ep-dc", "-o", "json"});
  const json* v1 = Version(shown, "v1");
  const json* v2 = Version(shown, "v2");
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ((*v2)["deploymentConfig"]["numReplicas"], 2);
  EXPECT_EQ((*v2)["deploymentConfig"]["maxConcurrentRequestsPerContainer"], 3);
  EXPECT_EQ((*v2)["deploymentConfig"]["cpu"], 0.5);
  EXPECT_EQ((*v2)["deploymentConfig"]["scoringTimeoutMs"], 20000) << "the rest is the endpoint's";
  EXPECT_EQ((*v2)["tags"], json({{"stage", "canary"}}));
  EXPECT_EQ((*v2)["description"], "the canary");
  EXPECT_EQ((*v1)["deploymentConfig"]["autoscaleEnabled"], true) << "v1 keeps the endpoint's";
  EXPECT_EQ((*v1)["tags"], json::object());

  // The local server runs v2 with its own config, v1 with the server's.
  json server = json::parse(Slurp(Path("ws/services/ep-dc/server.json")));
  for (const auto& v : server["versions"]) {
    if (v["name"] == "v2") {
      EXPECT_EQ(v["deploymentConfig"]["numReplicas"], 2);
      EXPECT_EQ(v["deploymentConfig"]["maxConcurrentRequestsPerContainer"], 3);
      EXPECT_EQ(v["deploymentConfig"]["authEnabled"], true) << "auth is the endpoint's";
      EXPECT_FALSE(v["deploymentConfig"].contains("keys"));
    } else {
      EXPECT_FALSE(v.contains("deploymentConfig"));
    }
  }
  // Both versions serve.
  const std::string key = Json({"endpoint", "get-keys", "-n", "ep-dc", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  for (const char* version : {"v1", "v2"}) {
    auto headers = Bearer(key);
    headers["azureml-model-deployment"] = version;
    auto reply = c.Post(u.path, kScore, headers);
    EXPECT_EQ(reply.status, 200) << version << ": " << reply.body;
    EXPECT_EQ(reply.header("azureml-model-deployment"), version);
  }

  // update-version --dc merges into the version's own config.
  Result updated = Skiff({"endpoint", "update-version", "-n", "ep-dc", "--version-name", "v2",
                          "--dc", Dc({{"maxConcurrentRequestsPerContainer", 5}}), "--tag",
                          "stage=", "--tag", "owner=ml"});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  shown = Json({"endpoint", "show", "-n", "ep-dc", "-o", "json"});
  v2 = Version(shown, "v2");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ((*v2)["deploymentConfig"]["maxConcurrentRequestsPerContainer"], 5);
  EXPECT_EQ((*v2)["deploymentConfig"]["numReplicas"], 2);
  EXPECT_EQ((*v2)["tags"], json({{"owner", "ml"}}));

  // A change the server refuses (an accelerator it has no plugin for) is
  // not recorded: the version keeps its config.
  json onnx = json::parse(Slurp(ic_));
  onnx["accelerator"] = "onnx";
  Spit(Path("onnx-ic.json"), onnx.dump());
  Result refused =
      Skiff({"endpoint", "update-version", "-n", "ep-dc", "--version-name", "v2", "--dc",
             Dc({{"maxConcurrentRequestsPerContainer", 9}}), "--ic", Path("onnx-ic.json")});
  EXPECT_NE(refused.rc, 0);
  EXPECT_NE(refused.err.find("onnx"), std::string::npos) << refused.err;
  shown = Json({"endpoint", "show", "-n", "ep-dc", "-o", "json"});
  v2 = Version(shown, "v2");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ((*v2)["deploymentConfig"]["maxConcurrentRequestsPerContainer"], 5);

  // Auth is the endpoint's: refused, naming the field; nothing recorded.
  const std::string before = Slurp(Path("ws/services/ep-dc/server.json"));
  ExpectOneLineError(Skiff({"endpoint", "create-version", "-n", "ep-dc", "--version-name", "v3",
                            "-m", "mlp:1", "-ic", ic_, "--dc", Dc({{"authEnabled", false}})}),
                     "`authEnabled` is the endpoint's setting");
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep-dc", "-o", "json"})["versions"].size(), 2u);
  EXPECT_EQ(Slurp(Path("ws/services/ep-dc/server.json")), before);
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-dc", "--version-name", "v2",
                            "--dc", Dc({{"numReplicas", 0}})}),
                     "numReplicas");
  EXPECT_EQ(Slurp(Path("ws/services/ep-dc/server.json")), before);
}

// 21.3: endpoint create --no-wait / --overwrite / --dry-run like `model
// deploy`; endpoint update (tags, description); endpoint run scores.
TEST_F(CliParity, EndpointCreateFlagsUpdateAndRun) {
  Result first = Skiff({"endpoint", "create", "-n", "ep-run", "-ct", "local", "--version-name",
                        "v1", "-m", "mlp:1", "-ic", ic_, "--no-wait", "-o", "json"});
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.err.find("Waiting for"), std::string::npos) << first.err;
  ExpectOneLineError(Skiff({"endpoint", "create", "-n", "ep-run", "-ct", "local", "--version-name",
                            "v1", "-m", "mlp:1", "-ic", ic_}),
                     "--overwrite");
  Result again = Skiff({"endpoint", "create", "-n", "ep-run", "-ct", "local", "--version-name",
                        "w1", "-m", "mlp:1", "-ic", ic_, "--overwrite", "-o", "json"});
  ASSERT_EQ(again.rc, 0) << again.err;
  json shown = json::parse(again.out, nullptr, false);
  ASSERT_TRUE(shown.is_object()) << again.out;
  EXPECT_EQ(shown["state"], "Healthy");
  EXPECT_EQ(shown["versions"][0]["name"], "w1");
  // --dry-run is for aks targets; on local it says so and creates nothing.
  ExpectOneLineError(Skiff({"endpoint", "create", "-n", "ep-dry", "-ct", "local", "--version-name",
                            "v1", "-m", "mlp:1", "-ic", ic_, "--dry-run"}),
                     "aks");
  EXPECT_NE(Skiff({"endpoint", "show", "-n", "ep-dry"}).rc, 0);

  Result run = Skiff({"endpoint", "run", "-n", "ep-run", "-d", kScore});
  ASSERT_EQ(run.rc, 0) << run.err;
  EXPECT_TRUE(json::parse(run.out, nullptr, false).is_object()) << run.out;

  Result updated = Skiff({"endpoint", "update", "-n", "ep-run", "--add-tag", "team=ml",
                          "--description", "A/B", "-o", "json"});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  json svc = Json({"service", "show", "-n", "ep-run", "-o", "json"});
  EXPECT_EQ(svc["tags"], json({{"team", "ml"}}));
  EXPECT_EQ(svc["description"], "A/B");
  ASSERT_EQ(Skiff({"endpoint", "update", "-n", "ep-run", "--remove-tag", "team"}).rc, 0);
  EXPECT_EQ(Json({"service", "show", "-n", "ep-run", "-o", "json"})["tags"], json::object());
  ExpectOneLineError(Skiff({"endpoint", "update", "-n", "ep-run"}), "nothing to update");
  // Still scoring after the updates.
  EXPECT_EQ(Skiff({"endpoint", "run", "-n", "ep-run", "-d", kScore}).rc, 0);
}

// 21.3: `model register --output-metadata-file` names the model; `service
// update --model-metadata-file` serves it.
TEST_F(CliParity, ModelMetadataFilePicksTheModelForServiceUpdate) {
  Result deployed = Skiff({"model", "deploy", "-n", "svc-meta", "-m", "mlp:1", "-ct", "local",
                           "-ic", ic_, "-dc", Dc(json::object())});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  const std::string meta = Path("meta.json");
  Result reg =
      Skiff({"model", "register", "-n", "mlp", "-p", model_, "--output-metadata-file", meta});
  ASSERT_EQ(reg.rc, 0) << reg.err;
  json written = json::parse(Slurp(meta), nullptr, false);
  ASSERT_TRUE(written.is_object()) << Slurp(meta);
  EXPECT_EQ(written["modelId"], "mlp:2");
  Result updated = Skiff({"service", "update", "-n", "svc-meta", "--model-metadata-file", meta});
  ASSERT_EQ(updated.rc, 0) << updated.err;
  EXPECT_EQ(Json({"service", "show", "-n", "svc-meta", "-o", "json"})["models"], json({"mlp:2"}));
  // `model deploy -f` takes it too.
  Result from_file = Skiff({"model", "deploy", "-n", "svc-meta2", "-f", meta, "-ct", "local", "-ic",
                            ic_, "-dc", Dc(json::object())});
  ASSERT_EQ(from_file.rc, 0) << from_file.err;
  EXPECT_EQ(Json({"service", "show", "-n", "svc-meta2", "-o", "json"})["models"], json({"mlp:2"}));
  ExpectOneLineError(Skiff({"model", "deploy", "-n", "svc-meta3", "-ct", "local", "-ic", ic_}),
                     "--model-metadata-file");
  Spit(Path("bad-meta.json"), R"({"name": "mlp"})");
  ExpectOneLineError(Skiff({"service", "update", "-n", "svc-meta", "--model-metadata-file",
                            Path("bad-meta.json")}),
                     "modelId");
}

// 21.3: `service show` prints tags, properties, description and the times.
TEST_F(CliParity, ServiceShowPrintsMetadataAndTimes) {
  Result deployed =
      Skiff({"model", "deploy", "-n", "svc-show", "-m", "mlp:1", "-ct", "local", "-ic", ic_, "-dc",
             Dc({{"tags", {{"team", "ml"}}},
                 {"properties", {{"owner", "ops"}}},
                 {"description", "the scorer"}})});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  json shown = Json({"service", "show", "-n", "svc-show", "-o", "json"});
  EXPECT_EQ(shown["tags"], json({{"team", "ml"}}));
  EXPECT_EQ(shown["properties"], json({{"owner", "ops"}}));
  EXPECT_EQ(shown["description"], "the scorer");
  EXPECT_FALSE(shown["createdTime"].get<std::string>().empty());
  EXPECT_FALSE(shown["updatedTime"].get<std::string>().empty());
  Result table = Skiff({"service", "show", "-n", "svc-show"});
  EXPECT_NE(table.out.find("team=ml"), std::string::npos) << table.out;
}

// Issue 19.3: `service show` prints where the metrics are, a loopback
// listener of their own; the scoring port does not serve them.
TEST_F(CliParity, ServiceShowPrintsTheMetricsUriOnLoopback) {
  Result deployed =
      Skiff({"model", "deploy", "-n", "svc-metrics", "-m", "mlp:1", "-ct", "local", "-ic", ic_});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  json shown = Json({"service", "show", "-n", "svc-metrics", "-o", "json"});
  ASSERT_TRUE(shown.contains("metricsUri")) << shown.dump();
  const std::string uri = shown["metricsUri"];
  EXPECT_EQ(uri.rfind("http://127.0.0.1:", 0), 0u) << uri;
  const Uri metrics = ParseUri(uri);
  EXPECT_EQ(metrics.path, "/metrics");
  const Uri scoring = ParseUri(shown["scoringUri"]);
  ASSERT_NE(metrics.port, scoring.port);
  auto m = HttpClient(metrics.port).Get(metrics.path);
  EXPECT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4");
  EXPECT_EQ(HttpClient(scoring.port).Get("/metrics").status, 404);
}

// Issue 20 item 3: `model deploy --grpc` turns on the deployment config's
// `grpc`; `service show` prints grpcUri, where an HTTP/2 (gRPC) server
// answers (the calls themselves: GrpcPythonClient).
TEST_F(CliParity, DeployWithGrpcServesASecondPortShownAsGrpcUri) {
  Result deployed = Skiff(
      {"model", "deploy", "-n", "svc-grpc", "-m", "mlp:1", "-ct", "local", "-ic", ic_, "--grpc"});
  ASSERT_EQ(deployed.rc, 0) << deployed.err;
  json shown = Json({"service", "show", "-n", "svc-grpc", "-o", "json"});
  ASSERT_TRUE(shown.contains("grpcUri")) << shown.dump();
  const std::string uri = shown["grpcUri"];
  ASSERT_EQ(uri.rfind("127.0.0.1:", 0), 0u) << uri;
  const int port = std::stoi(uri.substr(uri.rfind(':') + 1));
  EXPECT_NE(port, ParseUri(shown["scoringUri"]).port);
  EXPECT_TRUE(skiff::testing::Http2ServerAnswers(static_cast<uint16_t>(port)));
  // Without --grpc, no gRPC (ServiceShowPrintsTheMetricsUriOnLoopback's
  // service has no grpcUri: checked here on a second one).
  ASSERT_EQ(Skiff({"model", "deploy", "-n", "svc-nogrpc", "-m", "mlp:1", "-ct", "local", "-ic",
                   ic_}).rc,
            0);
  EXPECT_FALSE(Json({"service", "show", "-n", "svc-nogrpc", "-o", "json"}).contains("grpcUri"));
}

// 21.3: `-w` after the sub-command, as `az ml model list -w ws` takes it.
TEST_F(CliParity, WorkspaceFlagIsAcceptedAfterTheSubCommand) {
  const std::string cmd = "env -u SKIFF_WORKSPACE " + Quote(skiff::testing::SkiffBinary()) +
                          " model list -o json -w " + Quote(Path("ws")) + " >" +
                          Quote(Path("after.out")) + " 2>" + Quote(Path("after.err"));
  const int status = std::system(cmd.c_str());
  ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) << Slurp(Path("after.err"));
  json listed = json::parse(Slurp(Path("after.out")), nullptr, false);
  ASSERT_TRUE(listed.is_array()) << Slurp(Path("after.out"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], "mlp:1");
}

// az's conventions (issue 23 item 1, first part): usage errors exit 2, a
// missing resource 3, and a mistyped command gets the closest one's name.
TEST_F(CliParity, ExitCodesAndDidYouMeanAsAz) {
  Result typo = Skiff({"servce", "list"});
  EXPECT_EQ(typo.rc, 2) << typo.err;
  EXPECT_NE(typo.err.find("did you mean 'service'?"), std::string::npos) << typo.err;
  Result sub = Skiff({"-w", Path("ws"), "service", "lst"});
  EXPECT_EQ(sub.rc, 2) << sub.err;
  EXPECT_NE(sub.err.find("did you mean 'list'?"), std::string::npos) << sub.err;
  Result flag = Skiff({"service", "list", "--bogus"});
  EXPECT_EQ(flag.rc, 2) << flag.err;
  EXPECT_NE(flag.err.find("--bogus"), std::string::npos) << flag.err;
  Result no_model = Skiff({"model", "register", "-n", "x"});  // -p missing
  EXPECT_EQ(no_model.rc, 2) << no_model.err;
  Result service = Skiff({"service", "show", "-n", "nosuch"});
  EXPECT_EQ(service.rc, 3) << service.err;
  Result model = Skiff({"model", "show", "-m", "nosuch:1"});
  EXPECT_EQ(model.rc, 3) << model.err;
  Result help = Skiff({"--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << help.out;
}

}  // namespace
