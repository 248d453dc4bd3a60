// SPDX-License-Identifier: Apache-2.0
// Issue 23 (docs/reliability.md "Issue 23: CLI polish"): a user deploying
// chooses the service's log format and level. `--log-format`/`--log-level`
// of the deploying commands become the deployment config's
// `logFormat`/`logLevel` and reach every server.json the target renders
// (here: an aks target's --dry-run, through the real `skiff` binary); a
// wrong word is a usage error naming the flag. The local target's real
// server: cli_log_flags_local_test.cc.
#include <yaml-cpp/yaml.h>

#include "cli_aks_harness.h"

namespace skiff::testing {
namespace {

class CliLogFlags : public AksCliFixture {
 protected:
  // Every server.json in the Secrets of a dry run's YAML, by its key
  // ("server-router.json", ...).
  static std::map<std::string, nlohmann::json> ServerConfigs(const std::string& yaml) {
    std::map<std::string, nlohmann::json> out;
    for (const YAML::Node& doc : YAML::LoadAll(yaml)) {
      if (!doc.IsMap() || !doc["kind"] || doc["kind"].as<std::string>() != "Secret") continue;
      const YAML::Node data = doc["stringData"];
      if (!data || !data.IsMap()) continue;
      for (const auto& item : data) {
        const std::string key = item.first.as<std::string>();
        if (key.size() < 5 || key.compare(key.size() - 5, 5, ".json") != 0) continue;
        out[key] = nlohmann::json::parse(item.second.as<std::string>(), nullptr, false);
      }
    }
    return out;
  }
};

// Before: `model deploy` had no way to choose them (an unknown flag).
// Now the router's and the version pod's server.json both carry them.
TEST_F(CliLogFlags, AksDryRunRendersTheChosenFormatAndLevelIntoEveryServerConfig) {
  arm_.AddCluster("sub1", "rg1", "existing");
  ASSERT_EQ(AttachExisting("att1", "existing").rc, 0);
  RegisterMlp(R"({"computeType": "aks"})", "not really torchscript");

  auto plain = Skiff({"model", "deploy", "-n", "my-svc", "-m", "mlp:1", "--ct", "att1", "--ic",
                      Path("ic.json"), "--dc", Path("dc.json"), "--dry-run"});
  ASSERT_EQ(plain.rc, 0) << plain.err;
  const auto defaults = ServerConfigs(plain.out);
  ASSERT_GE(defaults.size(), 2u) << plain.out;  // the router's and the version's
  for (const auto& [key, config] : defaults) {
    ASSERT_TRUE(config.is_object()) << key;
    // The defaults (text, info) are the server's own: not written.
    EXPECT_FALSE(config.contains("logFormat")) << key << ": " << config.dump();
    EXPECT_FALSE(config.contains("logLevel")) << key << ": " << config.dump();
  }

  auto chosen = Skiff({"model", "deploy", "-n", "my-svc", "-m", "mlp:1", "--ct", "att1", "--ic",
                       Path("ic.json"), "--dc", Path("dc.json"), "--log-format", "json",
                       "--log-level", "debug", "--dry-run"});
  ASSERT_EQ(chosen.rc, 0) << chosen.err;
  const auto configs = ServerConfigs(chosen.out);
  ASSERT_EQ(configs.size(), defaults.size()) << chosen.out;
  ASSERT_TRUE(configs.count("server-router.json")) << chosen.out;
  for (const auto& [key, config] : configs) {
    EXPECT_EQ(config.value("logFormat", ""), "json") << key << ": " << config.dump();
    EXPECT_EQ(config.value("logLevel", ""), "debug") << key << ": " << config.dump();
  }

  // endpoint create likewise, and the deployment config's keys without flags.
  Spit(Path("dc-json.json"), R"({"computeType": "aks", "logFormat": "json"})");
  auto endpoint = Skiff({"endpoint", "create", "-n", "my-ep", "--ct", "att1", "--version-name",
                         "blue", "-m", "mlp:1", "--ic", Path("ic.json"), "--dc",
                         Path("dc-json.json"), "--log-level", "warning", "--dry-run"});
  ASSERT_EQ(endpoint.rc, 0) << endpoint.err;
  const auto endpoint_configs = ServerConfigs(endpoint.out);
  ASSERT_GE(endpoint_configs.size(), 2u) << endpoint.out;
  for (const auto& [key, config] : endpoint_configs) {
    EXPECT_EQ(config.value("logFormat", ""), "json") << key << ": " << config.dump();
    EXPECT_EQ(config.value("logLevel", ""), "warning") << key << ": " << config.dump();
  }
  EXPECT_EQ(Json({"service", "list", "--output", "json"}).size(), 0u) << "dry runs store nothing";
}

// A wrong word: exit 2 (usage), the flag and the words it takes named,
// nothing deployed. In a --dc file: the key and its words.
TEST_F(CliLogFlags, AWrongWordIsAUsageErrorNamingTheFlag) {
  arm_.AddCluster("sub1", "rg1", "existing");
  ASSERT_EQ(AttachExisting("att1", "existing").rc, 0);
  RegisterMlp(R"({"computeType": "aks"})", "not really torchscript");
  const std::vector<std::string> deploy = {"model", "deploy",        "-n",       "my-svc",
                                           "-m",    "mlp:1",         "--ct",     "att1",
                                           "--ic",  Path("ic.json"), "--dry-run"};
  auto with = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = deploy;
    args.insert(args.end(), extra.begin(), extra.end());
    return Skiff(args);
  };
  Result format = with({"--log-format", "xml"});
  EXPECT_EQ(format.rc, 2) << format.err;
  EXPECT_NE(format.err.find("--log-format"), std::string::npos) << format.err;
  EXPECT_NE(format.err.find("json"), std::string::npos) << format.err;
  EXPECT_EQ(format.out, "") << "nothing rendered";

  Result level = with({"--log-level", "verbose"});
  EXPECT_EQ(level.rc, 2) << level.err;
  EXPECT_NE(level.err.find("--log-level"), std::string::npos) << level.err;
  EXPECT_NE(level.err.find("warning"), std::string::npos) << level.err;

  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"service", "update", "-n", "x", "--log-format", "yaml"},
        std::vector<std::string>{"endpoint", "update", "-n", "x", "--log-level", "loud"}}) {
    Result r = Skiff(cmd);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_NE(r.err.find(cmd[4]), std::string::npos) << r.err;
  }

  Spit(Path("bad.json"), R"({"computeType": "aks", "logFormat": "xml"})");
  Result key = with({"--dc", Path("bad.json")});
  ExpectOneLineError(key, "`$.logFormat` must be \"text\" or \"json\", got \"xml\"");
  EXPECT_EQ(Json({"service", "list", "--output", "json"}).size(), 0u);
}

}  // namespace
}  // namespace skiff::testing
