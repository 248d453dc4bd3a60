// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 4 end to end (docs/reliability.md "Issue 22: endpoint
// report"): an endpoint with two versions and a routing key on the local
// target, a few hundred requests with distinct keys (some refused with a
// 400), a rollout history, then `skiff endpoint report` as json, table and
// --html, from the target's own log, a copied --exposure-log and, past the
// log's end, the server's metrics. The figures must be what was sent.
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"
#include "skiff/rollout/rollout_event.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Bearer;
using skiff::testing::HttpClient;
using skiff::testing::ParseUri;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;
using skiff::testing::Uri;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";
const char* kBadShape = R"({"data": [[0.1, 0.2]]})";

class EndpointReportTest : public skiff::testing::LocalWorkflowFixture {};

struct Sent {
  int requests = 0, client_errors = 0, errors = 0;
};

const json* VersionIn(const json& report, const std::string& name) {
  for (const auto& v : report["versions"]) {
    if (v["name"] == name) return &v;
  }
  return nullptr;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(EndpointReportTest, FiguresMatchWhatWasSentInJsonTableAndHtml) {
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "ep-rep", "-ct", "local", "--version-name", "v1",
                   "-m", "mlp:1", "-ic", ic_, "--routing-key-header", "x-user-id",
                   "--is-control-version-type", "true"})
                .rc,
            0);
  Result added = Skiff({"endpoint", "create-version", "-n", "ep-rep", "--version-name", "v2", "-m",
                        "mlp:1", "-ic", ic_, "--traffic-percentile", "50"});
  ASSERT_EQ(added.rc, 0) << added.err;
  const json shown = Json({"endpoint", "show", "-n", "ep-rep", "-o", "json"});
  const std::string key =
      Json({"endpoint", "get-keys", "-n", "ep-rep", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  std::map<std::string, Sent> sent;
  for (int k = 0; k < 300; ++k) {
    auto headers = Bearer(key);
    headers["x-user-id"] = "user-" + std::to_string(k);
    // Every 10th client sends a body of the wrong shape: a 400 it was
    // assigned a version for, so it counts in the log.
    auto reply = c.Post(u.path, k % 10 == 7 ? kBadShape : kScore, headers);
    const std::string v = reply.header("azureml-model-deployment");
    ASSERT_FALSE(v.empty()) << reply.status << " " << reply.body;
    Sent& s = sent[v];
    ++s.requests;
    if (reply.status >= 400 && reply.status < 500) ++s.client_errors;
    if (reply.status >= 500) ++s.errors;
  }
  ASSERT_EQ(sent.size(), 2u) << "300 keys at 50/50 reach both versions";
  EXPECT_EQ(sent["v1"].client_errors + sent["v2"].client_errors, 30);

  // A rollout history, as the progressive-rollout controller writes it.
  auto event = [](const std::string& time, skiff::RolloutEventKind kind, int step, int pct) {
    skiff::RolloutEvent e;
    e.time = time;
    e.endpoint = "ep-rep";
    e.version = "v2";
    e.kind = kind;
    e.step = step;
    e.traffic_percentile = pct;
    return e;
  };
  skiff::RolloutEvent stepped =
      event("2026-12-06T17:01:00.000Z", skiff::RolloutEventKind::kStepped, 1, 50);
  stepped.gate = "p99Ms";
  stepped.observed = 4.0;
  stepped.limit = 50.0;
  Spit(Path("ws/rollouts/ep-rep.jsonl"),
       skiff::RolloutEventToJsonLine(
           event("2026-12-06T17:00:00.000Z", skiff::RolloutEventKind::kStarted, 0, 10)) +
           "\n" + skiff::RolloutEventToJsonLine(stepped) + "\n");

  // The endpoint's own exposure log, as JSON.
  Result r =
      Skiff({"endpoint", "report", "-n", "ep-rep", "-o", "json", "--html", Path("report.html")});
  ASSERT_EQ(r.rc, 0) << r.err;
  json report = json::parse(r.out);
  EXPECT_EQ(report["source"], "exposureLog");
  EXPECT_EQ(report["control"], "v1");
  for (const auto& [name, s] : sent) {
    const json* v = VersionIn(report, name);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ((*v)["requests"], s.requests) << name;
    EXPECT_EQ((*v)["clientErrors"], s.client_errors) << name;
    EXPECT_EQ((*v)["errors"], s.errors) << name;
    EXPECT_DOUBLE_EQ((*v)["trafficShare"].get<double>(), s.requests / 300.0) << name;
    EXPECT_TRUE((*v)["p99Ms"].is_number()) << name;
  }
  ASSERT_EQ(report["comparisons"].size(), 1u);
  EXPECT_EQ(report["comparisons"][0]["treatment"], "v2");
  EXPECT_TRUE(report["comparisons"][0]["errorRatePValue"].is_number());
  EXPECT_TRUE(report["comparisons"][0]["latencyPValue"].is_number());
  EXPECT_TRUE(report["comparisons"][0]["p99DifferenceCi95"].contains("low"));
  ASSERT_EQ(report["rollout"].size(), 2u);
  EXPECT_EQ(report["rollout"][1]["gate"], "p99Ms");
  int64_t bucketed = 0;
  for (const auto& b : report["traffic"]) {
    for (const auto& [name, n] : b["requests"].items()) bucketed += n.get<int64_t>();
  }
  EXPECT_EQ(bucketed, 300);

  // The page: the charts with a line per version and a marker per event.
  const std::string html = Slurp(Path("report.html"));
  EXPECT_NE(html.find("<svg id=\"traffic\""), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"series\""), 2u);
  EXPECT_EQ(Count(html, "class=\"ecdf\""), 2u);
  EXPECT_EQ(Count(html, "<circle class=\"event"), 2u);
  EXPECT_EQ(html.find(key), std::string::npos) << "no secret in the page";

  // As a table: the counts in the rows and the notes below.
  Result table = Skiff({"endpoint", "report", "-n", "ep-rep"});
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_NE(table.out.find("VERSION"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("COMPARISON"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("v2 vs v1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(std::to_string(sent["v2"].requests)), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("note: Figures from the exposure log"), std::string::npos) << table.out;

  // A copy of the log (what one takes from the AKS router pod) gives the same.
  Spit(Path("copy/exposure.jsonl"), Slurp(Path("ws/services/ep-rep/logs/exposure.jsonl")));
  json copied = Json({"endpoint", "report", "-n", "ep-rep", "-o", "json", "--exposure-log",
                      Path("copy/exposure.jsonl")});
  EXPECT_EQ(copied["versions"], report["versions"]);
  EXPECT_EQ(copied["exposureFiles"], json::array({Path("copy/exposure.jsonl")}));
  ExpectOneLineError(
      Skiff({"endpoint", "report", "-n", "ep-rep", "--exposure-log", Path("absent.jsonl")}),
      "does not exist");
  ExpectOneLineError(Skiff({"endpoint", "report", "-n", "ep-rep", "--since", "yesterday"}),
                     "--since 'yesterday'");

  // Past the log's end there is nothing logged: the server's metrics stand
  // in, and they counted the same requests.
  json later =
      Json({"endpoint", "report", "-n", "ep-rep", "-o", "json", "--since", "2099-01-01T00:00:00Z"});
  EXPECT_EQ(later["source"], "metrics") << later.dump();
  for (const auto& [name, s] : sent) {
    const json* v = VersionIn(later, name);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ((*v)["requests"], s.requests) << name;
    EXPECT_EQ((*v)["clientErrors"], s.client_errors) << name;
  }
}

// Issue 22 item 4, the 5xx case (docs/reliability.md "Issue 22: AKS
// exposure log"): v2 is the flaky TorchScript model (make_flaky_model.cc),
// which fails inside the real server (a 502) when a row's first feature is
// above 5. Users assigned to v2 who send such a row get a 5xx; v1 answers
// every row. The report's per-version 5xx counts and error rates are exactly
// the answers the clients saw.
TEST_F(EndpointReportTest, AVersionThatAnswers5xxHasItsExactErrorCountAndRate) {
  const std::string flaky = Path("flaky.pt");
  ASSERT_EQ(std::system((std::string(SKIFF_MAKE_FLAKY_MODEL) + " " + flaky).c_str()), 0);
  ASSERT_EQ(Skiff({"model", "register", "-n", "flaky", "-p", flaky}).rc, 0);
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "ep-5xx", "-ct", "local", "--version-name", "v1",
                   "-m", "mlp:1", "-ic", ic_, "--routing-key-header", "x-user-id",
                   "--is-control-version-type", "true"})
                .rc,
            0);
  Result added = Skiff({"endpoint", "create-version", "-n", "ep-5xx", "--version-name", "v2", "-m",
                        "flaky:1", "-ic", ic_, "--traffic-percentile", "50"});
  ASSERT_EQ(added.rc, 0) << added.err;
  const json shown = Json({"endpoint", "show", "-n", "ep-5xx", "-o", "json"});
  const std::string key =
      Json({"endpoint", "get-keys", "-n", "ep-5xx", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  std::map<std::string, Sent> sent;
  for (int k = 0; k < 200; ++k) {
    auto headers = Bearer(key);
    headers["x-user-id"] = "user-" + std::to_string(k);
    // Every third user's row breaks the flaky model (and not the MLP).
    auto reply =
        c.Post(u.path, k % 3 == 1 ? R"({"data": [[9.0, 0.2, 0.3, 0.4]]})" : kScore, headers);
    const std::string v = reply.header("azureml-model-deployment");
    ASSERT_FALSE(v.empty()) << reply.status << " " << reply.body;
    Sent& s = sent[v];
    ++s.requests;
    if (reply.status >= 400 && reply.status < 500) ++s.client_errors;
    if (reply.status >= 500) ++s.errors;
  }
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_GT(sent["v2"].errors, 0) << "the flaky version failed some requests";
  EXPECT_EQ(sent["v1"].errors, 0);

  // The log's lines follow the answers: poll until all 200 are there.
  json report;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    Result r = Skiff({"endpoint", "report", "-n", "ep-5xx", "-o", "json"});
    ASSERT_EQ(r.rc, 0) << r.err;
    report = json::parse(r.out);
    int64_t logged = 0;
    for (const auto& v : report["versions"]) logged += v["requests"].get<int64_t>();
    if (logged == 200 || std::chrono::steady_clock::now() > deadline) break;
  }
  EXPECT_EQ(report["source"], "exposureLog");
  for (const auto& [name, s] : sent) {
    const json* v = VersionIn(report, name);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ((*v)["requests"], s.requests) << name;
    EXPECT_EQ((*v)["errors"], s.errors) << name;
    EXPECT_EQ((*v)["clientErrors"], s.client_errors) << name;
    EXPECT_DOUBLE_EQ((*v)["errorRate"].get<double>(), static_cast<double>(s.errors) / s.requests)
        << name;
  }
  ASSERT_EQ(report["comparisons"].size(), 1u);
  const json& cmp = report["comparisons"][0];
  EXPECT_EQ(cmp["treatment"], "v2");
  EXPECT_NEAR(cmp["errorRateDifference"].get<double>(),
              static_cast<double>(sent["v2"].errors) / sent["v2"].requests, 1e-12)
      << "v1 answered no 5xx";
  EXPECT_LT(cmp["errorRatePValue"].get<double>(), 0.05) << cmp.dump();
}

}  // namespace
