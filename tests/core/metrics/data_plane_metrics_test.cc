#include "skiff/metrics/data_plane_metrics.h"

#include <gtest/gtest.h>

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
  for (const char* line : {
           "# TYPE skiff_requests_total counter",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"200\"} 2",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"400\"} 1",
           "skiff_requests_total{service=\"iris\",version=\"1\",code=\"999\"} 1",
           "# TYPE skiff_request_duration_seconds histogram",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",phase=\"queue\","
           "le=\"0.001\"} 0",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",phase=\"queue\","
           "le=\"0.0025\"} 1",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",phase=\"compute\","
           "le=\"0.025\"} 1",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",phase=\"total\","
           "le=\"2.5\"} 0",
           "skiff_request_duration_seconds_bucket{service=\"iris\",version=\"1\",phase=\"total\","
           "le=\"+Inf\"} 1",
           "skiff_request_duration_seconds_sum{service=\"iris\",version=\"1\",phase=\"total\"} 3",
           "skiff_request_duration_seconds_count{service=\"iris\",version=\"1\",phase=\"total\"} 1",
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

}  // namespace
}  // namespace skiff::metrics
