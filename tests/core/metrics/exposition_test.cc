// SPDX-License-Identifier: Apache-2.0
// The one reader of the exposition format (progressive rollout gates, shadow
// figures, the endpoint report) against what the server's own registry
// writes, so reader and writer cannot drift apart.
#include "skiff/metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>

#include "skiff/metrics/metrics_registry.h"

namespace skiff::metrics {
namespace {

TEST(MetricsExposition, ReadsBackWhatTheRegistryWritesLabelsEscapesAndBuckets) {
  MetricsRegistry registry;
  registry.GetCounter("skiff_requests_total", "requests",
                      {{"service", "ep"}, {"version", "b\"lue\\"}, {"code", "503"}})
      .Increment(7);
  Histogram& h = registry.GetHistogram("skiff_request_duration_seconds", "latency", {0.01, 0.1},
                                       {{"service", "ep"}, {"version", "green"}});
  h.Observe(0.005);
  h.Observe(0.05);
  h.Observe(5);
  std::vector<size_t> malformed;
  std::vector<MetricSample> samples =
      ParseExposition(registry.RenderPrometheusText(), &malformed);
  EXPECT_TRUE(malformed.empty());
  bool counter = false;
  std::vector<std::pair<double, double>> buckets;
  for (const MetricSample& s : samples) {
    if (s.name == "skiff_requests_total") {
      counter = true;
      EXPECT_EQ(s.labels.at("version"), "b\"lue\\");
      EXPECT_EQ(s.labels.at("code"), "503");
      EXPECT_EQ(s.value, 7);
    }
    if (s.name == "skiff_request_duration_seconds_bucket") {
      buckets.emplace_back(BucketBound(s.labels.at("le")), s.value);
    }
  }
  EXPECT_TRUE(counter);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_TRUE(std::isinf(BucketBound("+Inf")));
  // 3 observations: rank 1.5 for the median lies halfway into (0.01, 0.1].
  ASSERT_TRUE(HistogramQuantile(buckets, 0.5).has_value());
  EXPECT_NEAR(*HistogramQuantile(buckets, 0.5), 0.055, 1e-9);
  // p99 falls in +Inf: the highest finite bound, as Prometheus answers.
  EXPECT_DOUBLE_EQ(*HistogramQuantile(buckets, 0.99), 0.1);
}

TEST(MetricsExposition, CommentsAndBlanksAreSkippedAndBrokenLinesNamed) {
  std::vector<size_t> malformed;
  auto samples = ParseExposition(
      "# HELP x y\n\nplain 3\nwith_ts{a=\"1\"} 2 1700000000\nbroken{a=\"1\" 2\nnovalue\n",
      &malformed);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "plain");
  EXPECT_EQ(samples[0].value, 3);
  EXPECT_EQ(samples[1].labels.at("a"), "1");
  EXPECT_EQ(samples[1].value, 2);
  EXPECT_EQ(malformed, (std::vector<size_t>{5, 6}));
  EXPECT_FALSE(HistogramQuantile({}, 0.5).has_value());
  EXPECT_FALSE(HistogramQuantile({{0.1, 0}, {INFINITY, 0}}, 0.5).has_value());
}

}  // namespace
}  // namespace skiff::metrics
