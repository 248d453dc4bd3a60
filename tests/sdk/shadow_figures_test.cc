// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 2: what `endpoint show` makes of the skiff_shadow_* series
// (ParseShadowFigures), from a registry rendered the way the server renders it.
#include "skiff/sdk/shadow_figures.h"

#include <gtest/gtest.h>

#include <cmath>

#include "skiff/metrics/shadow_metrics.h"

namespace skiff::sdk {
namespace {

TEST(ShadowFigures, SumsTheSeriesOfEachShadowVersion) {
  metrics::MetricsRegistry registry;
  metrics::ShadowMetrics b(&registry, "shop", "b");
  metrics::ShadowMetrics other_service(&registry, "elsewhere", "b");
  for (int i = 0; i < 3; ++i) {
    b.Compared();
    b.Output("p", true, 0.004, i < 2);  // 2 of 3 agree; every diff in (0.001, 0.01]
    b.Output("q", true, 0, std::nullopt);
    b.LatencyDelta(0.002);
  }
  b.Failed();
  b.ErrorMismatch(/*live_failed=*/false);
  b.Dropped();
  b.Dropped();
  b.Output("r", false, 0, std::nullopt);
  other_service.Compared();
  const auto figures = ParseShadowFigures(registry.RenderPrometheusText(), "shop");
  ASSERT_EQ(figures.size(), 1u);
  const ShadowFigures& f = figures.at("b");
  EXPECT_EQ(f.compared, 3);
  EXPECT_EQ(f.errors, 1);
  EXPECT_EQ(f.dropped, 2);
  EXPECT_EQ(f.shadow_failed, 1);
  EXPECT_EQ(f.live_failed, 0);
  EXPECT_EQ(f.argmax_compared, 3);
  EXPECT_EQ(f.argmax_agreed, 2);
  EXPECT_NEAR(*f.argmax_agreement(), 2.0 / 3, 1e-12);
  EXPECT_EQ(f.output_mismatches, 1);
  EXPECT_EQ(f.diff_count, 6);
  EXPECT_NEAR(f.diff_sum, 0.012, 1e-12);
  ASSERT_TRUE(f.diff_bound.has_value());
  EXPECT_EQ(*f.diff_bound, 0.01) << "the bucket holding the largest difference";
  EXPECT_EQ(f.latency_count, 3);
  EXPECT_NEAR(f.latency_sum_s, 0.006, 1e-12);
}

TEST(ShadowFigures, IdenticalAnswersAreBoundedByZeroAndHugeOnesByInfinity) {
  metrics::MetricsRegistry registry;
  metrics::ShadowMetrics same(&registry, "shop", "same");
  metrics::ShadowMetrics wild(&registry, "shop", "wild");
  same.Compared();
  same.Output("p", true, 0, true);
  wild.Compared();
  wild.Output("p", true, 1e9, false);
  const auto figures = ParseShadowFigures(registry.RenderPrometheusText(), "shop");
  EXPECT_EQ(*figures.at("same").diff_bound, 0.0);
  EXPECT_TRUE(std::isinf(*figures.at("wild").diff_bound));
  EXPECT_FALSE(ShadowFigures().argmax_agreement().has_value());
}

}  // namespace
}  // namespace skiff::sdk
