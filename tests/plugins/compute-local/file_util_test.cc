// SPDX-License-Identifier: Apache-2.0
#include "file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "server_config_writer.h"

namespace skiff::compute_local {
namespace {

TEST(ComputeLocalFileUtilTest, TailLinesKeepsTheLastLines) {
  EXPECT_EQ(TailLines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(TailLines("a\nb\nc", 2), "b\nc");
  EXPECT_EQ(TailLines("a\nb\nc\n", 0), "a\nb\nc\n");
  EXPECT_EQ(TailLines("a\nb\n", 5), "a\nb\n");
  EXPECT_EQ(TailLines("", 3), "");
}

TEST(ComputeLocalFileUtilTest, ReadFileReadsAndReportsMissingFiles) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("skiff-cl-" + std::to_string(::getpid())))
          .string();
  { std::ofstream(path) << "two"; }
  EXPECT_EQ(*ReadFile(path), "two");
  ::unlink(path.c_str());
  EXPECT_EQ(ReadFile(path).status().code(), StatusCode::kNotFound);
}

// A server config with one version and key auth (the default), plus
// `extra` members ("" or ",...").
std::string Config(const std::string& extra) {
  return R"({"service":"s","auth":{"keySha256":[")" + std::string(64, 'a') +
         R"("]},"versions":[{"name":"v","artifactPath":"/m","inferenceConfig":)"
         R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1]}],)"
         R"("outputs":[{"name":"y","datatype":"FP32","shape":[1]}]}}])" +
         extra + "}";
}

TEST(ComputeLocalServerConfigTest, OverridesPathsAndPort) {
  const ServiceDir dir("/ws/services/s");
  auto made =
      MakeServerConfig("s", Config(R"(,"port":8080,"portFile":"/elsewhere")"), dir, "127.0.0.1",
                       std::nullopt);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto j = nlohmann::json::parse(*made);
  EXPECT_EQ(j["portFile"], "/ws/services/s/port");
  EXPECT_EQ(j["requestLog"], "/ws/services/s/logs/requests.jsonl");
  EXPECT_EQ(j["dataCollectionDir"], "/ws/services/s/data");
  EXPECT_EQ(j["port"], 0) << "no deploymentConfig.port: a free port";
  made = MakeServerConfig("s", Config(R"(,"deploymentConfig":{"port":9123})"), dir, "127.0.0.1",
                          std::nullopt);
  EXPECT_EQ(nlohmann::json::parse(*made)["port"], 9123);
  made = MakeServerConfig("s", Config(""), dir, "127.0.0.1", 40000);
  EXPECT_EQ(nlohmann::json::parse(*made)["port"], 40000);
  auto empty = MakeServerConfig("s", "", dir, "127.0.0.1", std::nullopt);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("server_config_json"), std::string::npos);
}

// The target's address wins over whatever the spec carried (issue 21 item 7).
TEST(ComputeLocalServerConfigTest, TheTargetsAddressIsWhatTheServerBinds) {
  const ServiceDir dir("/ws/services/s");
  auto made = MakeServerConfig("s", Config(R"(,"address":"10.1.1.1")"), dir, "0.0.0.0", std::nullopt);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(*made)["address"], "0.0.0.0");
  // The one local server stands in for every replica: it scales its workers.
  EXPECT_EQ(nlohmann::json::parse(*made)["scaleWorkers"], true);
  // Azure ML's LocalWebservice path, /score, is served too (issue 23 item 6).
  EXPECT_EQ(nlohmann::json::parse(*made)["localScoreRoute"], true);
}

}  // namespace
}  // namespace skiff::compute_local
