// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 3 over HTTP: a real DataPlane behind HttpServer on loopback
// (auth plugin, the test accelerator). A client that sends the routing key
// gets the same version on every request, pinning still wins, and every
// request assigned by its key leaves one exposure-log line holding the
// key's HMAC, never the key or the salt.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "http_client.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/util/sha256.h"
#include "test_fixtures.h"

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Reply;

const std::string kSalt = "salt-0123456789-abcdefghijklmnopqrstuvwxyz";

json Version(const std::string& name, int pct, bool is_default) {
  return {{"name", name},
          {"trafficPercentile", pct},
          {"isDefault", is_default},
          {"artifactPath", "/dev/null"},
          {"inferenceConfig",
           {{"accelerator", "testmodel"},
            {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
            {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}}}};
}

const std::string kBody =
    R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})";

class StickyRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = skiff::testing::FreshTestDir("sticky");
    host_ = skiff::testing::TestPluginHost();
    plane_ = std::make_unique<DataPlane>(host_.get(), "test");
    auto server = HttpServer::Start({}, plane_.get());
    ASSERT_TRUE(server.ok());
    server_ = std::move(server).value();
  }
  void TearDown() override {
    server_.reset();
    plane_.reset();
    fs::remove_all(dir_);
  }

  json Config(int green_pct) {
    return {{"service", "svc"},
            {"deploymentConfig", {{"authEnabled", false}}},
            {"routing",
             {{"keyHeader", "x-user-id"},
              {"salt", kSalt},
              {"exposureLog", (dir_ / "exposure.jsonl").string()}}},
            {"versions", {Version("blue", 0, true), Version("green", green_pct, false)}}};
  }

  Status Apply(const json& config) {
    auto parsed = config::ParseServerConfig(config.dump());
    if (!parsed.ok()) return parsed.status();
    return plane_->Apply(*parsed);
  }

  std::string VersionFor(HttpClient& c, const std::map<std::string, std::string>& headers) {
    Reply r = c.Post("/v2/models/svc/infer", kBody, headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.header("azureml-model-deployment");
  }

  std::vector<json> ExposureLines() {
    std::vector<json> lines;
    std::ifstream in(dir_ / "exposure.jsonl");
    for (std::string line; std::getline(in, line);) {
      EXPECT_EQ(line.find(kSalt), std::string::npos) << "the salt is never logged";
      EXPECT_EQ(line.find("user-"), std::string::npos) << "no raw key: " << line;
      lines.push_back(json::parse(line));
    }
    return lines;
  }

  fs::path dir_;
  std::unique_ptr<PluginHost> host_;
  std::unique_ptr<DataPlane> plane_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(StickyRoutingTest, EachKeyGetsTheSameVersionOnEveryRequest) {
  ASSERT_TRUE(Apply(Config(50)).ok());
  auto c = HttpClient(server_->port());
  std::map<std::string, std::string> first;
  std::set<std::string> seen;
  for (int k = 0; k < 40; ++k) {
    const std::string key = "user-" + std::to_string(k);
    first[key] = VersionFor(c, {{"x-user-id", key}});
    seen.insert(first[key]);
  }
  EXPECT_EQ(seen.size(), 2u) << "40 keys at 50/50 reach both versions";
  for (int round = 0; round < 5; ++round) {
    for (const auto& [key, version] : first) {
      ASSERT_EQ(VersionFor(c, {{"X-User-Id", key}}), version) << key << ", round " << round;
    }
  }
}

TEST_F(StickyRoutingTest, PinningByHeaderOrPathStillWins) {
  ASSERT_TRUE(Apply(Config(50)).ok());
  auto c = HttpClient(server_->port());
  for (int k = 0; k < 20; ++k) {
    const std::string key = "user-" + std::to_string(k);
    EXPECT_EQ(VersionFor(c, {{"x-user-id", key}, {"azureml-model-deployment", "green"}}), "green");
    EXPECT_EQ(VersionFor(c, {{"x-user-id", key}, {"azureml-model-deployment", "blue"}}), "blue");
    Reply r = c.Post("/v2/models/svc/versions/blue/infer", kBody, {{"x-user-id", key}});
    EXPECT_EQ(r.header("azureml-model-deployment"), "blue");
  }
  EXPECT_TRUE(ExposureLines().empty()) << "pinned requests are not assigned by their key";
}

TEST_F(StickyRoutingTest, RaisingAShareMovesKeysOnlyToThatVersion) {
  ASSERT_TRUE(Apply(Config(10)).ok());
  auto c = HttpClient(server_->port());
  std::map<std::string, std::string> before;
  for (int k = 0; k < 200; ++k) {
    const std::string key = "user-" + std::to_string(k);
    before[key] = VersionFor(c, {{"x-user-id", key}});
  }
  ASSERT_TRUE(Apply(Config(20)).ok());
  for (const auto& [key, version] : before) {
    const std::string now = VersionFor(c, {{"x-user-id", key}});
    if (version != "green") continue;
    EXPECT_EQ(now, "green") << key << " left green while it grew";
  }
}

TEST_F(StickyRoutingTest, ACookieCanBeTheKey) {
  json config = Config(50);
  config["routing"].erase("keyHeader");
  config["routing"]["keyCookie"] = "uid";
  ASSERT_TRUE(Apply(config).ok());
  auto c = HttpClient(server_->port());
  for (int k = 0; k < 20; ++k) {
    const std::string key = "user-" + std::to_string(k);
    const std::string v = VersionFor(c, {{"Cookie", "theme=dark; uid=" + key}});
    EXPECT_EQ(VersionFor(c, {{"Cookie", "uid=\"" + key + "\"; lang=en"}}), v) << key;
  }
  EXPECT_EQ(ExposureLines().size(), 40u);
}

TEST_F(StickyRoutingTest, ExposureLogHasOneLinePerAssignedRequestWithTheKeysHmac) {
  ASSERT_TRUE(Apply(Config(50)).ok());
  auto c = HttpClient(server_->port());
  const std::string v = VersionFor(c, {{"x-user-id", "user-7"}});
  VersionFor(c, {});  // no key: drawn, not assigned, not logged
  Reply bad = c.Post("/v2/models/svc/infer", R"({"inputs":[]})", {{"x-user-id", "user-7"}});
  EXPECT_EQ(bad.status, 400);
  const auto lines = ExposureLines();
  ASSERT_EQ(lines.size(), 2u);
  for (const json& line : lines) {
    EXPECT_EQ(line["keyHash"], HmacSha256Hex(kSalt, "user-7"));
    EXPECT_EQ(line["version"], v);
    EXPECT_TRUE(line["latencyMs"].is_number());
    EXPECT_EQ(line["time"].get<std::string>().back(), 'Z');
  }
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[1]["status"], 400);
}

TEST_F(StickyRoutingTest, ExposureLogRotatesBySize) {
  json config = Config(50);
  config["routing"]["exposureLogMaxBytes"] = 1000;
  config["routing"]["exposureLogKeep"] = 2;
  ASSERT_TRUE(Apply(config).ok());
  auto c = HttpClient(server_->port());
  for (int i = 0; i < 40; ++i) VersionFor(c, {{"x-user-id", "user-" + std::to_string(i)}});
  for (const std::string name : {"exposure.jsonl", "exposure.jsonl.1", "exposure.jsonl.2"}) {
    ASSERT_TRUE(fs::exists(dir_ / name)) << name;
    EXPECT_LE(fs::file_size(dir_ / name), 1000u) << name;
  }
  EXPECT_FALSE(fs::exists(dir_ / "exposure.jsonl.3"));
}

TEST_F(StickyRoutingTest, RoutingConfigErrorsNameTheField) {
  json both = Config(50);
  both["routing"]["keyCookie"] = "uid";
  Status s = Apply(both);
  EXPECT_NE(s.message().find("`$.routing.keyHeader` and `$.routing.keyCookie` are both set"),
            std::string::npos)
      << s.message();
  json no_salt = Config(50);
  no_salt["routing"].erase("salt");
  s = Apply(no_salt);
  EXPECT_NE(s.message().find("`$.routing.salt` must be at least 16 characters"), std::string::npos)
      << s.message();
  json bad_name = Config(50);
  bad_name["routing"]["keyHeader"] = "x user";
  s = Apply(bad_name);
  EXPECT_NE(s.message().find("`$.routing.keyHeader` must be a header or cookie name"),
            std::string::npos)
      << s.message();
  // And a valid one survives server.json's round trip.
  auto parsed = config::ParseServerConfig(Config(50).dump());
  ASSERT_TRUE(parsed.ok());
  auto again = config::ParseServerConfig(config::ToJson(*parsed).dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->routing.key_header, "x-user-id");
  EXPECT_EQ(again->routing.salt, kSalt);
}

}  // namespace
}  // namespace skiff::dataplane
