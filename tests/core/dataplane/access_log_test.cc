// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: AccessLog's line format and its buffered writer: lines from
// many threads arrive whole, Flush writes what is pending, rotation keeps
// the file bounded, and a writer that falls behind drops (and says so)
// instead of growing without bound.
#include "skiff/dataplane/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

namespace skiff::dataplane {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> Lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

AccessRecord Sample() {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796576531318));
  r.request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.method = "POST";
  r.route = "/api/v1/service/{service}/score";
  r.status = 200;
  r.version = "blue";
  r.latency_seconds = 0.00192;
  r.request_bytes = 312;
  r.response_bytes = 87;
  r.client = "10.0.0.7";
  return r;
}

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("skiff-access-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AccessLogTest, ALineIsOneJsonObjectWithEveryField) {
  std::string line;
  AccessRecord r = Sample();
  r.client_request_id = "a\"b";  // escaped, never breaks the line
  FormatAccessLine(r, &line);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const json j = json::parse(line);
  EXPECT_EQ(j["time"], "2026-12-06T17:02:11.318Z");
  EXPECT_EQ(j["requestId"], "0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(j["clientRequestId"], "a\"b");
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["route"], "/api/v1/service/{service}/score");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["version"], "blue");
  EXPECT_DOUBLE_EQ(j["latencyMs"].get<double>(), 1.92);
  EXPECT_EQ(j["requestBytes"], 312);
  EXPECT_EQ(j["responseBytes"], 87);
  EXPECT_EQ(j["client"], "10.0.0.7");
  AccessRecord bare;
  bare.status = 431;
  line.clear();
  FormatAccessLine(bare, &line);
  const json b = json::parse(line);
  EXPECT_EQ(b["method"], "-");
  EXPECT_FALSE(b.contains("version"));
  EXPECT_FALSE(b.contains("clientRequestId"));
}

TEST_F(AccessLogTest, LinesFromManyThreadsArriveWholeAndFlushWritesThem) {
  AccessLogOptions options;
  options.destination = (dir_ / "logs" / "access.jsonl").string();
  options.flush_interval = std::chrono::milliseconds(50);
  options.flush_bytes = 1024;  // many flushes while the threads write
  auto log = AccessLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) (*log)->Record(Sample());
    });
  }
  for (auto& t : threads) t.join();
  (*log)->Flush();
  const auto lines = Lines(options.destination);
  EXPECT_EQ(lines.size(), 2000u);
  for (const auto& line : lines) ASSERT_EQ(json::parse(line)["status"], 200) << line;
  EXPECT_EQ(fs::status(options.destination).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(AccessLogTest, RotatesLikeTheRequestLog) {
  AccessLogOptions options;
  options.destination = (dir_ / "access.jsonl").string();
  options.rotation = {2048, 2};
  options.flush_bytes = 256;
  auto log = AccessLog::Open(options).value();
  for (int i = 0; i < 100; ++i) {
    log->Record(Sample());
    if (i % 5 == 0) log->Flush();
  }
  log->Flush();
  EXPECT_TRUE(fs::exists(options.destination + ".1"));
  EXPECT_TRUE(fs::exists(options.destination + ".2"));
  EXPECT_FALSE(fs::exists(options.destination + ".3"));
  EXPECT_LE(fs::file_size(options.destination), 2048u + 512u);
}

TEST_F(AccessLogTest, AWriterFarBehindDropsLinesAndSaysHowMany) {
  AccessLogOptions options;
  options.destination = (dir_ / "access.jsonl").string();
  options.flush_interval = std::chrono::hours(1);  // only Flush writes
  options.flush_bytes = std::numeric_limits<size_t>::max();
  std::string one;
  FormatAccessLine(Sample(), &one);
  options.max_pending_bytes = one.size() * 10;
  auto log = AccessLog::Open(options).value();
  for (int i = 0; i < 25; ++i) log->Record(Sample());
  EXPECT_EQ(log->dropped(), 15u);
  log->Flush();
  const auto lines = Lines(options.destination);
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_EQ(json::parse(lines.back())["accessLogDropped"], 15);
}

TEST_F(AccessLogTest, RefusesAFileItCannotOpen) {
  AccessLogOptions options;
  options.destination = "/proc/no-such-dir/access.jsonl";
  EXPECT_FALSE(AccessLog::Open(options).ok());
  options.destination = "";
  EXPECT_EQ(AccessLog::Open(options).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff::dataplane
