// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: AccessLog's line format and its buffered writer: lines from
// many threads arrive whole, Flush writes what is pending, rotation keeps
// the file bounded, and a writer that falls behind drops (and says so)
// instead of growing without bound.
#include "skiff/dataplane/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "skiff/dataplane/http_server.h"
#include "skiff/util/log.h"

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

// The latency is written from whole microseconds, not by snprintf (issue
// 20, sixth session): the digits stay those "%.3f" writes, for latencies
// from under a microsecond to hours.
TEST_F(AccessLogTest, LatencyIsMillisecondsWithThreeDecimalsAsPrintfWritesThem) {
  std::vector<double> seconds = {0.0,   -1.0,   1e-9, 4e-7,      6e-7,    0.00192,
                                 0.001, 0.0105, 1.0,  59.999999, 3600.25, 86400.0 * 365};
  // A spread of values a quarter microsecond off the rounding edges.
  for (uint64_t us = 1; us < 50'000'000'000ull; us = us * 7 + 3) {
    seconds.push_back((static_cast<double>(us) + 0.25) / 1e6);
    seconds.push_back((static_cast<double>(us) + 0.75) / 1e6);
  }
  for (double s : seconds) {
    AccessRecord r = Sample();
    r.latency_seconds = s;
    std::string line;
    FormatAccessLine(r, &line);
    char want[64];
    std::snprintf(want, sizeof want, "%.3f", s > 0 ? s * 1000.0 : 0.0);
    EXPECT_NE(line.find(std::string(",\"latencyMs\":") + want + ","), std::string::npos)
        << s << " s: " << line;
    EXPECT_NO_THROW(json::parse(line)) << line;
  }
  // Past any real latency, or not a number: still a JSON number.
  for (double s : {1e12, 1e300, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()}) {
    AccessRecord r = Sample();
    r.latency_seconds = s;
    std::string line;
    FormatAccessLine(r, &line);
    EXPECT_EQ(json::parse(line)["latencyMs"].get<double>(), std::isnan(s) ? 0 : 999999999999.999)
        << line;
  }
}

// The timestamp's date and time of day are kept per thread for the second
// they were written in (issue 20, eighth session): whatever order the times
// come in (the same second again, the next one, back in time, across a day,
// a year, before 1970), the line's time is log::Timestamp's, byte for byte.
TEST_F(AccessLogTest, TheTimeIsTheLogsTimestampWhateverSecondCameBefore) {
  using std::chrono::milliseconds;
  std::vector<int64_t> ms = {1796576531318,
                             1796576531318,
                             1796576531999,
                             1796576532000,
                             1796576531000,
                             1796576531001,
                             1798761599999,
                             1798761600000,
                             1798761600001,
                             0,
                             -1,
                             -999,
                             -1000,
                             -1001,
                             999,
                             1000,
                             951782399999,
                             951782400000,
                             4102444800000,
                             1796576531318};
  // A walk in irregular steps, from a few milliseconds to days, both ways.
  int64_t t = 1796576531318;
  for (int64_t step = 1; step < 400'000'000; step = step * 3 + 7) {
    ms.push_back(t += step);
    ms.push_back(t - step / 2);
  }
  for (int64_t m : ms) {
    AccessRecord r = Sample();
    r.time = std::chrono::system_clock::time_point(milliseconds(m));
    std::string line;
    FormatAccessLine(r, &line);
    EXPECT_EQ(line.substr(0, 34), "{\"time\":\"" + log::Timestamp(r.time) + "\"") << m;
  }
}

// The longest line a record can make (every string escaped byte by byte,
// every number at its widest) fits the buffer the line is written into.
TEST_F(AccessLogTest, TheWidestRecordIsWrittenWhole) {
  const std::string controls(300, '\x01');
  AccessRecord r;
  r.request_id = r.client_request_id = r.trace_id = r.span_id = r.parent_span_id = r.method =
      r.route = r.version = r.client = controls;
  r.status = std::numeric_limits<int>::max();
  r.latency_seconds = 1e300;
  r.request_bytes = r.response_bytes = std::numeric_limits<uint64_t>::max();
  std::string line = "kept";
  FormatAccessLine(r, &line);
  ASSERT_EQ(line.rfind("kept{", 0), 0u);
  const json j = json::parse(line.substr(4));
  EXPECT_EQ(j["client"], controls);
  EXPECT_EQ(j["requestBytes"], std::numeric_limits<uint64_t>::max());
}

// Every byte a client can put in an id, a route or an address still comes
// out escaped as before: '"' and '\\' by a backslash, control bytes and DEL
// as \u00XX, everything else (UTF-8 included) as it is.
TEST_F(AccessLogTest, EveryByteOfAFieldIsEscapedOrKept) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (const std::string& value : {all, std::string("plain"), std::string("\"edge\\"),
                                   std::string("a\x01b\x7f"), std::string("\xc3\xa9t\xc3\xa9")}) {
    AccessRecord r = Sample();
    r.client = value;
    std::string line;
    FormatAccessLine(r, &line);
    ASSERT_EQ(line.find('\n'), line.size() - 1);
    std::string want = "\"";
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        want += '\\';
        want += c;
      } else if (u < 0x20 || u == 0x7f) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\u%04x", u);
        want += hex;
      } else {
        want += c;
      }
    }
    want += "\"}\n";
    ASSERT_GE(line.size(), want.size());
    EXPECT_EQ(line.substr(line.size() - want.size()), want);
  }
}

// The version a line names is the answer's azureml-model-deployment field,
// whatever its case, and nothing when the answer has none (issue 20, sixth
// session: found by a walk over the fields instead of Beast's find).
TEST_F(AccessLogTest, TheVersionIsTheAnswersDeploymentField) {
  HttpResponse r{http::status::ok, 11};
  r.set(http::field::server, "skiff");
  r.set("x-not-the-version-header", "no");  // same length, another name
  EXPECT_EQ(AnsweredVersion(r), "");
  r.set("Azureml-Model-Deployment", "blue");
  r.set(http::field::content_type, "application/json");
  EXPECT_EQ(AnsweredVersion(r), "blue");
  HttpResponse lower{http::status::ok, 11};
  lower.set("azureml-model-deployment", "green");
  EXPECT_EQ(AnsweredVersion(lower), "green");
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
