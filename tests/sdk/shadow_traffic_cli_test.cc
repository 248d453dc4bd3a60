// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 2 (docs/reliability.md "Issue 22: shadow traffic") through the
// real `skiff` binary on the local target: an endpoint with a live version and
// two shadows of it, one the same model (agreement 100 %, difference 0) and
// one a different model with the same signature (tests/fixtures/models/
// mlp_neg.pt answers -mlp(x): every argmax disagrees). Clients get only the
// live version's answers; `endpoint show` reads the comparisons from the
// server's metrics. The flags' rules refuse with one line naming the flags.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
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

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";

// Every number in a JSON value, in order.
void Flatten(const json& j, std::vector<double>* out) {
  if (j.is_number()) out->push_back(j.get<double>());
  if (j.is_array() || j.is_object()) {
    for (const auto& e : j) Flatten(e, out);
  }
}

class ShadowTrafficCliTest : public skiff::testing::LocalWorkflowFixture {
 protected:
  void SetUp() override {
    LocalWorkflowFixture::SetUp();
    const std::string src = std::getenv("SKIFF_SOURCE_DIR");
    ASSERT_EQ(Skiff({"model", "register", "-n", "mlpneg", "-p",
                     src + "/tests/fixtures/models/mlp_neg.pt"})
                  .rc,
              0);
  }
  static const json* Version(const json& shown, const std::string& name) {
    for (const auto& v : shown["versions"]) {
      if (v["name"] == name) return &v;
    }
    return nullptr;
  }
  // `endpoint show` once both shadows compared `n` pairs (at most 60 s).
  json ShowOnceCompared(const std::string& endpoint, int n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    json shown;
    for (;;) {
      shown = Json({"endpoint", "show", "-n", endpoint, "-o", "json"});
      const json* same = Version(shown, "same");
      const json* neg = Version(shown, "neg");
      if (same && neg && (*same)["shadow"].value("compared", 0) >= n &&
          (*neg)["shadow"].value("compared", 0) >= n) {
        return shown;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the shadows never compared " << n << " pairs: " << shown.dump();
        return shown;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

TEST_F(ShadowTrafficCliTest, ShadowVersionsAreComparedAndNeverAnswer) {
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "ep-sh", "-ct", "local", "--version-name", "live",
                   "-m", "mlp:1", "-ic", ic_})
                .rc,
            0);
  Result same = Skiff({"endpoint", "create-version", "-n", "ep-sh", "--version-name", "same", "-m",
                       "mlp:1", "-ic", ic_, "--shadow-percentile", "100", "-o", "json"});
  ASSERT_EQ(same.rc, 0) << same.err;
  const json same_shown = json::parse(same.out);
  const json* created = Version(same_shown, "same");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ((*created)["shadowPercentile"], 100);
  EXPECT_EQ((*created)["trafficPercentile"], 0);
  Result neg = Skiff({"endpoint", "create-version", "-n", "ep-sh", "--version-name", "neg", "-m",
                      "mlpneg:1", "-ic", ic_, "--shadow-percentile", "100"});
  ASSERT_EQ(neg.rc, 0) << neg.err;

  json shown = Json({"endpoint", "show", "-n", "ep-sh", "-o", "json"});
  const std::string key = Json({"endpoint", "get-keys", "-n", "ep-sh", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  auto pinned = [&](const std::string& version) {
    auto headers = Bearer(key);
    headers["azureml-model-deployment"] = version;
    auto reply = c.Post(u.path, kScore, headers);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.body;
  };
  const std::string live_answer = pinned("live");
  const std::string neg_answer = pinned("neg");
  ASSERT_NE(live_answer, neg_answer) << "mlp_neg answers differently";
  std::vector<double> live_values, neg_values;
  Flatten(json::parse(live_answer), &live_values);
  Flatten(json::parse(neg_answer), &neg_values);
  ASSERT_EQ(live_values.size(), 3u);
  ASSERT_EQ(neg_values.size(), 3u);
  double expected_diff = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(neg_values[i], -live_values[i], 1e-6);
    expected_diff = std::max(expected_diff, std::fabs(live_values[i] - neg_values[i]));
  }

  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    auto reply = c.Post(u.path, kScore, Bearer(key));
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.header("azureml-model-deployment"), "live");
    EXPECT_EQ(reply.body, live_answer) << "the live version's answer, never a shadow's";
  }
  // The request pinned to `live` is live traffic and was copied too; the one
  // pinned to `neg`, a shadow, was not (nor copied to `same`).
  constexpr int kCopied = kRequests + 1;
  shown = ShowOnceCompared("ep-sh", kCopied);
  const json& s = (*Version(shown, "same"))["shadow"];
  EXPECT_EQ(s["argmaxAgreement"], 1.0) << s.dump();
  EXPECT_EQ(s["meanMaxAbsDiff"], 0.0) << s.dump();
  EXPECT_EQ(s["maxAbsDiffAtMost"], 0.0) << s.dump();
  EXPECT_EQ(s["dropped"], 0);
  EXPECT_EQ(s["errors"], 0);
  const json& n = (*Version(shown, "neg"))["shadow"];
  EXPECT_EQ(n["argmaxAgreement"], 0.0) << n.dump();
  EXPECT_NEAR(n["meanMaxAbsDiff"].get<double>(), expected_diff, 1e-5) << n.dump();
  EXPECT_GT(n["maxAbsDiffAtMost"].get<double>(), 0) << n.dump();
  EXPECT_TRUE(n["meanLatencyDeltaMs"].is_number()) << n.dump();
  EXPECT_EQ(s["compared"], kCopied);
  EXPECT_EQ(n["compared"], kCopied);

  // The table shows the same in one cell per version.
  Result table = Skiff({"endpoint", "show", "-n", "ep-sh"});
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_NE(table.out.find("SHADOW"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("100%: 21 compared, 100.0% argmax, diff <= 0"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("100%: 21 compared, 0.0% argmax"), std::string::npos) << table.out;

  // 0 turns it off; the version keeps serving pinned requests.
  ASSERT_EQ(Skiff({"endpoint", "update-version", "-n", "ep-sh", "--version-name", "neg",
                   "--shadow-percentile", "0"})
                .rc,
            0);
  shown = Json({"endpoint", "show", "-n", "ep-sh", "-o", "json"});
  EXPECT_EQ((*Version(shown, "neg"))["shadowPercentile"], 0);
  EXPECT_FALSE(Version(shown, "neg")->contains("shadow"));
  EXPECT_EQ(pinned("neg"), neg_answer);
}

TEST_F(ShadowTrafficCliTest, TheFlagsRulesRefuseWithOneLineAndChangeNothing) {
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "ep-r", "-ct", "local", "--version-name", "a",
                   "-m", "mlp:1", "-ic", ic_})
                .rc,
            0);
  ASSERT_EQ(Skiff({"endpoint", "create-version", "-n", "ep-r", "--version-name", "b", "-m",
                   "mlp:1", "-ic", ic_, "--traffic-percentile", "10"})
                .rc,
            0);
  const json before = Json({"endpoint", "show", "-n", "ep-r", "-o", "json"})["versions"];

  ExpectOneLineError(Skiff({"endpoint", "create-version", "-n", "ep-r", "--version-name", "c",
                            "-m", "mlp:1", "-ic", ic_, "--shadow-percentile", "20",
                            "--traffic-percentile", "10"}),
                     "--shadow-percentile 20 and --traffic-percentile 10 conflict");
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "b",
                            "--shadow-percentile", "20", "--is-default", "true"}),
                     "--shadow-percentile 20 and --is-default true conflict");
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "b",
                            "--shadow-percentile", "101"}),
                     "--shadow-percentile 101: use 0-100");
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "a",
                            "--shadow-percentile", "20"}),
                     "version 'a' is the default");
  // Another signature: a shadow gets the live inputs, so no flag lets it in.
  json ic = json::parse(Slurp(ic_));
  ic["inputs"][0]["shape"] = json::array({-1, 5});
  const std::string other = Path("ic-5.json");
  Spit(other, ic.dump());
  ExpectOneLineError(Skiff({"endpoint", "create-version", "-n", "ep-r", "--version-name", "c",
                            "-m", "mlp:1", "-ic", other, "--allow-signature-change",
                            "--shadow-percentile", "20"}),
                     "input 'input'");
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep-r", "-o", "json"})["versions"], before)
      << "a refusal changes nothing";

  // A version that takes drawn traffic becomes a shadow: its share goes back
  // to the default (traffic 0), and it takes none until its shadow is off.
  Result shadowed = Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "b",
                           "--shadow-percentile", "20", "-o", "json"});
  ASSERT_EQ(shadowed.rc, 0) << shadowed.err;
  const json shadowed_shown = json::parse(shadowed.out);
  const json* b = Version(shadowed_shown, "b");
  EXPECT_EQ((*b)["shadowPercentile"], 20);
  EXPECT_EQ((*b)["trafficPercentile"], 0);
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "b",
                            "--traffic-percentile", "10"}),
                     "pass --shadow-percentile 0 with --traffic-percentile 10");
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "b",
                            "--is-default", "true"}),
                     "cannot be the default");
  Result back = Skiff({"endpoint", "update-version", "-n", "ep-r", "--version-name", "b",
                       "--shadow-percentile", "0", "--traffic-percentile", "10", "-o", "json"});
  ASSERT_EQ(back.rc, 0) << back.err;
  const json back_shown = json::parse(back.out);
  b = Version(back_shown, "b");
  EXPECT_EQ((*b)["shadowPercentile"], 0);
  EXPECT_EQ((*b)["trafficPercentile"], 10);
}

}  // namespace
