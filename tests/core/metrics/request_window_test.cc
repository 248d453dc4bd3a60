// SPDX-License-Identifier: Apache-2.0
// RequestWindow (issue 23 item 2): a version's last minute in fixed memory,
// and the GET /load answer that carries it (load_report.h).
#include "skiff/metrics/request_window.h"

#include <gtest/gtest.h>

#include "skiff/metrics/load_report.h"

namespace skiff::metrics {
namespace {

using Clock = RequestWindow::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RequestWindow, CountsRequestsAndServerErrorsOfTheLastMinute) {
  const Clock::time_point t0 = Clock::now();
  RequestWindow w(t0);
  w.Record(200, t0);
  w.Record(404, t0 + milliseconds(300));
  w.Record(502, t0 + seconds(2));
  w.Record(503, t0 + seconds(2));
  VersionLoad at3 = w.Sum(t0 + seconds(3));
  EXPECT_EQ(at3.requests, 4);
  EXPECT_EQ(at3.server_errors, 2) << "5xx only: a 404 is the client's";
  EXPECT_EQ(at3.seconds, 4) << "a young version's rate is over the seconds it lived";

  // A minute later the first second has left the window, the rest stays.
  VersionLoad at60 = w.Sum(t0 + seconds(60));
  EXPECT_EQ(at60.requests, 2);
  EXPECT_EQ(at60.server_errors, 2);
  EXPECT_EQ(at60.seconds, 60);
  EXPECT_EQ(w.Sum(t0 + seconds(62)).requests, 0);
}

TEST(RequestWindow, AReusedBucketForgetsTheMinuteBefore) {
  const Clock::time_point t0 = Clock::now();
  RequestWindow w(t0);
  for (int i = 0; i < 5; ++i) w.Record(500, t0 + seconds(1));
  // Second 61 falls in the same bucket as second 1.
  w.Record(200, t0 + seconds(61));
  VersionLoad load = w.Sum(t0 + seconds(61));
  EXPECT_EQ(load.requests, 1);
  EXPECT_EQ(load.server_errors, 0);
  // Hours of traffic cost the same 60 buckets: an hour later only the last
  // minute counts.
  for (int s = 0; s < 3600; ++s) w.Record(200, t0 + seconds(100 + s));
  EXPECT_EQ(w.Sum(t0 + seconds(100 + 3599)).requests, 60);
}

TEST(LoadReport, RoundTripsAndRefusesAnythingElse) {
  const std::vector<VersionLoad> load = {{"blue", 120, 3, 60}, {"green", 0, 0, 12}};
  auto parsed = ParseLoadReport(SerializeLoadReport(load));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].version, "blue");
  EXPECT_EQ((*parsed)[0].requests, 120);
  EXPECT_EQ((*parsed)[0].server_errors, 3);
  EXPECT_EQ((*parsed)[1].seconds, 12);

  for (const char* bad : {"", "[]", R"({"versions": [{"version": "v", "requests": -1,
                           "serverErrors": 0, "seconds": 1}]})",
                          R"({"versions": [{"requests": 1, "serverErrors": 0, "seconds": 1}]})"}) {
    auto refused = ParseLoadReport(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace skiff::metrics
