// SPDX-License-Identifier: Apache-2.0
// ServerStatus: the file skiff-server publishes and a compute target reads
// (issue 21 item 1). Both sides go through the same Parse/Serialize.
#include "skiff/server_status.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace skiff {
namespace {

namespace fs = std::filesystem;

TEST(ServerStatusTest, RoundTripsAndKeepsTheRefusalOnOneLine) {
  ServerStatus s;
  s.applied_generation = 1765000000000001;
  s.refused_generation = 1765000000000002;
  s.refusal = "version 'svc': no accelerator plugin 'onnx'\nsecond line";
  auto parsed = ParseServerStatus(SerializeServerStatus(s));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->applied_generation, s.applied_generation);
  EXPECT_EQ(parsed->refused_generation, s.refused_generation);
  EXPECT_EQ(parsed->refusal, "version 'svc': no accelerator plugin 'onnx' second line");

  auto fresh = ParseServerStatus(SerializeServerStatus(ServerStatus{}));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->applied_generation, -1);
  EXPECT_EQ(fresh->refused_generation, -1);
  EXPECT_EQ(fresh->refusal, "");
}

TEST(ServerStatusTest, RefusesAnythingElseWithDataLoss) {
  for (const char* bad : {"", "applied 1\n", "applied x\nrefused -1\nrefusal \n",
                          "refused 1\napplied 1\nrefusal \n", "applied 1\nrefused 2z\nrefusal \n"}) {
    auto parsed = ParseServerStatus(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss) << bad;
  }
}

TEST(ServerStatusTest, FileIsPrivateAndAMissingOneIsNotFound) {
  std::string tmpl = (fs::temp_directory_path() / "skiff-status-XXXXXX").string();
  const std::string dir = ::mkdtemp(tmpl.data());
  const std::string path = dir + "/server-status";
  EXPECT_EQ(ReadServerStatus(path).status().code(), StatusCode::kNotFound);
  ServerStatus s;
  s.applied_generation = 7;
  ASSERT_TRUE(WriteServerStatus(path, s).ok());
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto read = ReadServerStatus(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->applied_generation, 7);
  std::ofstream(path) << "garbage";
  EXPECT_NE(ReadServerStatus(path).status().message().find(path), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skiff
