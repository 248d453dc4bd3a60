// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 4 (docs/reliability.md "Issue 22: endpoint report"): the
// report built from exposure-log files, metrics text and a rollout history
// (sdk::BuildEndpointReport, what `endpoint report --exposure-log FILE`
// reads), and its HTML page drawn by real headless Chromium.
#include "skiff/sdk/report.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;
using skiff::RolloutEvent;
using skiff::RolloutEventKind;
using skiff::sdk::BuildEndpointReport;
using skiff::sdk::EndpointReport;
using skiff::sdk::ReportInputs;
using skiff::sdk::ReportOptions;

// "2026-12-06T17:00:SS.mmmZ" + `ms` after 17:00:00.000.
std::string TimeAt(int64_t ms) {
  std::time_t secs = 1796576400 + ms / 1000;  // 2026-12-06T17:00:00Z
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string Line(int64_t ms, const std::string& version, int status, double latency) {
  return "{\"time\":\"" + TimeAt(ms) + "\",\"keyHash\":\"ab\",\"version\":\"" + version +
         "\",\"status\":" + std::to_string(status) + ",\"latencyMs\":" + std::to_string(latency) +
         "}\n";
}

skiff::store::EndpointVersionRecord Version(const std::string& name, int traffic, bool is_default,
                                            bool is_control) {
  skiff::store::EndpointVersionRecord v;
  v.endpoint = "shop";
  v.version_name = name;
  v.traffic_percentile = traffic;
  v.is_default = is_default;
  v.is_control = is_control;
  return v;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }
  std::string Path(const std::string& rel) const { return dir_ + "/" + rel; }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(Path(rel), std::ios::binary) << text;
  }
  // An A/B log over three files (two rotated): a 900 requests at ~4 ms with
  // 9 5xx and 18 4xx, b 300 at ~6 ms with 12 5xx; one request every 100 ms.
  void WriteAbLog() {
    std::string files[3];
    for (int i = 0; i < 1200; ++i) {
      const bool b = i % 4 == 3;
      const int k = i / 4;  // the request's index within its version (a: 3 per k)
      int status = 200;
      if (i % 100 == 0) status = 503;      // i = 0, 100, ..., 1100: 12, all a's (i % 4 == 0)
      if (i % 100 == 50) status = 400;     // 50, ..., 1150: 12, all a's (i % 4 == 2)
      if (b && k % 25 == 0) status = 500;  // 12 of b's 300
      const double latency = (b ? 6.0 : 4.0) + (i % 7) * 0.25;
      files[i / 400] += Line(i * 100, b ? "b" : "a", status, latency);
    }
    Write("exposure.jsonl.2", files[0]);
    Write("exposure.jsonl.1", files[1]);
    Write("exposure.jsonl", files[2]);
  }
  ReportInputs AbInputs() {
    ReportInputs in;
    in.endpoint = "shop";
    in.versions = {Version("a", 75, true, true), Version("b", 25, false, false)};
    in.exposure_log = Path("exposure.jsonl");
    in.rollout_history = Path("rollout.jsonl");
    return in;
  }
  void WriteRollout() {
    auto event = [](int64_t ms, RolloutEventKind kind, int step, int pct) {
      RolloutEvent e;
      e.time = TimeAt(ms);
      e.endpoint = "shop";
      e.version = "b";
      e.kind = kind;
      e.step = step;
      e.traffic_percentile = pct;
      return e;
    };
    RolloutEvent started = event(0, RolloutEventKind::kStarted, 0, 5);
    RolloutEvent stepped = event(40000, RolloutEventKind::kStepped, 1, 25);
    stepped.gate = "errorRate";
    stepped.observed = 0.0;
    stepped.limit = 0.01;
    stepped.requests = 250;
    RolloutEvent failed = event(100000, RolloutEventKind::kFailed, 1, 0);
    failed.gate = "errorRate";
    failed.observed = 0.04;
    failed.limit = 0.01;
    failed.requests = 300;
    failed.reason = "error rate 4 % > 1 % <b>";
    Write("rollout.jsonl", skiff::RolloutEventToJsonLine(started) + "\n" +
                               skiff::RolloutEventToJsonLine(stepped) + "\n" +
                               skiff::RolloutEventToJsonLine(failed) + "\n");
  }
  skiff::testing::TempDir tmp_;
  std::string dir_;
};

const skiff::sdk::VersionReport& Of(const EndpointReport& r, const std::string& name) {
  for (const auto& v : r.versions) {
    if (v.name == name) return v;
  }
  ADD_FAILURE() << "no version " << name;
  static skiff::sdk::VersionReport none;
  return none;
}

// Every rotated file is read, oldest first, and each request counted once:
// the figures are exactly what the log holds.
TEST_F(ReportTest, ExposureLogCountsEveryRotatedFileExactly) {
  WriteAbLog();
  WriteRollout();
  auto report = BuildEndpointReport(AbInputs(), {});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->source, "exposureLog");
  ASSERT_EQ(report->exposure_files.size(), 3u);
  EXPECT_EQ(report->exposure_files[0], Path("exposure.jsonl.2"));
  EXPECT_EQ(report->exposure_files[2], Path("exposure.jsonl"));
  const auto& a = Of(*report, "a");
  const auto& b = Of(*report, "b");
  EXPECT_EQ(a.requests, 900);
  EXPECT_EQ(b.requests, 300);
  EXPECT_EQ(a.errors, 12);
  EXPECT_EQ(a.client_errors, 12);
  EXPECT_EQ(b.errors, 12);
  EXPECT_DOUBLE_EQ(a.error_rate, 12.0 / 900);
  EXPECT_DOUBLE_EQ(b.traffic_share, 0.25);
  ASSERT_TRUE(a.p50_ms && b.p50_ms);
  EXPECT_LT(*a.p50_ms, *b.p50_ms);
  EXPECT_EQ(report->control, "a");
  ASSERT_EQ(report->comparisons.size(), 1u);
  const auto& c = report->comparisons[0];
  EXPECT_EQ(c.treatment, "b");
  EXPECT_NEAR(*c.error_rate_difference, 12.0 / 300 - 12.0 / 900, 1e-12);
  EXPECT_LT(*c.latency_p_value, 1e-6) << "b is 2 ms slower on every request";
  EXPECT_NEAR(*c.p50_difference_ms, 2.0, 0.5);
  EXPECT_LE(c.p50_difference_ci95->low, *c.p50_difference_ms);
  EXPECT_GE(c.p50_difference_ci95->high, *c.p50_difference_ms);
  // 120 s of traffic in 1 s buckets would be 120 > 64: widened to 2 s.
  EXPECT_EQ(report->traffic_bucket_seconds, 2);
  EXPECT_EQ(report->traffic.size(), 60u);
  int64_t counted = 0;
  for (const auto& bucket : report->traffic) {
    for (const auto& [name, n] : bucket.requests) counted += n;
  }
  EXPECT_EQ(counted, 1200);
  ASSERT_EQ(report->rollout.size(), 3u);
  EXPECT_EQ(report->rollout[2].kind, RolloutEventKind::kFailed);

  // The same input gives the same report (fixed seeds), bootstrap included.
  auto again = BuildEndpointReport(AbInputs(), {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->comparisons[0].p99_difference_ci95->low, c.p99_difference_ci95->low);
  EXPECT_EQ(again->comparisons[0].p99_difference_ci95->high, c.p99_difference_ci95->high);
  // JSON carries the same figures.
  nlohmann::json j = skiff::sdk::ToJson(*report);
  EXPECT_EQ(j["versions"][1]["requests"], 300);
  EXPECT_EQ(j["comparisons"][0]["treatment"], "b");
  EXPECT_TRUE(j["comparisons"][0]["errorRateCi95"].contains("low"));
  EXPECT_EQ(j["rollout"][2]["event"], "failed");
}

// --since keeps only the lines at or after it; a reservoir smaller than a
// version's requests says so and keeps memory bounded.
TEST_F(ReportTest, SinceAndReservoirBoundTheInput) {
  WriteAbLog();
  ReportOptions options;
  options.since = std::chrono::system_clock::time_point(std::chrono::seconds(1796576400 + 60));
  options.reservoir_size = 100;
  auto report = BuildEndpointReport(AbInputs(), options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Of(*report, "a").requests + Of(*report, "b").requests, 600) << "the last 60 s";
  EXPECT_EQ(Of(*report, "b").requests, 150);
  EXPECT_EQ(Of(*report, "a").latency_samples, 100);
  EXPECT_EQ(report->latency_samples_ms["a"].size(), 100u);
  bool said = false;
  for (const auto& note : report->notes)
    said |= note.find("uniform sample of 100") != std::string::npos;
  EXPECT_TRUE(said);
}

// Issue 22 item 4: the routers' logs are read one after another (AKS:
// ComputeTarget::ReadExposureLog), so a later router's earlier lines come
// after a first router's later ones. Each line still lands in the traffic
// bucket of its own time, the counts are exact, and the report names the
// routers read and says which one was read only in part.
TEST_F(ReportTest, RoutersReadOneAfterAnotherMergeByTime) {
  // Router 1: a's requests from 60 s to 120 s; router 2: b's from 0 s to 60 s.
  std::string router1, router2;
  for (int i = 0; i < 60; ++i) router1 += Line(60000 + i * 1000, "a", i % 6 == 0 ? 503 : 200, 3);
  for (int i = 0; i < 30; ++i) router2 += Line(i * 2000, "b", 200, 4);
  ReportInputs in = AbInputs();
  in.exposure_log = "";
  in.read_exposure = [&](const std::function<void(std::string_view)>& on_line,
                         std::vector<std::string>* sources, std::vector<std::string>* notes) {
    const std::vector<std::pair<std::string, std::string>> routers = {{"router-1", router1},
                                                                      {"router-2", router2}};
    for (const auto& [name, text] : routers) {
      sources->push_back(name);
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);) on_line(line);
    }
    notes->push_back("The exposure log of router pod router-3 was not read whole: refused.");
    return skiff::OkStatus();
  };
  auto report = BuildEndpointReport(in, {});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->source, "exposureLog");
  EXPECT_EQ(Of(*report, "a").requests, 60);
  EXPECT_EQ(Of(*report, "a").errors, 10);
  EXPECT_EQ(Of(*report, "b").requests, 30);
  EXPECT_EQ(report->exposure_sources, (std::vector<std::string>{"router-1", "router-2"}));
  EXPECT_NE(report->notes[0].find("read from 2 router pod(s): router-1, router-2"),
            std::string::npos)
      << report->notes[0];
  EXPECT_NE(report->notes[1].find("router-3"), std::string::npos) << report->notes[1];
  // Every line in the bucket of its time: b's all before a's.
  ASSERT_FALSE(report->traffic.empty());
  EXPECT_EQ(report->traffic.front().start, "2026-12-06T17:00:00Z");
  const int64_t width_ms = report->traffic_bucket_seconds * 1000;
  ASSERT_GT(width_ms, 0);
  std::map<size_t, std::map<std::string, int64_t>> want;
  for (int i = 0; i < 60; ++i) ++want[static_cast<size_t>((60000 + i * 1000) / width_ms)]["a"];
  for (int i = 0; i < 30; ++i) ++want[static_cast<size_t>(i * 2000 / width_ms)]["b"];
  ASSERT_LE(report->traffic.size(), skiff::sdk::kMaxTrafficBuckets);
  for (size_t i = 0; i < report->traffic.size(); ++i) {
    for (const char* v : {"a", "b"}) {
      const auto& got = report->traffic[i].requests;
      const int64_t n = got.count(v) ? got.at(v) : 0;
      EXPECT_EQ(n, want[i][v]) << "bucket " << i << " version " << v;
    }
  }
}

// A line that does not parse is counted and left out; a log with one
// version only says there is nothing to compare; no control configured
// means the default is the control, and the report says so.
TEST_F(ReportTest, ClearNotesForBadLinesOneVersionAndNoControl) {
  Write("exposure.jsonl", Line(0, "a", 200, 3) + "not json\n" + std::string(20000, 'x') + "\n" +
                              Line(100, "a", 200, 4));
  ReportInputs in = AbInputs();
  in.versions = {Version("a", 90, true, false), Version("b", 10, false, false)};
  auto report = BuildEndpointReport(in, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->skipped_lines, 2);
  EXPECT_EQ(Of(*report, "a").requests, 2);
  EXPECT_EQ(report->control, "a");
  EXPECT_TRUE(report->comparisons.empty());
  std::string notes;
  for (const auto& n : report->notes) notes += n + "\n";
  EXPECT_NE(notes.find("the default version 'a' is the control"), std::string::npos) << notes;
  EXPECT_NE(notes.find("Only version 'a' has requests"), std::string::npos) << notes;
  EXPECT_NE(notes.find("2 exposure-log line(s) did not parse"), std::string::npos) << notes;
  EXPECT_NE(notes.find("No rollout recorded"), std::string::npos) << notes;

  // Nothing anywhere.
  in.exposure_log = Path("absent.jsonl");
  in.routing_key_set = false;
  report = BuildEndpointReport(in, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->source, "none");
  EXPECT_NE(report->notes[0].find("No data"), std::string::npos) << report->notes[0];
  EXPECT_NE(report->notes[0].find("--routing-key-header"), std::string::npos) << report->notes[0];
}

// Without an exposure log the metrics' counters and histograms give the
// figures (percentiles interpolated as Prometheus' histogram_quantile).
TEST_F(ReportTest, MetricsStandInWhenTheLogIsEmpty) {
  ReportInputs in = AbInputs();
  in.exposure_log = "";
  in.routing_key_set = false;
  in.metrics_text =
      "# TYPE skiff_requests_total counter\n"
      "skiff_requests_total{service=\"shop\",version=\"a\",code=\"200\"} 90\n"
      "skiff_requests_total{service=\"shop\",version=\"a\",code=\"503\"} 10\n"
      "skiff_requests_total{service=\"shop\",version=\"b\",code=\"200\"} 48\n"
      "skiff_requests_total{service=\"shop\",version=\"b\",code=\"400\"} 2\n"
      "skiff_request_duration_seconds_bucket{service=\"shop\",version=\"a\",le=\"0.001\"} 0\n"
      "skiff_request_duration_seconds_bucket{service=\"shop\",version=\"a\",le=\"0.005\"} 100\n"
      "skiff_request_duration_seconds_bucket{service=\"shop\",version=\"a\",le=\"+Inf\"} 100\n"
      "skiff_request_duration_seconds_bucket{service=\"shop\",version=\"b\",le=\"0.01\"} 50\n"
      "skiff_request_duration_seconds_bucket{service=\"shop\",version=\"b\",le=\"+Inf\"} 50\n";
  auto report = BuildEndpointReport(in, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->source, "metrics");
  EXPECT_EQ(Of(*report, "a").requests, 100);
  EXPECT_EQ(Of(*report, "a").errors, 10);
  EXPECT_EQ(Of(*report, "b").client_errors, 2);
  // rank 50 of 100 in (1 ms, 5 ms]: 1 + 4 * 50/100 = 3 ms.
  EXPECT_NEAR(*Of(*report, "a").p50_ms, 3.0, 1e-9);
  ASSERT_EQ(report->comparisons.size(), 1u);
  EXPECT_NEAR(*report->comparisons[0].error_rate_difference, 0 - 0.1, 1e-12);
  EXPECT_FALSE(report->comparisons[0].latency_p_value) << "no samples in metrics";
  EXPECT_NE(report->notes[0].find("no routing key is configured"), std::string::npos)
      << report->notes[0];
}

// Strings from the log are escaped: a version named like markup stays text.
TEST_F(ReportTest, HtmlEscapesEveryString) {
  Write("exposure.jsonl", Line(0, "<script>alert(1)</script>", 200, 3) + Line(5, "a", 200, 2));
  WriteRollout();
  auto report = BuildEndpointReport(AbInputs(), {});
  ASSERT_TRUE(report.ok());
  const std::string html = skiff::sdk::RenderReportHtml(*report);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos) << "the rollout reason's markup too";
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"))
      << "nothing is fetched: the only URL is the SVG namespace";
  EXPECT_EQ(html.find("src="), std::string::npos);
}

// Runs `command`, returning its stdout; `*rc` its exit status.
std::string RunCommand(const std::string& command, int* rc) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The page draws in a real browser: Chromium's screenshot is far from
// blank (the charts' colours are there) and its DOM holds the three
// charts with a path per version and a marker per rollout event.
TEST_F(ReportTest, PageDrawsInHeadlessChromium) {
  const std::string chromium = Chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (Debian package `chromium`, in scripts/deps)";
  }
  WriteAbLog();
  WriteRollout();
  auto report = BuildEndpointReport(AbInputs(), {});
  ASSERT_TRUE(report.ok());
  const std::string page = Path("report.html");
  std::ofstream(page) << skiff::sdk::RenderReportHtml(*report);
  // As root Chromium refuses its sandbox; the page has no script anyway.
  // Its own profile directory, so parallel runs do not share one.
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--user-data-dir=" +
      Path("profile") + " --window-size=900,1500 ";
  int rc = -1;
  RunCommand("timeout 120 " + chromium + flags + "--screenshot=" + Path("shot.png") + " file://" +
                 page + " 2>/dev/null",
             &rc);
  ASSERT_EQ(rc, 0) << "chromium --screenshot failed";
  ASSERT_TRUE(fs::exists(Path("shot.png")));
  const std::string stats_json = RunCommand(
      std::string("python3 ") + SKIFF_SOURCE_DIR + "/tests/sdk/png_colours.py " + Path("shot.png"),
      &rc);
  ASSERT_EQ(rc, 0) << stats_json;
  nlohmann::json shot = nlohmann::json::parse(stats_json);
  EXPECT_EQ(shot["width"], 900);
  EXPECT_EQ(shot["background"], "ffffff");
  EXPECT_GT(shot["distinct"].get<int>(), 50) << "text, lines and fills: " << stats_json;
  EXPECT_GT(shot["nonBackground"].get<int>(), 900 * 1500 / 20) << stats_json;
  EXPECT_GT(shot["blue"].get<int>(), 300) << "version a's lines drew: " << stats_json;
  EXPECT_GT(shot["red"].get<int>(), 300) << "version b's lines drew: " << stats_json;

  const std::string dom = RunCommand(
      "timeout 120 " + chromium + flags + "--dump-dom file://" + page + " 2>/dev/null", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_NE(dom.find("<svg id=\"traffic\""), std::string::npos);
  EXPECT_NE(dom.find("<svg id=\"latency\""), std::string::npos);
  EXPECT_NE(dom.find("<svg id=\"rollout\""), std::string::npos);
  EXPECT_EQ(Count(dom, "class=\"series\""), 2u) << "a traffic line per version";
  EXPECT_EQ(Count(dom, "class=\"ecdf\""), 2u) << "a latency ECDF per version";
  EXPECT_NE(dom.find("class=\"series\" data-version=\"b\" d=\"M"), std::string::npos);
  EXPECT_EQ(Count(dom, "<circle class=\"event"), 3u) << "a marker per rollout event";
  EXPECT_NE(dom.find("<circle class=\"event failed\""), std::string::npos);
  EXPECT_NE(dom.find("<table id=\"versions\""), std::string::npos);
  EXPECT_NE(dom.find("<table id=\"comparisons\""), std::string::npos);
  EXPECT_EQ(dom.find("no-rollout"), std::string::npos);
}

}  // namespace

namespace {

// --since takes a duration before now or an RFC 3339 time; anything else is
// refused naming the accepted forms.
TEST(ReportSinceTest, DurationsAndTimes) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796576400));
  EXPECT_EQ(*skiff::sdk::ParseSince("90s", now), now - std::chrono::seconds(90));
  EXPECT_EQ(*skiff::sdk::ParseSince("30m", now), now - std::chrono::minutes(30));
  EXPECT_EQ(*skiff::sdk::ParseSince("2h", now), now - std::chrono::hours(2));
  EXPECT_EQ(*skiff::sdk::ParseSince("7d", now), now - std::chrono::hours(24 * 7));
  EXPECT_EQ(*skiff::sdk::ParseSince("2026-12-06T16:00:00Z", now), now - std::chrono::hours(1));
  EXPECT_EQ(*skiff::sdk::ParseSince("2026-12-06T16:59:59.500Z", now),
            now - std::chrono::milliseconds(500));
  for (const char* bad : {"", "yesterday", "5", "5y", "-1h", "2026-12-06 16:00:00"}) {
    auto since = skiff::sdk::ParseSince(bad, now);
    EXPECT_FALSE(since.ok()) << bad;
    if (!since.ok()) {
      EXPECT_NE(since.status().message().find("30m"), std::string::npos);
    }
  }
}

}  // namespace
