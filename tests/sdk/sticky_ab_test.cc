// SPDX-License-Identifier: Apache-2.0
// Issue 22 items 3 and 5 (docs/reliability.md "Issue 22: sticky A/B and
// signature gate") through the real `skiff` binary and the SDK behind it, on
// the local target: sticky assignment by a routing key over HTTP with its
// exposure log, and the signature gate of create-version/update-version.
#include <sys/stat.h>

#include <map>
#include <set>
#include <string>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"
#include "skiff/util/sha256.h"

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

class StickyAbTest : public skiff::testing::LocalWorkflowFixture {
 protected:
  // The quickstart inference config with input 'input' of shape `shape`.
  std::string Ic(const json& shape) {
    json ic = json::parse(Slurp(ic_));
    ic["inputs"][0]["shape"] = shape;
    const std::string path = Path("ic-" + std::to_string(ic_count_++) + ".json");
    Spit(path, ic.dump());
    return path;
  }
  static const json* Version(const json& shown, const std::string& name) {
    for (const auto& v : shown["versions"]) {
      if (v["name"] == name) return &v;
    }
    return nullptr;
  }
  int ic_count_ = 0;
};

// Item 3: a client sending x-user-id gets the same version every time,
// pinning still wins, the exposure log holds HMAC(salt, key) (never the key
// or the salt), and the salt lives in the workspace key store, 0600.
TEST_F(StickyAbTest, RoutingKeyHeaderGivesEachClientOneVersionAndAnExposureLog) {
  Result created =
      Skiff({"endpoint", "create", "-n", "ep-ab", "-ct", "local", "--version-name", "v1", "-m",
             "mlp:1", "-ic", ic_, "--routing-key-header", "x-user-id", "-o", "json"});
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_EQ(json::parse(created.out)["routingKey"], json({{"header", "x-user-id"}}));
  Result added = Skiff({"endpoint", "create-version", "-n", "ep-ab", "--version-name", "v2", "-m",
                        "mlp:1", "-ic", ic_, "--traffic-percentile", "50"});
  ASSERT_EQ(added.rc, 0) << added.err;

  const std::string salt_file = Path("ws/keys/ep-ab.routing-salt");
  struct stat st {};
  ASSERT_EQ(::stat(salt_file.c_str(), &st), 0) << "the salt is in the key store";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string salt = Slurp(salt_file);
  while (!salt.empty() && salt.back() == '\n') salt.pop_back();
  ASSERT_GE(salt.size(), 32u);

  json shown = Json({"endpoint", "show", "-n", "ep-ab", "-o", "json"});
  const std::string key = Json({"endpoint", "get-keys", "-n", "ep-ab", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  std::map<std::string, std::string> first;
  std::set<std::string> seen;
  for (int k = 0; k < 30; ++k) {
    auto headers = Bearer(key);
    headers["x-user-id"] = "user-" + std::to_string(k);
    for (int round = 0; round < 3; ++round) {
      auto reply = c.Post(u.path, kScore, headers);
      ASSERT_EQ(reply.status, 200) << reply.body;
      const std::string v = reply.header("azureml-model-deployment");
      if (round == 0) first[headers["x-user-id"]] = v;
      EXPECT_EQ(v, first[headers["x-user-id"]]) << headers["x-user-id"] << " round " << round;
      seen.insert(v);
    }
  }
  EXPECT_EQ(seen.size(), 2u) << "30 keys at 50/50 reach both versions";
  auto pinned = Bearer(key);
  pinned["x-user-id"] = "user-0";
  pinned["azureml-model-deployment"] = first["user-0"] == "v1" ? "v2" : "v1";
  EXPECT_EQ(c.Post(u.path, kScore, pinned).header("azureml-model-deployment"),
            pinned["azureml-model-deployment"])
      << "pinning wins over the routing key";

  const std::string log = Slurp(Path("ws/services/ep-ab/logs/exposure.jsonl"));
  EXPECT_EQ(log.find(salt), std::string::npos) << "the salt is never logged";
  EXPECT_EQ(log.find("user-"), std::string::npos) << "nor a key";
  int lines = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line); ++lines) {
    json entry = json::parse(line);
    EXPECT_EQ(entry["status"], 200);
    EXPECT_TRUE(entry["latencyMs"].is_number());
    if (lines == 0) {
      EXPECT_EQ(entry["keyHash"], skiff::HmacSha256Hex(salt, "user-0"));
      EXPECT_EQ(entry["version"], first["user-0"]);
    }
  }
  EXPECT_EQ(lines, 90) << "one line per request assigned by its key (not the pinned one)";
  EXPECT_EQ(Slurp(Path("ws/services/ep-ab/logs/server.log")).find(salt), std::string::npos);
  Result argv = Skiff({"endpoint", "show", "-n", "ep-ab", "-o", "json"});
  EXPECT_EQ(argv.out.find(salt), std::string::npos) << "nor shown";

  // The same key keeps its version across an update that changes nothing
  // of the split (the salt is made once per endpoint).
  ASSERT_EQ(Skiff({"endpoint", "update", "-n", "ep-ab", "--add-tag", "team=ml"}).rc, 0);
  EXPECT_EQ(Slurp(salt_file).substr(0, salt.size()), salt);
  for (const auto& [user, version] : first) {
    auto headers = Bearer(key);
    headers["x-user-id"] = user;
    EXPECT_EQ(c.Post(u.path, kScore, headers).header("azureml-model-deployment"), version) << user;
  }
  // A cookie instead of the header.
  Result cookie =
      Skiff({"endpoint", "update", "-n", "ep-ab", "--routing-key-cookie", "uid", "-o", "json"});
  ASSERT_EQ(cookie.rc, 0) << cookie.err;
  EXPECT_EQ(json::parse(cookie.out)["routingKey"], json({{"cookie", "uid"}}));
  for (const auto& [user, version] : first) {
    auto headers = Bearer(key);
    headers["Cookie"] = "uid=" + user;
    EXPECT_EQ(c.Post(u.path, kScore, headers).header("azureml-model-deployment"), version) << user;
  }
  Result both = Skiff({"endpoint", "update", "-n", "ep-ab", "--routing-key-header", "x",
                       "--routing-key-cookie", "y"});
  EXPECT_EQ(both.rc, 2) << "a usage error: one key, a header or a cookie";
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

// Item 5: a version whose signature differs from the default's is refused
// with the tensor named, unless --allow-signature-change; then it gets no
// drawn traffic until it is made the default (which takes the flag too).
TEST_F(StickyAbTest, SignatureGateNamesTheTensorAndAllowGivesNoDrawnTraffic) {
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "ep-sig", "-ct", "local", "--version-name", "v1",
                   "-m", "mlp:1", "-ic", ic_})
                .rc,
            0);
  const std::string other = Ic({1, 4});
  const std::string tensor =
      "input 'input': FP32 [-1, 4] in the default 'v1', FP32 [1, 4] in "
      "version 'v2'";
  Result refused = Skiff({"endpoint", "create-version", "-n", "ep-sig", "--version-name", "v2",
                          "-m", "mlp:1", "-ic", other, "--traffic-percentile", "10"});
  ExpectOneLineError(refused, tensor);
  EXPECT_NE(refused.err.find("--allow-signature-change"), std::string::npos) << refused.err;
  EXPECT_EQ(Json({"endpoint", "show", "-n", "ep-sig", "-o", "json"})["versions"].size(), 1u)
      << "a refused version changes nothing";

  ExpectOneLineError(
      Skiff({"endpoint", "create-version", "-n", "ep-sig", "--version-name", "v2", "-m", "mlp:1",
             "-ic", other, "--traffic-percentile", "10", "--allow-signature-change"}),
      "no drawn traffic until it is made the default");
  Result allowed = Skiff({"endpoint", "create-version", "-n", "ep-sig", "--version-name", "v2",
                          "-m", "mlp:1", "-ic", other, "--allow-signature-change", "-o", "json"});
  ASSERT_EQ(allowed.rc, 0) << allowed.err;
  json shown = json::parse(allowed.out);
  ASSERT_NE(Version(shown, "v2"), nullptr);
  EXPECT_EQ((*Version(shown, "v2"))["trafficPercentile"], 0);
  EXPECT_EQ((*Version(shown, "v2"))["isDefault"], false);

  // No drawn traffic: every unpinned request goes to v1; pinned reaches v2.
  const std::string key =
      Json({"endpoint", "get-keys", "-n", "ep-sig", "-o", "json"})["primaryKey"];
  Uri u = ParseUri(shown["scoringUri"]);
  HttpClient c(u.port);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(c.Post(u.path, kScore, Bearer(key)).header("azureml-model-deployment"), "v1");
  }
  auto pinned = Bearer(key);
  pinned["azureml-model-deployment"] = "v2";
  EXPECT_EQ(c.Post(u.path, kScore, pinned).status, 200);

  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-sig", "--version-name", "v2",
                            "--traffic-percentile", "20", "--allow-signature-change"}),
                     "no drawn traffic until it is made the default");
  Result tagged = Skiff({"endpoint", "update-version", "-n", "ep-sig", "--version-name", "v2",
                         "--tag", "stage=next"});
  EXPECT_EQ(tagged.rc, 0) << "a difference let in before needs no flag again: " << tagged.err;
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-sig", "--version-name", "v2",
                            "--is-default", "true"}),
                     "changes the signature every client of the endpoint sends");
  Result made = Skiff({"endpoint", "update-version", "-n", "ep-sig", "--version-name", "v2",
                       "--is-default", "true", "--allow-signature-change", "-o", "json"});
  ASSERT_EQ(made.rc, 0) << made.err;
  EXPECT_EQ((*Version(json::parse(made.out), "v2"))["isDefault"], true);
  // Now v1 differs from the default: it may not take drawn traffic.
  ExpectOneLineError(Skiff({"endpoint", "update-version", "-n", "ep-sig", "--version-name", "v1",
                            "--traffic-percentile", "10", "--allow-signature-change"}),
                     "input 'input': FP32 [1, 4] in the default 'v2', FP32 [-1, 4] in version "
                     "'v1'");
  // A version with the default's signature needs no flag.
  Result same = Skiff({"endpoint", "create-version", "-n", "ep-sig", "--version-name", "v3", "-m",
                       "mlp:1", "-ic", Ic({1, 4}), "--traffic-percentile", "30"});
  EXPECT_EQ(same.rc, 0) << same.err;
}

}  // namespace
