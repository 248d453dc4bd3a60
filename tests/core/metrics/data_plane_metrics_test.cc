// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/data_plane_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

namespace skiff::metrics {
namespace {

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(MetricsDataPlane, FamiliesAndLines) {
  MetricsRegistry registry;
  DataPlaneMetrics metrics(&registry);
  ServiceMetrics& v1 = metrics.For("iris", "1");
  EXPECT_EQ(&v1, &metrics.For("iris", "1"));
  v1.RequestDone(200);
  v1.RequestDone(200);
  v1.RequestDone(400);
  v1.RequestDone(999);  // outside the cache, still counted
  v1.in_flight().Increment();
  v1.queue_seconds().Observe(0.002);
  v1.compute_seconds().Observe(0.02);
  v1.total_seconds().Observe(3);
  v1.batch_size().Observe(3);
  metrics.AuthFailure("iris");
  const std::string text = registry.RenderPrometheusText();
  EXPECT_EQ(text.find("phase="), std::string::npos) << text;
  for (const char* line : {
           "# TYPE skiff_requests_total counter",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"200\",protocol=\"http\"} 2",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"400\",protocol=\"http\"} 1",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"999\",protocol=\"http\"} 1",
           // Queue, compute and total are separate families (issue 23 item 4): a
           // `phase` label made sum(rate(..._count)) count every request thrice.
           "# TYPE skiff_request_duration_seconds histogram",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",le=\"2.5\"} 0",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",le=\"+Inf\"} 1",
           "skiff_request_duration_seconds_sum{service=\"iris\",version=\"1\"} 3",
           "skiff_request_duration_seconds_count{service=\"iris\",version=\"1\"} 1",
           "# TYPE skiff_request_queue_seconds histogram",
           "skiff_request_queue_seconds_bucket{service=\"iris\",version=\"1\",le=\"0.001\"} 0",
           "skiff_request_queue_seconds_bucket{service=\"iris\",version=\"1\",le=\"0.0025\"} 1",
           "# TYPE skiff_request_compute_seconds histogram",
           "skiff_request_compute_seconds_bucket{service=\"iris\",version=\"1\",le=\"0.025\"} 1",
           "# TYPE skiff_batch_size histogram",
           "skiff_batch_size_bucket{service=\"iris\",version=\"1\",le=\"2\"} 0",
           "skiff_batch_size_bucket{service=\"iris\",version=\"1\",le=\"4\"} 1",
           "# TYPE skiff_requests_in_flight gauge",
           "skiff_requests_in_flight{service=\"iris\",version=\"1\"} 1",
           "# TYPE skiff_auth_failures_total counter",
           "skiff_auth_failures_total{service=\"iris\"} 1",
       }) {
    EXPECT_TRUE(HasLine(text, line)) << "missing line: " << line << "\nin:\n" << text;
  }
}

// Issue 20 item 3: one query splits HTTP and gRPC requests
// (sum by (protocol) (rate(skiff_requests_total[5m]))); each protocol's
// series is cached apart, and GET /load's window sums both.
TEST(MetricsDataPlane, RequestsSplitByProtocol) {
  MetricsRegistry registry;
  DataPlaneMetrics metrics(&registry);
  ServiceMetrics& v = metrics.For("iris", "1");
  for (int i = 0; i < 3; ++i) v.RequestDone(200, RequestProtocol::kGrpc);
  v.RequestDone(200);
  v.RequestDone(401, RequestProtocol::kGrpc);
  const std::string text = registry.RenderPrometheusText();
  for (const char* line : {
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"200\",protocol=\"grpc\"} 3",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"200\",protocol=\"http\"} 1",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"401\",protocol=\"grpc\"} 1",
       }) {
    EXPECT_TRUE(HasLine(text, line)) << "missing line: " << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("code=\"401\",protocol=\"http\""), std::string::npos) << text;
  EXPECT_EQ(v.window().Sum().requests, 5);
}

// Ninth session: the data plane hands RequestDone its own reading of the
// request's end (one clock read for the duration and the window). The
// request counts in the window's second of that reading, and in the counter
// as without one.
TEST(MetricsDataPlane, RequestDoneAtTheCallersTimeCountsInThatSecond) {
  MetricsRegistry registry;
  DataPlaneMetrics metrics(&registry);
  ServiceMetrics& v = metrics.For("iris", "1");
  const auto now = RequestWindow::Clock::now();
  v.RequestDone(200, RequestProtocol::kHttp, now);
  v.RequestDone(503, RequestProtocol::kGrpc, now + std::chrono::seconds(90));
  VersionLoad at_now = v.window().Sum(now);
  EXPECT_EQ(at_now.requests, 1);
  EXPECT_EQ(at_now.server_errors, 0);
  VersionLoad later = v.window().Sum(now + std::chrono::seconds(90));
  EXPECT_EQ(later.requests, 1) << "the first is more than a minute before";
  EXPECT_EQ(later.server_errors, 1);
  const std::string text = registry.RenderPrometheusText();
  EXPECT_TRUE(HasLine(
      text, "skiff_requests_total{service=\"iris\",version=\"1\",code=\"200\",protocol=\"http\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(
      text, "skiff_requests_total{service=\"iris\",version=\"1\",code=\"503\",protocol=\"grpc\"} 1"))
      << text;
}

// Triton's nv_inference_count / nv_inference_exec_count: their ratio is the
// mean batch size, and skiff_batch_size agrees with the executions.
TEST(MetricsDataPlane, InferencesExecutionsAndLoads) {
  MetricsRegistry registry;
  DataPlaneMetrics metrics(&registry);
  ServiceMetrics& v = metrics.For("iris", "2");
  v.Executed(3);
  v.Executed(1);
  for (int i = 0; i < 4; ++i) v.Inferred();
  v.Loaded(1.5);
  std::string text = registry.RenderPrometheusText();
  EXPECT_EQ(text.find("skiff_model_last_load_failure_timestamp_seconds"), std::string::npos)
      << "no failure yet, so no timestamp (a 0 would read as one in 1970)";
  v.LoadFailed(1700000001);
  text = registry.RenderPrometheusText();
  for (const char* line : {
           "# TYPE skiff_inferences_total counter",
           "skiff_inferences_total{service=\"iris\",version=\"2\"} 4",
           "# TYPE skiff_model_executions_total counter",
           "skiff_model_executions_total{service=\"iris\",version=\"2\"} 2",
           "skiff_batch_size_count{service=\"iris\",version=\"2\"} 2",
           "skiff_batch_size_sum{service=\"iris\",version=\"2\"} 4",
           "# TYPE skiff_model_load_seconds gauge",
           "skiff_model_load_seconds{service=\"iris\",version=\"2\"} 1.5",
           "# TYPE skiff_model_load_failures_total counter",
           "skiff_model_load_failures_total{service=\"iris\",version=\"2\"} 1",
           "# TYPE skiff_model_last_load_failure_timestamp_seconds gauge",
           "skiff_model_last_load_failure_timestamp_seconds{service=\"iris\",version=\"2\"} "
           "1700000001",
       }) {
    EXPECT_TRUE(HasLine(text, line)) << "missing line: " << line << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace skiff::metrics
