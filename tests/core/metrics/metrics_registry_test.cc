// SPDX-License-Identifier: Apache-2.0
#include "skiff/metrics/metrics_registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace skiff::metrics {
namespace {

TEST(MetricsRegistryTest, RendersExactText) {
  MetricsRegistry registry;
  registry.GetCounter("c_total", "A counter.\nSecond \\ line.", {{"k", "b"}}).Increment(2);
  registry.GetCounter("c_total", "ignored", {{"k", "a\"q\\\n"}}).Increment();
  registry.GetGauge("g", "A gauge.", {}).Set(-1.5);
  Histogram& h =
      registry.GetHistogram("h_seconds", "A histogram.", {1, 0.5, 0.25, 1}, {{"p", "x"}});
  h.Observe(0.25);  // le is inclusive
  h.Observe(0.3);
  h.Observe(7);
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP c_total A counter.\\nSecond \\\\ line.\n"
            "# TYPE c_total counter\n"
            "c_total{k=\"a\\\"q\\\\\\n\"} 1\n"
            "c_total{k=\"b\"} 2\n"
            "# HELP g A gauge.\n"
            "# TYPE g gauge\n"
            "g -1.5\n"
            "# HELP h_seconds A histogram.\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{p=\"x\",le=\"0.25\"} 1\n"
            "h_seconds_bucket{p=\"x\",le=\"0.5\"} 2\n"
            "h_seconds_bucket{p=\"x\",le=\"1\"} 2\n"
            "h_seconds_bucket{p=\"x\",le=\"+Inf\"} 3\n"
            "h_seconds_sum{p=\"x\"} 7.55\n"
            "h_seconds_count{p=\"x\"} 3\n");
}

TEST(MetricsRegistryTest, SameSeriesSameObject) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("c", "h", {{"x", "1"}});
  EXPECT_EQ(&a, &registry.GetCounter("c", "h", {{"x", "1"}}));
  EXPECT_NE(&a, &registry.GetCounter("c", "h", {{"x", "2"}}));
  a.Increment(-3);  // ignored: counters only go up
  EXPECT_EQ(a.Value(), 0);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  Counter& c = registry.GetCounter("c", "h", {});
  Gauge& g = registry.GetGauge("g", "h", {});
  Histogram& h = registry.GetHistogram("h", "h", {1}, {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        g.Increment();
        h.Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000);
  EXPECT_EQ(g.Value(), 40000);
  EXPECT_EQ(h.BucketCounts(), (std::vector<uint64_t>{40000, 0}));
  EXPECT_EQ(h.Sum(), 20000);
}

}  // namespace
}  // namespace skiff::metrics
